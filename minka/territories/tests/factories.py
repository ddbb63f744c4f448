"""Factories for territories and institutions (tests only): real Cusco codes by default."""

from __future__ import annotations

from minka.territories.models import Institution, Level, Population, Sex, Territory
from minka.territories.services import institution_create, municipality_name, territory_create


def make_territory(
    *, country: str = "PE", code: str, name: str, level: str, parent: Territory | None = None
) -> Territory:
    return territory_create(country=country, code=code, name=name, level=level, parent=parent)


def make_municipality(*, territory: Territory) -> Institution:
    level = "provincial" if territory.level == Level.PROVINCE else "district"
    return institution_create(
        name=municipality_name(territory=territory),
        kind=Institution.Kind.MUNICIPALITY,
        government_level=level,
        territory=territory,
    )


def make_population(*, territory: Territory, year: int, total: int, male: int, female: int) -> None:
    for sex, value in ((Sex.TOTAL, total), (Sex.MALE, male), (Sex.FEMALE, female)):
        Population.objects.create(territory=territory, year=year, sex=sex, value=value)


class CuscoTree:
    """A small slice of the real tree: Peru > Cusco > Cusco province > two districts,
    and Apurímac > Abancay > Abancay district for an 'other region'."""

    def __init__(self) -> None:
        self.peru = make_territory(code="PE", name="Perú", level=Level.COUNTRY)
        self.cusco = make_territory(code="08", name="CUSCO", level=Level.REGION, parent=self.peru)
        self.cusco_province = make_territory(
            code="0801", name="CUSCO", level=Level.PROVINCE, parent=self.cusco
        )
        self.cusco_district = make_territory(
            code="080101", name="CUSCO", level=Level.DISTRICT, parent=self.cusco_province
        )
        self.san_jeronimo = make_territory(
            code="080104", name="SAN JERÓNIMO", level=Level.DISTRICT, parent=self.cusco_province
        )
        self.apurimac = make_territory(
            code="03", name="APURÍMAC", level=Level.REGION, parent=self.peru
        )
        self.abancay_province = make_territory(
            code="0301", name="ABANCAY", level=Level.PROVINCE, parent=self.apurimac
        )
        self.abancay = make_territory(
            code="030101", name="ABANCAY", level=Level.DISTRICT, parent=self.abancay_province
        )
        self.muni_cusco = make_municipality(territory=self.cusco_district)
        self.muni_san_jeronimo = make_municipality(territory=self.san_jeronimo)
        self.muni_cusco_province = make_municipality(territory=self.cusco_province)
        self.muni_abancay = make_municipality(territory=self.abancay)
