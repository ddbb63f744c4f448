from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "minka.indicators"
    label = "indicators"
    verbose_name = "Indicators"
