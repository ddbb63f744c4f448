from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minka.api"
    label = "api"
