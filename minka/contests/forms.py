"""Forms of the seal contest pages (checks of shape only; the rules are in services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minka.accounts.forms import DescribedErrorsMixin
from minka.territories.models import Institution


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class RegistrationForm(DescribedErrorsMixin, forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Institution.objects.none()
    )
    council_act = forms.FileField(
        label=_("Council act"),
        help_text=_("The council session act agreeing to take part: PDF or image, up to 10 MB."),
    )
    accept_rules = forms.BooleanField(label=_("I accept the rules of this edition"))

    def __init__(self, *args: Any, municipalities: Sequence[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["municipality"]
        field.queryset = Institution.objects.filter(pk__in=[m.pk for m in municipalities])
        if len(municipalities) == 1:
            field.initial = municipalities[0].pk


class RegistrationReviewForm(DescribedErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("observe", _("Observe"))],
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    observation = forms.CharField(
        label=_("Observation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the municipality must correct (required to observe)."),
    )

    def __init__(self, *args: Any, categories: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["category"]
        field.choices = [("", "—"), *categories]


class EvidenceUploadForm(DescribedErrorsMixin, forms.Form):
    uploads = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_(
            "PDF, images (PNG, JPEG) or spreadsheets (xlsx), up to 20 MB each. Files "
            "are added, never replaced."
        ),
    )
    value = forms.DecimalField(
        label=_("Value (optional)"), required=False, localize=True, max_digits=18, decimal_places=4
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvidenceReviewForm(DescribedErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("Approve")), ("observed", _("Observe")), ("rejected", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to observe or reject: the municipality reads it."),
    )


class ScoresPublishForm(DescribedErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why publish now"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the results of the first cut, or the appeals resolved."),
    )


class AppealForm(DescribedErrorsMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision appealed"))
    reason = forms.CharField(
        label=_("Why it should change"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, decisions: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["decision"]
        field.choices = list(decisions)


class AppealResolveForm(DescribedErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("accept", _("Accept: approve the means of verification")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The municipality reads it; it is kept in the audit log."),
    )
