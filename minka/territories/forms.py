from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minka.territories.models import Level


class TerritorySearchForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=[("", _("All")), ("PE", _("Peru")), ("CL", _("Chile")), ("PY", _("Paraguay"))],
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All")), *Level.choices]
    )


class InstitutionContactForm(forms.Form):
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=40)
    technical_team_notes = forms.CharField(
        label=_("Technical team"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who works on early childhood in the municipality, and how to reach them."),
    )
