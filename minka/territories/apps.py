from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "minka.territories"
    label = "territories"
