"""Forms of the coordinator's set-up pages: a contest and its editions, the calendar and
the verification cuts, the rules and their simulation (checks of shape only: what the
contest allows is decided by `services.editions`).

Dates and times are typed in the edition's time zone (`zone`), whatever the server's or
the browser's, and come out as aware datetimes: a deadline of 23:59:59 in Lima is that
instant everywhere.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minka.accounts.forms import DescribedErrorsMixin
from minka.analytics.engine.periods import PeriodError, period_parse
from minka.contests.engine.messages import money_format
from minka.territories.models import Territory

RULES_MAX_BYTES = 1024 * 1024
SCORES_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIME_ZONE = "America/Lima"

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_FUND_HELP = _("In soles, with at most two decimals: 1 500 000,00 or 1500000.00.")


class AmountUnreadable(ValueError):
    """A text that is not an amount in soles, or that could be read two ways."""


def soles_parse(text: str) -> Decimal:
    """An amount in soles as people in Peru write it: `1 500 000,00`, `1500000.00`,
    `1.500.000,00`, `1,500,000.00`, with or without `S/`. The last separator is the
    decimal mark unless three digits follow it: soles have at most two decimals, so
    `1.500` and `1,500` are a thousand five hundred. Groups must be of three digits
    (`1,50,000` is refused rather than guessed)."""
    cleaned = _SPACES.sub("", text.strip())
    if cleaned.upper().startswith("S/"):
        cleaned = cleaned[2:]
    if not cleaned or not re.fullmatch(r"[0-9.,]+", cleaned):
        raise AmountUnreadable(text)
    last_dot, last_comma = cleaned.rfind("."), cleaned.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_mark = "." if last_dot > last_comma else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _mark, cents = cleaned.rpartition(decimal_mark)
        if grouping in cents or not _grouped(whole, grouping):
            raise AmountUnreadable(text)
        number = whole.replace(grouping, "") + "." + cents
    elif last_dot >= 0 or last_comma >= 0:
        mark = "." if last_dot >= 0 else ","
        parts = cleaned.split(mark)
        if len(parts) == 2 and len(parts[1]) != 3:
            number = parts[0] + "." + parts[1]  # one mark, not a group of three: decimals
        elif _grouped(cleaned, mark):
            number = cleaned.replace(mark, "")
        else:
            raise AmountUnreadable(text)
    else:
        number = cleaned
    try:
        amount = Decimal(number)
    except InvalidOperation as error:
        raise AmountUnreadable(text) from error
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise AmountUnreadable(text)
    return amount.quantize(Decimal("0.01"))


def _grouped(whole: str, mark: str) -> bool:
    """`1.500.000` with `.`: a first group of one to three digits, then groups of three."""
    groups = whole.split(mark)
    return (
        all(g.isdigit() for g in groups)
        and 1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
    ) or (len(groups) == 1 and groups[0].isdigit())


def soles_text(amount: Decimal) -> str:
    """The amount as the form shows it back: `1 500 000,00` (`money_format` without `S/`)."""
    return money_format(amount).replace("S/ ", "")


class SolesField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _FUND_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().clean(value)  # the text's checks (required, length), then the amount
        if not text:
            return None
        try:
            return soles_parse(text)
        except AmountUnreadable as error:
            raise ValidationError(
                _(
                    "Write the amount in soles as 1 500 000,00 or 1500000.00 (at most two "
                    "decimals)."
                ),
                code="invalid",
            ) from error


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in `zone` (the edition's): read into an aware datetime, and
    an aware datetime shown back in that zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
            ),
        )
        super().__init__(**kwargs)
        self.zone: tzinfo = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.zone):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.zone):
            return super().prepare_value(value)


class _ZonedForm(DescribedErrorsMixin, forms.Form):
    """`form_id`: the id of the <form> element the inputs belong to, so one form can be a
    row of a table (its inputs in the row's cells, the <form> in the last one)."""

    def __init__(self, *args: Any, zone: tzinfo, form_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_id = form_id
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.zone = zone
            if form_id:
                field.widget.attrs["form"] = form_id


def _time_zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class EditionForm(DescribedErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    fund = SolesField(label=_("Fund (soles)"))
    legal_resolution = forms.CharField(
        label=_("Legal resolution"),
        required=False,
        max_length=250,
        help_text=_("The regional resolution that approves the edition, e.g. RER N.° 123-2025."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        initial=DEFAULT_TIME_ZONE,
        help_text=_("Every date and deadline of the edition is typed and shown in it."),
    )
    appeal_days = forms.IntegerField(
        label=_("Days to appeal"),
        min_value=1,
        max_value=60,
        initial=5,
        help_text=_("Days after a publication of the scores during which municipalities appeal."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["time_zone"]
        field.choices = _time_zones()


class ContestCreateForm(EditionForm):
    """A contest and its first edition, in one page."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Letters, digits and hyphens; it goes in the address, e.g. sello-cusco."),
    )
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    territory = forms.ModelChoiceField(
        label=_("Territory"),
        queryset=Territory.objects.none(),
        help_text=_("The region (or the country) whose government runs the seal."),
    )

    field_order = [
        "code",
        "name_es",
        "name_en",
        "territory",
        "year",
        "fund",
        "legal_resolution",
        "time_zone",
        "appeal_days",
    ]

    def __init__(self, *args: Any, territories: Sequence[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["territory"]
        field.queryset = Territory.objects.filter(pk__in=[t.pk for t in territories])
        if len(territories) == 1:
            field.initial = territories[0].pk


class PhaseForm(_ZonedForm):
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))


def _period_check(code: str) -> None:
    try:
        period_parse(code)
    except PeriodError as error:
        raise ValidationError(
            _("%(code)s is not a DHIS2 period such as 2025S1 (semester), 2025Q3 or 202507."),
            params={"code": code},
            code="invalid",
        ) from error


class CutForm(_ZonedForm):
    """A new cut (`taken`: the codes already used, which belong to their own rows) or an
    existing one (`fixed_code`: its code cannot change, a new code would be a new cut)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        validators=[_period_check],
        help_text=_("The DHIS2 period the cut reads, e.g. 2025S1."),
        widget=forms.TextInput(attrs={"size": 8}),
    )
    name = forms.CharField(
        label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"size": 16})
    )
    evaluation_date = forms.DateField(
        label=_("Evaluation date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    evidence_deadline = LocalDateTimeField(label=_("Evidence deadline"))
    reply_days = forms.IntegerField(
        label=_("Days to answer an observation"),
        min_value=1,
        max_value=60,
        initial=5,
        widget=forms.NumberInput(attrs={"size": 3, "style": "width: 5em"}),
    )

    def __init__(
        self,
        *args: Any,
        zone: tzinfo,
        taken: Iterable[str] = (),
        fixed_code: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, zone=zone, **kwargs)
        self.taken = set(taken)
        if fixed_code is not None:
            field = self.fields["code"]
            field.disabled = True
            field.initial = fixed_code
            field.help_text = ""

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if not self.fields["code"].disabled and code in self.taken:
            raise ValidationError(
                _("The edition has a cut %(code)s already: change it in its own row."),
                params={"code": code},
            )
        return code


class RulesForm(DescribedErrorsMixin, forms.Form):
    """A new version of the rules: a RULES.json file or its text, not both."""

    document = forms.FileField(
        label=_("RULES.json file"),
        required=False,
        help_text=_("The format is described in the README (“Simulating awards”)."),
    )
    text = forms.CharField(
        label=_("Or the rules as text"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 14, "cols": 80, "spellcheck": "false", "class": "code"}
        ),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=250,
        required=False,
        help_text=_("Kept with the version, e.g. the weights after the technical meeting."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("document"), data.get("text") or ""
        if upload and text.strip():
            raise ValidationError(_("Send either a file or the text, not both."))
        if not upload and not text.strip():
            raise ValidationError(_("Choose a RULES.json file or paste the rules."))
        if upload:
            if upload.size > RULES_MAX_BYTES:
                raise ValidationError(_("The rules file is larger than 1 MB."))
            data["rules"] = _text_or_bytes(upload.read())
        else:
            data["rules"] = text
        return data


class SimulationForm(DescribedErrorsMixin, forms.Form):
    version = forms.TypedChoiceField(label=_("Rules version"), coerce=int)
    scores = forms.FileField(
        label=_("SCORES.csv file"),
        help_text=_(
            "One row per municipality: code, name, category, population, the points of each "
            "component and the mandatory criteria not met (README, “Simulating awards”)."
        ),
    )

    def __init__(self, *args: Any, versions: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["version"]
        field.choices = list(versions)
        if versions:
            field.initial = versions[0][0]

    def clean_scores(self) -> bytes | str:
        upload = self.cleaned_data["scores"]
        if upload.size > SCORES_MAX_BYTES:
            raise ValidationError(_("The scores file is larger than 5 MB."))
        return _text_or_bytes(upload.read())


def _text_or_bytes(content: bytes) -> bytes | str:
    """UTF-8 (with or without a byte-order mark) as text; anything else as it came, so the
    engine's parser says it is not UTF-8."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content
