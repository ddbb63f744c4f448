"""Indicators: what is measured (data elements, indicator sheets), the raw facts (data values)
and what they are measured against (targets and baselines).

Invariants:
- a data value is identified by (element, territory, period, combination) and there is at
  most one; every create, change and deletion of one leaves a `DataValueChange` row, so a
  figure's history can always be told (who, when, from which import batch, before/after);
- `period` is a canonical DHIS2 period id of the element's own period type (`202307` for a
  monthly element), checked by the services, never stored in another form;
- `combination` is the data value's disaggregation: its category option codes sorted and
  joined by "|" ("FEMALE|RURAL"), "" when the element has no categories; one option of each
  of the element's categories, so totals are sums over combinations and never double-count;
- an indicator's formula is checked against the catalogue when the sheet is saved; results
  are computed by the analytics engine from data values, never read from here by a page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minka.analytics.engine.model import Aggregation, Polarity
from minka.analytics.engine.periods import PeriodType
from minka.territories.models import Institution, Territory

COMBINATION_SEPARATOR = "|"
TOTAL_COMBINATION = ""


class BilingualName(models.Model):
    """Names in Spanish (the default) and English; `name` is the one for the active language."""

    name_es = models.CharField(_("name (Spanish)"), max_length=230)
    name_en = models.CharField(_("name (English)"), max_length=230, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({getattr(self, 'code', '')})"

    @property
    def name(self) -> str:
        if (get_language() or "es").startswith("en") and self.name_en:
            return self.name_en
        return self.name_es


class PeriodTypeChoice(models.TextChoices):
    YEARLY = PeriodType.YEARLY.value, _("Yearly")
    SIXMONTHLY = PeriodType.SIXMONTHLY.value, _("Six-monthly")
    QUARTERLY = PeriodType.QUARTERLY.value, _("Quarterly")
    MONTHLY = PeriodType.MONTHLY.value, _("Monthly")
    WEEKLY = PeriodType.WEEKLY.value, _("Weekly")


class Category(BilingualName):
    """A disaggregation such as sex, age group or area; its options are the values it takes."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)

    class Meta:
        verbose_name = _("disaggregation")
        verbose_name_plural = _("disaggregations")
        ordering = ["code"]


