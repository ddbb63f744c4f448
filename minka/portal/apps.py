from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "minka.portal"
    label = "portal"
