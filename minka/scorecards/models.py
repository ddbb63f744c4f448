"""Scorecards: results-based accountability (RBA) as in the Clear Impact Scorecard.

A scorecard is a *result* for the population of a territory (population accountability),
watched through its population indicators; the programmes that work towards it answer for
their *performance measures*, each one answering one of the three RBA questions (how much
did we do, how well did we do it, is anyone better off). Both carry texts that tell the
story behind the curve, the partners, what works and the action plan.

Invariants:
- figures are never stored here: a page reads them from the analytics results through
  `minka.scorecards.selectors`;
- texts are append-only: saving a text adds a `ScorecardText` version (body, author,
  time), nothing ever updates or deletes one; the latest version of a kind is the one
  shown, every version stays in the history;
- a programme's texts, measures and the programme itself belong to one scorecard, whose
  territory decides who may change any of them (`Action.CHANGE` on that territory).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minka.indicators.models import IndicatorSheet, PeriodTypeChoice
from minka.territories.models import Institution, Territory


def _in_language(spanish: str, english: str) -> str:
    """The English text when the active language is English and there is one."""
    if (get_language() or "es").startswith("en") and english:
        return english
    return spanish


class Scorecard(models.Model):
    title_es = models.CharField(_("title (Spanish)"), max_length=250)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    population = models.TextField(
        _("population"), help_text=_("Who the result is about, e.g. children under 5.")
    )
    result = models.TextField(
        _("result"), help_text=_("The condition of well-being wanted for that population.")
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="scorecards",
    )
    period_type = models.CharField(
        _("period type shown"),
        max_length=12,
        choices=PeriodTypeChoice.choices,
        default=PeriodTypeChoice.YEARLY,
    )
    public = models.BooleanField(_("public"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["territory__path", "title_es", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_es, self.title_en)


class ScorecardIndicator(models.Model):
    """A population indicator of a scorecard, in the order the scorecard shows them."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.ForeignKey(
        IndicatorSheet, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scorecard", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "indicator"], name="one_population_indicator_per_scorecard"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard_id}: {self.indicator_id}"


class Programme(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="programmes")
    name_es = models.CharField(_("name (Spanish)"), max_length=250)
    name_en = models.CharField(_("name (English)"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    lead_institution = models.ForeignKey(
        Institution,
        verbose_name=_("lead institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["scorecard", "order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_es, self.name_en)


class Question(models.TextChoices):
    """The three questions of results-based accountability, in the order they are shown."""

    HOW_MUCH = "how_much", _("How much did we do?")
    HOW_WELL = "how_well", _("How well did we do it?")
    BETTER_OFF = "better_off", _("Is anyone better off?")


class PerformanceMeasure(models.Model):
    """An indicator that tells how a programme performs, and the RBA question it answers."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="measures")
    indicator = models.ForeignKey(
        IndicatorSheet, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.CharField(_("question"), max_length=12, choices=Question.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("performance measure")
        verbose_name_plural = _("performance measures")
        ordering = ["programme", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "indicator"], name="one_measure_per_programme_indicator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.indicator_id} ({self.question})"


class TextKind(models.TextChoices):
    STORY = "story", _("Story behind the curve")
    PARTNERS = "partners", _("Partners")
    WHAT_WORKS = "what_works", _("What works")
    ACTION_PLAN = "action_plan", _("Action plan")


class ScorecardText(models.Model):
    """One version of one kind of text of a scorecard, or of one of its programmes when
    `programme` is set. Append-only: never updated, never deleted (see the module)."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="texts")
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="texts"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TextKind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard text")
        verbose_name_plural = _("scorecard texts")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["scorecard", "programme", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} of scorecard {self.scorecard_id}"

    @property
    def author_name(self) -> str:
        """Who wrote it, as people know them ("" once the account is gone)."""
        if self.author is None:
            return ""
        return self.author.get_full_name() or self.author.get_username()
