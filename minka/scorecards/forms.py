"""Forms of the scorecard pages: they parse what a person typed; the services check the rest
and the views ask the permission check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from minka.accounts.forms import DescribedErrorsMixin
from minka.indicators.models import IndicatorSheet, PeriodTypeChoice
from minka.scorecards.models import Question, TextKind
from minka.territories.models import Institution, Territory


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})"


class IndicatorMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})"


class ScorecardForm(DescribedErrorsMixin, forms.Form):
    title_es = forms.CharField(label=_("Title (Spanish)"), max_length=250)
    title_en = forms.CharField(
        label=_("Title (English)"),
        max_length=250,
        required=False,
        help_text=_("Optional: without it the Spanish title is shown in English too."),
    )
    population = forms.CharField(
        label=_("Population"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who the result is about, e.g. children under 5 of the region."),
    )
    result = forms.CharField(
        label=_("Result"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The condition of well-being wanted, in plain words."),
    )
    territory = forms.ModelChoiceField(label=_("Territory"), queryset=Territory.objects.none())
    period_type = forms.ChoiceField(
        label=_("Periods shown"),
        choices=PeriodTypeChoice.choices,
        initial=PeriodTypeChoice.YEARLY,
    )
    public = forms.BooleanField(label=_("Public (visible to everyone)"), required=False)
    indicators = IndicatorMultipleChoiceField(
        label=_("Population indicators"),
        queryset=IndicatorSheet.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The indicators that show whether the result is being reached."),
    )

    def __init__(
        self,
        *args: Any,
        territories: QuerySet[Territory],
        indicators: QuerySet[IndicatorSheet],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        territory: Any = self.fields["territory"]
        territory.queryset = territories
        chosen: Any = self.fields["indicators"]
        chosen.queryset = indicators

    def indicators_in_order(self, existing: Sequence[IndicatorSheet]) -> list[IndicatorSheet]:
        """The chosen indicators: those already on the scorecard keep their place, new
        ones follow in the catalogue's order."""
        chosen = list(self.cleaned_data["indicators"])
        chosen_ids = {indicator.pk for indicator in chosen}
        kept = [indicator for indicator in existing if indicator.pk in chosen_ids]
        kept_ids = {indicator.pk for indicator in kept}
        return kept + [indicator for indicator in chosen if indicator.pk not in kept_ids]


class ProgrammeForm(DescribedErrorsMixin, forms.Form):
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=250)
    name_en = forms.CharField(label=_("Name (English)"), max_length=250, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lead_institution = forms.ModelChoiceField(
        label=_("Lead institution"), queryset=Institution.objects.none(), required=False
    )

    def __init__(self, *args: Any, institutions: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lead: Any = self.fields["lead_institution"]
        lead.queryset = institutions


class MeasureForm(DescribedErrorsMixin, forms.Form):
    indicator = IndicatorChoiceField(label=_("Indicator"), queryset=IndicatorSheet.objects.none())
    question = forms.ChoiceField(
        label=_("Question it answers"), choices=Question.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, indicators: QuerySet[IndicatorSheet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicator: Any = self.fields["indicator"]
        indicator.queryset = indicators


class TextForm(DescribedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of text"), choices=TextKind.choices)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Saving adds a new version; earlier versions stay in the history."),
    )
