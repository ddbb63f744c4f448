"""Seal contests: the contest, its yearly editions with their calendar and verification
cuts, the rules as versioned documents, registrations and the audit log.

The rules are one JSON document per version (the RULES.json format of `simulate_awards`,
parsed and checked by `engine.files`), so what a coordinator simulates is exactly what the
engine scores; a version is frozen (`Edition.rules_version`) when registration opens, and
every registration records the version it accepted.

Scoring (issue 5, items 6-7): the analytics values of a cut are copied once into
`IndicatorReading` rows when the coordinator freezes the cut; each publication stores a new
`ScoreVersion` with every criterion's points and explanation (`CriterionScore`), the
ranking (`RankingEntry`) and the awards (`AwardLine`). Published rows are never updated: a
correction (an accepted `Appeal`) is published as the next version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minka.contests.calendar import PhaseKind
from minka.territories.models import Institution, Territory


class Contest(models.Model):
    """A seal run by a regional government (or nationally), edition after edition."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seal contest")
        verbose_name_plural = _("seal contests")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "es").startswith("en") and self.name_en:
            return self.name_en
        return self.name_es


class Edition(models.Model):
    """One year of a contest: its fund, legal resolution, calendar, cuts and rules."""

    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="editions")
    year = models.PositiveSmallIntegerField(_("year"))
    fund = models.DecimalField(_("fund (PEN)"), max_digits=14, decimal_places=2)
    legal_resolution = models.CharField(_("legal resolution"), max_length=250, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Lima")
    appeal_days = models.PositiveSmallIntegerField(
        _("days to appeal"),
        default=5,
        help_text=_("Days after a publication of the scores during which municipalities appeal."),
    )
    rules_version = models.ForeignKey(
        "RulesVersion",
        verbose_name=_("rules in force"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when registration opens; the rules cannot change after that."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["contest_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "year"], name="one_edition_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.contest} {self.year}"

    @property
    def rules_frozen(self) -> bool:
        return self.rules_version_id is not None


class Phase(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(
        _("phase"),
        max_length=16,
        choices=[
            (PhaseKind.PREPARATION.value, _("Preparation")),
            (PhaseKind.REGISTRATION.value, _("Call and registration")),
            (PhaseKind.CONTEST.value, _("Contest")),
            (PhaseKind.VERIFICATION.value, _("Verification cuts")),
            (PhaseKind.EVALUATION.value, _("Evaluation")),
            (PhaseKind.AWARDS.value, _("Awards")),
            (PhaseKind.TRANSFERS.value, _("Transfers")),
        ],
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["edition_id", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "kind"], name="one_phase_of_each_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.get_kind_display()}"


class Cut(models.Model):
    """A verification cut: indicators are read at `evaluation_date`; the means of
    verification are due by `evidence_deadline` (about ten days later)."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="cuts")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    evaluation_date = models.DateField(_("evaluation date"))
    evidence_deadline = models.DateTimeField(_("evidence deadline"))
    reply_days = models.PositiveSmallIntegerField(_("days to answer an observation"), default=5)
    readings_frozen_at = models.DateTimeField(_("readings frozen"), null=True, blank=True)
    readings_frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("verification cut")
        verbose_name_plural = _("verification cuts")
        ordering = ["edition_id", "evidence_deadline"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="unique_cut_code"),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.name}"


class RulesVersion(models.Model):
    """One version of an edition's rules (a RULES.json document); never edited in place."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="rules_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    document = models.TextField(_("rules (RULES.json)"))
    note = models.CharField(_("what changed"), max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rules version")
        verbose_name_plural = _("rules versions")
        ordering = ["edition_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "number"], name="unique_rules_version"),
        ]

    def __str__(self) -> str:
        return f"{self.edition} v{self.number}"


class RegistrationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    OBSERVED = "observed", _("Observed")
    APPROVED = "approved", _("Approved")


class Registration(models.Model):
    """A municipality's registration in an edition: it accepts the rules in force and
    uploads its council act (*acta de sesión de concejo*); the coordinator approves it or
    observes it (the municipality then submits again)."""

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="registrations")
    municipality = models.ForeignKey(
        Institution, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="+"
    )
    rules_version = models.ForeignKey(
        RulesVersion,
        verbose_name=_("rules accepted"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.SUBMITTED,
    )
    category = models.CharField(_("category"), max_length=50, blank=True)
    council_act = models.FileField(_("council act"), upload_to="contests/council_acts/")
    council_act_sha256 = models.CharField(max_length=64)
    council_act_size = models.PositiveBigIntegerField()
    council_act_type = models.CharField(max_length=100)
    observation = models.TextField(_("observation"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["edition_id", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "municipality"], name="one_registration_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.municipality}"


class AuditEntry(models.Model):
    """Who did what to a contest, when, before and after, and why (append-only)."""

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["edition_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"


class EvidenceStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    OBSERVED = "observed", _("Observed")
    REJECTED = "rejected", _("Rejected")


class Evidence(models.Model):
    """A municipality's means of verification for one evidence criterion at one cut: its
    files, an optional value and a comment. After the cut's deadline it is immutable,
    except to answer an observation within its reply window."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="evidence"
    )
    cut = models.ForeignKey(Cut, on_delete=models.PROTECT, related_name="evidence")
    criterion = models.CharField(_("criterion"), max_length=50)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=EvidenceStatus.choices, default=EvidenceStatus.SUBMITTED
    )
    reply_until = models.DateTimeField(_("reply until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who made the last decision (an evaluator, or a coordinator on appeal)."),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("means of verification")
        verbose_name_plural = _("means of verification")
        ordering = ["registration_id", "cut_id", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "cut", "criterion"],
                name="one_evidence_per_criterion_and_cut",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration.municipality} {self.cut.code} {self.criterion}"


class EvidenceFile(models.Model):
    """One uploaded file; never replaced or deleted (a later file is added beside it)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="contests/evidence/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["evidence_id", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


# --- scoring, awards and appeals ---------------------------------------------------------

# Figures from the analytics store (floats) are frozen as decimals with this many places.
READING_PLACES = 6


class IndicatorReading(models.Model):
    """The analytics value of an indicator criterion for a municipality at a cut, copied
    once when the coordinator freezes the cut's readings and never changed: what every
    publication scores, whatever the analytics store says later. `value` None is "no
    data" (`reason` says why: no indicator sheet, no result, or the analytics reason such
    as a zero denominator); the engine scores it 0 and leaves it out of category averages.

    `target` is only set when the criterion has no target in the rules: it is then the
    municipality's own target for the period in the indicators app. A target written in the
    rules (approved by resolution) is never replaced by another figure."""

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="+")
    cut = models.ForeignKey(Cut, on_delete=models.PROTECT, related_name="readings")
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="readings"
    )
    criterion = models.CharField(_("criterion"), max_length=50)
    indicator = models.CharField(_("indicator"), max_length=50, blank=True)
    value = models.DecimalField(
        _("value"), max_digits=24, decimal_places=READING_PLACES, null=True, blank=True
    )
    baseline = models.DecimalField(
        _("baseline"), max_digits=24, decimal_places=READING_PLACES, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=24, decimal_places=READING_PLACES, null=True, blank=True
    )
    period = models.CharField(_("period"), max_length=20)
    baseline_period = models.CharField(_("baseline period"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=250, blank=True)
    reason = models.CharField(_("why there is no value"), max_length=30, blank=True)
    read_at = models.DateTimeField(_("read"))

    class Meta:
        verbose_name = _("frozen indicator reading")
        verbose_name_plural = _("frozen indicator readings")
        ordering = ["cut_id", "registration_id", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["cut", "registration", "criterion"], name="one_reading_per_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cut.code} {self.registration_id} {self.criterion}: {self.value}"


class ScoreVersion(models.Model):
    """One publication of an edition's scores: the cuts it includes, who published it and
    why, and where the fund went. Versions are numbered 1, 2, … and never changed; the
    public sees the latest and may select any earlier one."""

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="score_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    rules_version = models.ForeignKey(RulesVersion, on_delete=models.PROTECT, related_name="+")
    cuts = models.JSONField(_("cuts included"), default=list)
    all_cuts = models.BooleanField(_("every cut included"), default=False)
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    fund = models.DecimalField(_("fund (PEN)"), max_digits=14, decimal_places=2)
    awarded = models.DecimalField(_("awarded (PEN)"), max_digits=14, decimal_places=2)
    remainder = models.DecimalField(_("remainder (PEN)"), max_digits=14, decimal_places=2)
    remainder_policy = models.CharField(_("remainder policy"), max_length=20)
    allocation_notes = models.JSONField(_("allocation explained"), default=list)

    class Meta:
        verbose_name = _("published scores")
        verbose_name_plural = _("published scores")
        ordering = ["edition_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "number"], name="unique_score_version"),
        ]

    def __str__(self) -> str:
        return f"{self.edition} v{self.number}"


class RankingEntry(models.Model):
    """A municipality's consolidated result in a version: points by component, total,
    eligibility (with every reason it is not eligible) and rank within its category.
    `name`, `category` and `population` are as they were at publication."""

    version = models.ForeignKey(ScoreVersion, on_delete=models.PROTECT, related_name="entries")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("municipality"), max_length=200)
    category = models.CharField(_("category"), max_length=50)
    population = models.PositiveBigIntegerField(_("population"))
    components = models.JSONField(_("points by component"), default=list)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    eligible = models.BooleanField(_("eligible"))
    reasons = models.JSONField(_("why not eligible"), default=list)
    rank = models.PositiveIntegerField(_("rank in its category"))
    global_rank = models.PositiveIntegerField(_("rank among all"))
    decided_by = models.CharField(_("tie decided by"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        ordering = ["version_id", "global_rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "registration"], name="one_entry_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.name}: {self.total}"


class CriterionScore(models.Model):
    """What a municipality earned for a criterion at a cut in a version, and why.

    `explanation` keeps the engine's messages as codes with their parameters (rendered in
    the reader's language by `message_json.message_text`), with the data behind them, as
    documented in `message_json.explanation_dump`."""

    version = models.ForeignKey(
        ScoreVersion, on_delete=models.PROTECT, related_name="criterion_scores"
    )
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    cut = models.ForeignKey(Cut, on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(_("criterion"), max_length=50)
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    maximum = models.DecimalField(_("maximum"), max_digits=10, decimal_places=2)
    met = models.BooleanField(_("met"))
    explanation = models.JSONField(_("explanation"))

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["version_id", "registration_id", "cut_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "registration", "cut", "criterion"],
                name="one_score_per_criterion_and_cut",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.cut.code} {self.criterion}: {self.points}"


class AwardLine(models.Model):
    """A place won in a version: the tier, the place, the category it was contested in
    (empty for a global tier) and the money (None for a medal): `base` is the tier's
    amount, `extra` a share of a redistributed remainder, `amount` their sum."""

    version = models.ForeignKey(ScoreVersion, on_delete=models.PROTECT, related_name="awards")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(_("order"))
    tier = models.CharField(_("tier"), max_length=100)
    category = models.CharField(_("category"), max_length=50, blank=True)
    place = models.PositiveSmallIntegerField(_("place"))
    rank = models.PositiveIntegerField(_("rank"))
    base = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    extra = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount = models.DecimalField(
        _("amount (PEN)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["version_id", "order"]

    def __str__(self) -> str:
        return f"{self.version} {self.tier} {self.place}: {self.amount}"


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    """A municipality's appeal of a decision on its means of verification, filed within
    the edition's `appeal_days` after the publication of `version`, and resolved by a
    coordinator; an accepted appeal approves the evidence (a new, audited review)."""

    version = models.ForeignKey(ScoreVersion, on_delete=models.PROTECT, related_name="appeals")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="appeals")
    cut = models.ForeignKey(Cut, on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(_("criterion"), max_length=50)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # A second evaluator's opinion, asked by a coordinator when the decision is disputed;
    # the coordinator's resolution stays the final word (it changes nothing by itself).
    second_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    second_requested_at = models.DateTimeField(_("second review asked"), null=True, blank=True)
    second_decision = models.CharField(
        _("second reviewer's decision"),
        max_length=12,
        blank=True,
        choices=[
            (EvidenceStatus.APPROVED.value, _("Approve the means of verification")),
            (EvidenceStatus.REJECTED.value, _("Uphold the decision")),
        ],
    )
    second_reason = models.TextField(_("second reviewer's reason"), blank=True)
    second_decided_at = models.DateTimeField(_("second review given"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["filed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.registration} {self.cut.code} {self.criterion}: {self.status}"


# --- mail and evaluators ------------------------------------------------------------------


class Reminder(models.Model):
    """A deadline reminder sent to a municipality: at most one per cut and number of days
    before its deadline, whatever how often the reminders command runs."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="reminders"
    )
    cut = models.ForeignKey(Cut, on_delete=models.PROTECT, related_name="+")
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    recipients = models.JSONField(_("recipients"), default=list)
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["cut_id", "registration_id", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "cut", "days_before"], name="one_reminder_per_day_before"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration} {self.cut.code} -{self.days_before}d"


class ReviewerAssignment(models.Model):
    """What an evaluator reviews in an edition: a component of the rules (`component`,
    "" for any), a municipality (`municipality`, None for any), or a component in one
    municipality. When an edition has assignments, each evaluator reviews only the
    evidence their own assignments cover; without any, every evaluator reviews all (never
    their own territory, in both cases)."""

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="reviewer_assignments"
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    component = models.CharField(_("component"), max_length=50, blank=True)
    municipality = models.ForeignKey(
        Institution,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("evaluator assignment")
        verbose_name_plural = _("evaluator assignments")
        ordering = ["edition_id", "evaluator_id", "component", "municipality_id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(component="") | models.Q(municipality__isnull=False),
                name="assignment_names_component_or_municipality",
            ),
            models.UniqueConstraint(
                fields=["edition", "evaluator", "component", "municipality"],
                name="unique_assignment",
            ),
            models.UniqueConstraint(
                fields=["edition", "evaluator", "component"],
                condition=models.Q(municipality__isnull=True),
                name="unique_component_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.evaluator} {self.component} {self.municipality or ''}"
