from django.urls import path

from minka.accounts import views

app_name = "accounts"
urlpatterns: list = []
