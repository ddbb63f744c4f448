from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "minka.analytics"
    label = "analytics"
    verbose_name = "Analytics"
