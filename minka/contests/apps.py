import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContestsConfig(AppConfig):
    name = "minka.contests"
    label = "contests"
    verbose_name = _("Seal contests")

    def ready(self) -> None:
        # WeasyPrint (the PDF annex) logs each step of every layout at INFO ("Step 4 -
        # Creating layout"), from its import on; the root logger (INFO) would print them
        # all. Its warnings still show.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
