from django.urls import path

from minka.territories import views

app_name = "territories"
urlpatterns: list = []
