"""The analytics app keeps only its refresh log in the database: results live in the
analytics store (a DuckDB file, see docs/adr/0002-analytics-store.md).

`AnalyticsRefresh` is both the log a page can show ("figures up to date as of …") and the
watermark of incremental refreshes: `last_change_id` is the highest `DataValueChange.id`
the store has applied, so the next refresh reads only the changes after it.

Invariant: only a finished, successful refresh (finished_at set, error empty) counts as
applied; a failed one is kept for the log but its watermark is never used.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnalyticsRefresh(models.Model):
    class Mode(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental")
        INDICATORS = "indicators", _("Indicators")

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    last_change_id = models.BigIntegerField(_("last change applied"), default=0)
    facts = models.BigIntegerField(_("data values"), default=0)
    results = models.BigIntegerField(_("results"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("analytics refresh")
        verbose_name_plural = _("analytics refreshes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.mode} #{self.pk} up to change {self.last_change_id}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error
