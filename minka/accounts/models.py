"""Users, their roles scoped to a territory or an institution, API tokens, login attempts.

Invariants (checked by constraints and by accounts.services.role_assign):
- a regional coordinator's scope is a region (their scope covers its whole subtree);
- a municipal official's scope is one municipality (an Institution of kind municipality);
- national admin, evaluator and viewer carry no scope.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. What they may do comes from their RoleAssignments only."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("National administrator")
    REGIONAL_COORDINATOR = "regional_coordinator", _("Regional coordinator")
    EVALUATOR = "evaluator", _("Evaluator")
    MUNICIPAL_OFFICIAL = "municipal_official", _("Municipal official")
    VIEWER = "viewer", _("Viewer")


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    territory = models.ForeignKey(
        "territories.Territory", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("territory"),
    )
    institution = models.ForeignKey(
        "territories.Institution", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("institution"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "territory", "institution"], name="unique_role_assignment"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="regional_coordinator", territory__isnull=False,
                             institution__isnull=True)
                    | models.Q(role="municipal_official", institution__isnull=False)
                    | models.Q(role__in=["national_admin", "evaluator", "viewer"],
                               territory__isnull=True, institution__isnull=True)
                ),
                name="role_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        scope = self.institution or self.territory or ""
        return f"{self.user} · {self.get_role_display()} {scope}".strip()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginAttempt(models.Model):
    """One failed sign-in, kept for throttling and for the audit of who tried what."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    attempted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} @ {self.attempted_at:%Y-%m-%d %H:%M}"
