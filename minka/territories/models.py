"""Territories: the tree every figure in Minka hangs from.

Invariants:
- `code` is the official code (INEI ubigeo, CUT, DGEEC) and is unique within its country.
- `path` is the materialised path of codes from the country down, ending with "/"
  (e.g. "PE/08/0801/080101/"). Descendants are `path__startswith`, ancestors are the codes
  in the path: both one query, never recursion in Python.
- A territory is never deleted once used: it is retired (`valid_to`) and linked to its
  successors, so history recorded against it stays readable.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PATH_SEPARATOR = "/"


class Level(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    LOCALITY = "locality", _("Locality")


LEVEL_DEPTH = {
    Level.COUNTRY: 0,
    Level.REGION: 1,
    Level.PROVINCE: 2,
    Level.DISTRICT: 3,
    Level.LOCALITY: 4,
}


class Territory(models.Model):
    country = models.CharField(_("country"), max_length=2, db_index=True)
    code = models.CharField(_("official code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    depth = models.PositiveSmallIntegerField(editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    capital = models.CharField(_("capital"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors"
    )

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["country", "code"], name="territory_code_per_country"),
        ]
        indexes = [models.Index(fields=["country", "level"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the country down to the parent, read from the path (no query)."""
        return self.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)[:-1]


class TerritoryAlias(models.Model):
    """Another scheme's code for the same territory (RENIEC's ubigeo, a 6-digit INEI form)."""

    class Scheme(models.TextChoices):
        RENIEC = "reniec", _("RENIEC ubigeo")
        INEI6 = "inei6", _("INEI ubigeo, six digits")
        ISO_3166_2 = "iso3166-2", _("ISO 3166-2")
        DHIS2 = "dhis2", _("DHIS2 organisation unit uid")
        OTHER = "other", _("Other")

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="aliases")
    scheme = models.CharField(_("scheme"), max_length=16, choices=Scheme.choices)
    code = models.CharField(_("code"), max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["territory", "scheme"], name="one_alias_per_scheme"),
        ]
        indexes = [models.Index(fields=["scheme", "code"])]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code}"


class Sex(models.TextChoices):
    TOTAL = "total", _("Total")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Area(models.TextChoices):
    TOTAL = "total", _("Total")
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class Population(models.Model):
    """A census or projection figure: one cell of year × sex × age group × area.

    `age_group` is "" for all ages; otherwise a label such as "0-4" or "65+".
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="population")
    year = models.PositiveSmallIntegerField(_("year"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.TOTAL)
    age_group = models.CharField(_("age group"), max_length=16, blank=True, default="")
    area = models.CharField(_("area"), max_length=8, choices=Area.choices, default=Area.TOTAL)
    value = models.PositiveBigIntegerField(_("population"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "year", "sex", "age_group", "area"],
                name="one_population_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.territory.code} {self.year} {self.sex}: {self.value}"


class Boundary(models.Model):
    """The territory's outline as a GeoJSON geometry (WGS 84), with where it came from."""

    territory = models.OneToOneField(Territory, on_delete=models.CASCADE, related_name="boundary")
    geometry = models.JSONField(_("geometry"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    def __str__(self) -> str:
        return f"boundary of {self.territory.code}"


class Institution(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        REGIONAL_GOVERNMENT = "regional_government", _("Regional government")
        MUNICIPALITY = "municipality", _("Municipality")
        HEALTH_NETWORK = "health_network", _("Health network")
        SCHOOL = "school", _("School")
        NGO = "ngo", _("NGO")
        COMPANY = "company", _("Company")
        COMMUNITY_ORGANISATION = "community_organisation", _("Community organisation")

    class GovernmentLevel(models.TextChoices):
        NATIONAL = "national", _("National")
        REGIONAL = "regional", _("Regional")
        PROVINCIAL = "provincial", pgettext_lazy("level of government", "Provincial")
        DISTRICT = "district", pgettext_lazy("level of government", "District")
        NONE = "none", _("Not a government")

    name = models.CharField(_("name"), max_length=250)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    government_level = models.CharField(
        _("level of government"), max_length=16, choices=GovernmentLevel.choices
    )
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    territory = models.ForeignKey(
        Territory, on_delete=models.PROTECT, related_name="institutions"
    )
    # Private to the institution and those who oversee it (see accounts.permissions).
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    technical_team_notes = models.TextField(_("technical team"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory"],
                condition=models.Q(kind="municipality"),
                name="one_municipality_per_territory",
            ),
        ]

    def __str__(self) -> str:
        return self.name
