"""Forms of the indicator pages: they parse and check what a person typed, in their language.

Checks that need the catalogue (is the formula sound, may this user change that territory)
are made by services and the permission check, not here; forms only refuse input that
cannot mean anything (a period that is not a period, a mapping file that is not JSON).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from minka.accounts.forms import DescribedErrorsMixin
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_parse,
    period_range,
)
from minka.indicators.models import (
    Classification,
    DataElement,
    ImportBatch,
    PeriodTypeChoice,
    PolarityChoice,
    QualityFlag,
    ResultsChainLevel,
    Target,
    Unit,
)
from minka.territories.models import Institution, Territory

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_MAPPING_BYTES = 256 * 1024
MAX_TEMPLATE_PERIODS = 240  # 20 years of months

code_validator = RegexValidator(
    r"^[A-Za-z0-9_]+$",
    _("Use only letters without accents, digits and underscores (e.g. ANEMIA_6_35)."),
)


def period_field_parse(text: str) -> Period:
    """A DHIS2 period id typed by a person, or a ValidationError saying which forms exist."""
    try:
        return period_parse(text.strip())
    except PeriodError as error:
        raise ValidationError(
            _(
                "“%(text)s” is not a period. Write a year (2024), a semester (2024S1), a "
                "quarter (2024Q3), a month (202407) or a week (2024W5)."
            ),
            params={"text": text},
            code="period",
        ) from error


# --- indicator sheets ------------------------------------------------------------------


class IndicatorSheetForm(DescribedErrorsMixin, forms.Form):
    """The ficha técnica. Its formula is checked by `indicator_sheet_save` at save time."""

    code = forms.CharField(
        label=_("Code"),
        max_length=50,
        validators=[code_validator],
        help_text=_("Unique and permanent; other formulas and imports refer to it."),
    )
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=230)
    name_en = forms.CharField(label=_("Name (English)"), max_length=230, required=False)
    definition_es = forms.CharField(
        label=_("Definition (Spanish)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    definition_en = forms.CharField(
        label=_("Definition (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    formula = forms.CharField(
        label=_("Formula"),
        max_length=2000,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "class": "formula", "spellcheck": "false", "autocomplete": "off"}
        ),
        help_text=_(
            "Data elements as #{CODE}, one disaggregation as #{CODE.OPTION}, the previous "
            "period as #{CODE}[-1], constants as C{CODE}; + - * / ( ), if(), min(), max(), "
            "abs(). Example: 100 * #{ANEMIA_6_35} / #{HB_TAMIZADOS_6_35}"
        ),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.PERCENT)
    decimals = forms.IntegerField(label=_("Decimals shown"), min_value=0, max_value=6, initial=1)
    polarity = forms.ChoiceField(
        label=_("Polarity"), choices=PolarityChoice.choices, initial="higher"
    )
    source = forms.CharField(label=_("Source"), max_length=250, required=False)
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=PeriodTypeChoice.choices, initial="Yearly"
    )
    results_chain_level = forms.ChoiceField(
        label=_("Results-chain level"),
        choices=ResultsChainLevel.choices,
        initial=ResultsChainLevel.INTERMEDIATE_RESULT,
    )
    classification = forms.ChoiceField(
        label=_("Classification"), choices=Classification.choices, initial="efficacy"
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible institution"),
        queryset=Institution.objects.none(),
        required=False,
    )
    base_year = forms.IntegerField(
        label=_("Base year"), min_value=1900, max_value=2100, required=False
    )
    tolerance = forms.DecimalField(
        label=_("Tolerance (fraction of the target)"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=5,
        decimal_places=4,
        localize=True,
        initial=Decimal("0.1"),
        help_text=_("A figure within this fraction of its target is “at risk”, not “off track”."),
    )
    published = forms.BooleanField(
        label=_("Published (visible to the public)"), required=False
    )
    public_through = forms.CharField(
        label=_("Published through (period)"),
        max_length=10,
        required=False,
        help_text=_(
            "The last period the public sees, e.g. 2024: later figures stay internal until "
            "they are validated. Empty: every period."
        ),
    )

    def __init__(
        self,
        *args: Any,
        institutions: QuerySet[Institution],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        responsible: Any = self.fields["responsible"]
        responsible.queryset = institutions
        if editing:
            # The code is the sheet's identity (update_or_create by code): never renamed here.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code of a saved sheet cannot change.")

    def formula_rejected(self, problems: list[tuple[int, str]]) -> None:
        """Show each problem under the formula field, and tie the field to them and to the
        marked-up formula (`formula-problems`) for screen readers."""
        for _position, message in problems:
            self.add_error("formula", message)
        auto_id = self["formula"].auto_id
        self.fields["formula"].widget.attrs["aria-describedby"] = (
            f"{auto_id}_errors formula-problems {auto_id}_helptext"
        )

    def clean_public_through(self) -> str:
        text = self.cleaned_data["public_through"].strip()
        return period_field_parse(text).id if text else ""

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as `indicator_sheet_save` takes it."""
        data = dict(self.cleaned_data)
        data["tolerance"] = data["tolerance"] if data["tolerance"] is not None else Decimal("0.1")
        data["decimals"] = data["decimals"] if data["decimals"] is not None else 1
        return data