class CategoryOption(BilingualName):
    """One value of a category (FEMALE of sex). Codes are unique across all categories so
    that a combination key ("FEMALE|RURAL") and a breakdown ("FEMALE") are unambiguous."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("disaggregation option")
        verbose_name_plural = _("disaggregation options")
        ordering = ["category__code", "sort_order", "code"]


class Combination(BilingualName):
    """A generated combination of options (DHIS2's category option combo), named for people
    ("Mujer, rural") and carrying DHIS2's uid so imports can map it. `key` is what data
    values store; "" is the total (DHIS2's "default")."""

    key = models.CharField(_("key"), max_length=200, unique=True, blank=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)

    class Meta:
        verbose_name = _("disaggregation combination")
        verbose_name_plural = _("disaggregation combinations")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Integer")
    NUMBER = "number", _("Number")
    PERCENTAGE = "percentage", _("Percentage")
    BOOLEAN = "boolean", _("Yes/no")


class AggregationChoice(models.TextChoices):
    SUM = Aggregation.SUM.value, _("Sum")
    AVERAGE = Aggregation.AVERAGE.value, _("Weighted average")
    LAST = Aggregation.LAST.value, _("Last value")
    NONE = Aggregation.NONE.value, _("Not aggregated")


class AverageWeight(models.TextChoices):
    NONE = "none", _("Unweighted")
    POPULATION = "population", _("Population")
    ELEMENT = "element", _("Another data element")


class DataElement(BilingualName):
    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    value_type = models.CharField(
        _("value type"), max_length=12, choices=ValueType.choices, default=ValueType.INTEGER
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=8, choices=AggregationChoice.choices, default="sum"
    )
    average_weight = models.CharField(
        _("weight of the average"),
        max_length=12,
        choices=AverageWeight.choices,
        default=AverageWeight.POPULATION,
    )
    weight_element = models.ForeignKey(
        "self",
        verbose_name=_("weight element"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="weighted_elements",
    )
    period_type = models.CharField(
        _("period type"), max_length=12, choices=PeriodTypeChoice.choices, default="Monthly"
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("disaggregations"), blank=True, related_name="elements"
    )
    minimum = models.DecimalField(
        _("lowest plausible value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("highest plausible value"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["code"]


class Constant(BilingualName):
    """A named number formulas use as `C{CODE}` (a population share, a conversion factor)."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=10)

    class Meta:
        verbose_name = _("constant")
        verbose_name_plural = _("constants")
        ordering = ["code"]


class Unit(models.TextChoices):
    PERCENT = "percent", _("Percentage (%)")
    PER_THOUSAND = "per_1000", _("Per 1,000")
    PER_HUNDRED_THOUSAND = "per_100000", _("Per 100,000")
    NUMBER = "number", _("Number")
    SOLES = "soles", _("Soles (S/)")
    DAYS = "days", _("Days")
    INDEX = "index", _("Index")


class ResultsChainLevel(models.TextChoices):
    """The results chain of Peru's results-based budgeting (PpR)."""

    FINAL_RESULT = "final_result", _("Final result")
    INTERMEDIATE_RESULT = "intermediate_result", _("Intermediate result")
    IMMEDIATE_RESULT = "immediate_result", _("Immediate result")
    PRODUCT = "product", _("Product")
    ACTIVITY = "activity", _("Activity")


class Classification(models.TextChoices):
    EFFICACY = "efficacy", _("Efficacy")
    EFFICIENCY = "efficiency", _("Efficiency")
    ECONOMY = "economy", _("Economy")
    QUALITY = "quality", _("Quality")


class PolarityChoice(models.TextChoices):
    LOWER_IS_BETTER = Polarity.LOWER_IS_BETTER.value, _("Lower is better")
    HIGHER_IS_BETTER = Polarity.HIGHER_IS_BETTER.value, _("Higher is better")


class IndicatorSheet(BilingualName):
    """An indicator's *ficha técnica*: what it means, how it is computed, who answers for it."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)
    definition_es = models.TextField(_("definition (Spanish)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    formula = models.TextField(_("formula"))
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, default=Unit.PERCENT)
    decimals = models.PositiveSmallIntegerField(_("decimals shown"), default=1)
    polarity = models.CharField(
        _("polarity"), max_length=8, choices=PolarityChoice.choices, default="higher"
    )
    source = models.CharField(_("source"), max_length=250, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=PeriodTypeChoice.choices, default="Yearly"
    )
    results_chain_level = models.CharField(
        _("results-chain level"),
        max_length=20,
        choices=ResultsChainLevel.choices,
        default=ResultsChainLevel.INTERMEDIATE_RESULT,
    )
    classification = models.CharField(
        _("classification"),
        max_length=12,
        choices=Classification.choices,
        default=Classification.EFFICACY,
    )
    responsible = models.ForeignKey(
        Institution,
        verbose_name=_("responsible institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicator_sheets",
    )
    base_year = models.PositiveSmallIntegerField(_("base year"), null=True, blank=True)
    tolerance = models.DecimalField(
        _("tolerance (fraction of the target)"), max_digits=5, decimal_places=4, default=0.1
    )
    published = models.BooleanField(_("published"), default=False)
    public_through = models.CharField(
        _("published through"),
        max_length=10,
        blank=True,
        help_text=_(
            "The last period the public sees (e.g. 2024): later figures stay internal "
            "until they are validated. Empty: every period."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("indicator sheet")
        verbose_name_plural = _("indicator sheets")
        ordering = ["code"]

    @property
    def definition(self) -> str:
        if (get_language() or "es").startswith("en") and self.definition_en:
            return self.definition_en
        return self.definition_es


class ImportBatch(models.Model):
    """One import of data values: the file, who sent it, what it did, and its report.

    A dry run is kept too (with `dry_run`), so the report a user read before confirming is
    the one they confirmed. `rows_done`/`rows_total` feed the progress bar.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV template")
        XLSX = "xlsx", _("Excel template")
        DHIS2_JSON = "dhis2-json", _("DHIS2 dataValueSets (JSON)")
        DHIS2_CSV = "dhis2-csv", _("DHIS2 dataValueSets (CSV)")
        UBIGEO = "ubigeo", _("INEI district figures (ubigeo CSV)")
        FORM = "form", _("Form")
        DEMO = "demo", _("Demonstration data")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        CHECKED = "checked", _("Checked (dry run)")
        APPLIED = "applied", _("Applied")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    source = models.CharField(_("source"), max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    ignored = models.PositiveIntegerField(_("ignored"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    # The import summary, shaped like DHIS2's (status, importCount, conflicts, …).
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.format} #{self.pk} ({self.status})"


class DataValue(models.Model):
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="data_values")
    period = models.CharField(_("period"), max_length=10)
    combination = models.CharField(_("disaggregation"), max_length=200, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)
    source = models.CharField(_("source"), max_length=250, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    followup = models.BooleanField(_("follow up"), default=False)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    stored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=["element", "territory", "period", "combination"],
                name="one_data_value_per_cell",
            ),
        ]
        indexes = [models.Index(fields=["territory", "period"])]

    def __str__(self) -> str:
        return f"{self.element_id}/{self.territory_id}/{self.period}/{self.combination}"


class DataValueChange(models.Model):
    """The history of data values: one row per create, update or delete, never edited.

    It keeps the cell's identity by value (not only by foreign key to the data value), so a
    deleted value's history survives; its increasing id is also how the analytics adapter
    knows what changed since its last refresh.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")

    data_value_id = models.BigIntegerField(db_index=True)
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=10)
    combination = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value_before = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    value_after = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    source = models.CharField(max_length=250, blank=True)
    comment = models.TextField(blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["element", "territory", "period"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.data_value_id}: {self.value_before} → {self.value_after}"


class Target(models.Model):
    """A target or a baseline of an indicator for one territory and period (usually a year).

    A district's target may be derived from its region's (aligned goals): `derived_from`
    says which, and `method` how, so it can be re-derived when the region's changes.
    """

    class Kind(models.TextChoices):
        TARGET = "target", _("Target")
        BASELINE = "baseline", _("Baseline")

    class Method(models.TextChoices):
        SET = "set", _("Set directly")
        SAME_VALUE = "same_value", _("Same value as the higher level")
        SAME_CHANGE = "same_change", _("Same relative change from the baseline")

    indicator = models.ForeignKey(IndicatorSheet, on_delete=models.CASCADE, related_name="targets")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="targets")
    period = models.CharField(_("period"), max_length=10)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TARGET)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default="set")
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    note = models.TextField(_("note"), blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator__code", "territory__path", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "territory", "period", "kind"], name="one_target_per_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.indicator_id}/{self.territory_id}/{self.period}: {self.value}"


class ValidationRule(BilingualName):
    """A rule between data elements checked at import and on demand, e.g.
    `#{ANEMIA_6_35} <= #{HB_TAMIZADOS_6_35}`; an error refuses the import, a warning is
    listed for review."""

    class Operator(models.TextChoices):
        LESS_OR_EQUAL = "<=", "≤"
        LESS = "<", "<"
        EQUAL = "==", "="
        NOT_EQUAL = "!=", "≠"
        GREATER = ">", ">"
        GREATER_OR_EQUAL = ">=", "≥"

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    code = models.CharField(_("code"), max_length=50, unique=True)
    uid = models.CharField(_("DHIS2 uid"), max_length=11, blank=True, db_index=True)
    left = models.TextField(_("left side"))
    operator = models.CharField(_("operator"), max_length=2, choices=Operator.choices)
    right = models.TextField(_("right side"))
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING
    )
    period_type = models.CharField(
        _("period type"), max_length=12, choices=PeriodTypeChoice.choices, default="Monthly"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["code"]


class QualityFlag(models.Model):
    """A data value (or a cell of a validation rule) listed for review: an outlier against
    the territory's own history, a value out of the element's bounds, or a broken rule.
    Flags never change the value; a reviewer confirms it, or it gets corrected by a new
    import, and the flag records who decided."""

    class Kind(models.TextChoices):
        OUTLIER = "outlier", _("Outlier")
        OUT_OF_BOUNDS = "bounds", _("Out of bounds")
        RULE = "rule", _("Validation rule")

    class State(models.TextChoices):
        OPEN = "open", _("To review")
        CONFIRMED = "confirmed", _("Confirmed as correct")
        CORRECTED = "corrected", _("Corrected")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    element = models.ForeignKey(
        DataElement, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(
        ValidationRule, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    combination = models.CharField(max_length=200, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quality flag")
        verbose_name_plural = _("quality flags")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.territory_id}/{self.period}: {self.detail}"
