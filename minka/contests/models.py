"""Seal contests: the contest, its yearly editions with their calendar and verification
cuts, the rules as versioned documents, registrations and the audit log.

The rules are one JSON document per version (the RULES.json format of `simulate_awards`,
parsed and checked by `engine.files`), so what a coordinator simulates is exactly what the
engine scores; a version is frozen (`Edition.rules_version`) when registration opens, and
every registration records the version it accepted.
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