@dataclass(frozen=True)
class FormulaMark:
    """One formula problem placed on the text: the line it is on, how many characters
    precede it on that line (for the caret), and the message."""

    position: int  # 0-based, as the engine counts
    line_number: int  # 1-based
    line: str
    before: str  # the line's text up to the problem
    at: str  # the character at the problem ("" at the end of the text)
    after: str
    message: str

    @property
    def caret(self) -> str:
        return " " * len(self.before) + "^"


def formula_marks(text: str, problems: list[tuple[int, str]]) -> list[FormulaMark]:
    """Place each (position, message) on the formula so the page can point at the spot."""
    marks = []
    for position, message in problems:
        position = max(0, min(position, len(text)))
        line_start = text.rfind("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line_end = len(text) if line_end == -1 else line_end
        line = text[line_start:line_end]
        column = position - line_start
        marks.append(
            FormulaMark(
                position=position,
                line_number=text.count("\n", 0, position) + 1,
                line=line,
                before=line[:column],
                at=line[column : column + 1],
                after=line[column + 1 :],
                message=message,
            )
        )
    return marks


# --- targets ---------------------------------------------------------------------------


class TargetForm(DescribedErrorsMixin, forms.Form):
    territory = forms.ModelChoiceField(label=_("Territory"), queryset=Territory.objects.none())
    period = forms.CharField(
        label=_("Period"), max_length=10, help_text=_("Usually a year, e.g. 2026.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Target.Kind.choices, initial="target")
    value = forms.DecimalField(
        label=_("Value"), max_digits=24, decimal_places=6, localize=True
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, territories: QuerySet[Territory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        territory: Any = self.fields["territory"]
        territory.queryset = territories

    def clean_period(self) -> str:
        return period_field_parse(self.cleaned_data["period"]).id


class TargetDeriveForm(DescribedErrorsMixin, forms.Form):
    """Aligned goals: the districts of a region get targets derived from the region's."""

    source = forms.ModelChoiceField(
        label=_("Target of the higher level"), queryset=Target.objects.none()
    )
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            (Target.Method.SAME_VALUE.value, Target.Method.SAME_VALUE.label),
            (Target.Method.SAME_CHANGE.value, Target.Method.SAME_CHANGE.label),
        ],
        widget=forms.RadioSelect,
        initial=Target.Method.SAME_VALUE.value,
    )

    def __init__(self, *args: Any, sources: QuerySet[Target], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source: Any = self.fields["source"]
        source.queryset = sources
        source.label_from_instance = lambda t: f"{t.territory.name} · {t.period} · {t.value}"


# --- imports ---------------------------------------------------------------------------

IMPORT_FORMATS = [
    (value, label)
    for value, label in ImportBatch.Format.choices
    if value not in (ImportBatch.Format.FORM, ImportBatch.Format.DEMO)
]


class ImportForm(DescribedErrorsMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("At most 20 MB. A template filled in, or a DHIS2 or INEI file."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=IMPORT_FORMATS)
    id_scheme = forms.ChoiceField(
        label=_("Identifiers in the file"),
        choices=[("code", _("Codes (ANEMIA_6_35, 080104)")), ("uid", _("DHIS2 uids"))],
        initial="code",
    )
    mapping = forms.FileField(
        label=_("Mapping (optional)"),
        required=False,
        help_text=_(
            "A JSON file that maps the file's own names to Minka's codes, for files that "
            "do not use them."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 20 MB; split it in parts."))
        if upload.size == 0:
            raise ValidationError(_("The file is empty."))
        return upload

    def clean_mapping(self) -> dict[str, Any] | None:
        upload = self.cleaned_data.get("mapping")
        if not upload:
            return None
        if upload.size > MAX_MAPPING_BYTES:
            raise ValidationError(_("The mapping file is larger than 256 KB."))
        try:
            mapping = json.loads(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValidationError(
                _("The mapping file is not valid JSON: %(error)s"), params={"error": error}
            ) from error
        if not isinstance(mapping, dict):
            raise ValidationError(_("The mapping file must hold a JSON object {…}."))
        return mapping


# --- templates -------------------------------------------------------------------------


class TemplateForm(DescribedErrorsMixin, forms.Form):
    elements = forms.ModelMultipleChoiceField(
        label=_("Data elements"),
        queryset=DataElement.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or ⌘) to choose several. All of one period type."),
    )
    territory = forms.ModelChoiceField(label=_("Territory"), queryset=Territory.objects.none())
    include_districts = forms.BooleanField(
        label=_("Include its districts"), required=False
    )
    period_from = forms.CharField(
        label=_("From period"),
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": "202401", "spellcheck": "false"}),
        help_text=_("A year (2024) gives each of its months for monthly data."),
    )
    period_to = forms.CharField(
        label=_("To period"),
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": "202412", "spellcheck": "false"}),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV"))],
        initial="xlsx",
    )

    def __init__(
        self,
        *args: Any,
        elements: QuerySet[DataElement],
        territories: QuerySet[Territory],
        allow_districts: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        element_field: Any = self.fields["elements"]
        element_field.queryset = elements
        element_field.label_from_instance = lambda e: f"{e.code} · {e.name}"
        territory_field: Any = self.fields["territory"]
        territory_field.queryset = territories
        if not allow_districts:
            del self.fields["include_districts"]

    def clean_period_from(self) -> Period:
        return period_field_parse(self.cleaned_data["period_from"])

    def clean_period_to(self) -> Period:
        return period_field_parse(self.cleaned_data["period_to"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        elements = data.get("elements")
        start, end = data.get("period_from"), data.get("period_to")
        if not elements or start is None or end is None:
            return data
        types = sorted({element.period_type for element in elements})
        if len(types) > 1:
            raise ValidationError(
                _(
                    "The chosen data elements have different period types (%(types)s): "
                    "download one template for each type."
                ),
                params={"types": ", ".join(types)},
            )
        data["periods"] = template_periods(start, end, PeriodType(types[0]))
        return data


def template_periods(start: Period, end: Period, element_type: PeriodType) -> list[str]:
    """The periods of the elements' type from `start` to `end`: a range of years for monthly
    elements gives every month of those years."""
    try:
        periods = period_range(start, end)
        expanded = [child for period in periods for child in period_children(period, element_type)]
    except PeriodError as error:
        if start.type != end.type:
            raise ValidationError(
                _("Both periods must be of the same type (e.g. 202401 and 202412)."),
                code="periods",
            ) from error
        if start > end:
            raise ValidationError(
                _("The first period comes after the last one."), code="periods"
            ) from error
        raise ValidationError(
            _(
                "The chosen data elements are reported by period of type “%(type)s”: write "
                "periods of that type or a coarser one."
            ),
            params={"type": PeriodTypeChoice(element_type.value).label},
            code="periods",
        ) from error
    if len(expanded) > MAX_TEMPLATE_PERIODS:
        raise ValidationError(
            _("That is %(count)s periods; a template holds at most %(limit)s."),
            params={"count": len(expanded), "limit": MAX_TEMPLATE_PERIODS},
        )
    return [period.id for period in expanded]


# --- quality review --------------------------------------------------------------------


class QualityReviewForm(DescribedErrorsMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (QualityFlag.State.CONFIRMED.value, QualityFlag.State.CONFIRMED.label),
            (QualityFlag.State.CORRECTED.value, QualityFlag.State.CORRECTED.label),
        ],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


FIGURE_BREAKDOWN = re.compile(r"^[A-Za-z0-9_]{0,50}$")
