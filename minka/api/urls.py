from django.urls import path

from minka.api.api import api

urlpatterns = [path("", api.urls)]
