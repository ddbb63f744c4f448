"""Synthetic monthly health records for the demo: plausible, deterministic, clearly fake.

Why synthetic: the demo must show monthly anaemia, chronic malnutrition (DCI) and CRED
figures for every district of Cusco, and no open source publishes those counts by district
and month. So `scripts/build_demo_data.py` draws them once with a fixed seed and commits the
result (minka/demo/demo_data/indicators.json), labelled "Datos sintéticos de demostración"
wherever it is stored. Nothing here pretends to be a measurement.

The model, per district (its 2025 population and its real 2018 poverty rate):
- children 6–35 months screened for haemoglobin (HIS) each month ≈ 10 % of the district's
  children of that age, with a collapse in April–December 2020 (the pandemic) and noise;
- anaemia among them: Cusco's prevalence ~53 % in 2019, a bump in 2020, falling to ~40 %
  by 2025, plus 0.3 points per point of poverty above the regional mean, a fixed random
  district effect, +6u points in the rural area and −6(1−u) in the urban one (u = urban
  share, so the district mean is unchanged), ±1 point by sex;
- children under 5 evaluated (SIEN) and DCI among them: ~19 % in 2019 to ~15 % in 2025,
  more strongly tied to poverty (0.35 points per point), by sex only;
- children who turned 12 months and those with their CRED controls complete for age:
  coverage ~55 % in 2019 (~35 % in 2020), ~68 % by 2025, by sex only;
- ~3 % of district-months are not reported at all (more in the last months of 2025, as
  late reports do): every count of that district and month is absent (missing is not zero).
Only the anaemia counts are split by area as well as by sex: every further split multiplies
the values `make demo` must write (the seed has to stay under a minute), and the anaemia
gap between rural and urban children is the one the demo shows.
Counts of cases are binomial draws from the counts screened, so a case count never exceeds
its denominator (the demo's validation rule holds by construction).

Pure computation: no Django imports; the same seed gives byte-identical output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SYNTHETIC_SEED = 20260308
FIRST_YEAR = 2019
LAST_YEAR = 2025
SEXES = ("FEMALE", "MALE")
AREAS = ("URBAN", "RURAL")

# Regional level by year (percent), read at mid-year and interpolated month by month.
ANAEMIA_LEVEL = {2019: 53.5, 2020: 54.5, 2021: 52.0, 2022: 48.5, 2023: 45.5, 2024: 42.5,
                 2025: 40.0}
DCI_LEVEL = {2019: 19.0, 2020: 19.5, 2021: 18.5, 2022: 17.5, 2023: 16.5, 2024: 15.5,
             2025: 15.0}
CRED_LEVEL = {2019: 55.0, 2020: 36.0, 2021: 50.0, 2022: 58.0, 2023: 62.0, 2024: 65.0,
              2025: 68.0}


@dataclass(frozen=True)
class DistrictProfile:
    """What the model needs of a real district; `poverty` is None where INEI has no figure."""

    code: str
    population: int
    poverty: float | None


@dataclass(frozen=True)
class MonthlySeries:
    """One element and disaggregation: per territory, one value per period (None = missing)."""

    element: str
    combination: str
    values: dict[str, list[int | None]]


def monthly_periods(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[str]:
    return [f"{year}{month:02d}" for year in range(first_year, last_year + 1)
            for month in range(1, 13)]


def synthetic_monthly(
    districts: Sequence[DistrictProfile],
    *,
    seed: int = SYNTHETIC_SEED,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> tuple[list[str], list[MonthlySeries]]:
    """The periods and the series of the six demo elements for these districts."""
    rng = random.Random(seed)
    periods = monthly_periods(first_year, last_year)
    profiles = sorted(districts, key=lambda d: d.code)
    known = [d for d in profiles if d.poverty is not None]
    weight = sum(d.population for d in known) or 1
    mean_poverty = sum(d.population * (d.poverty or 0.0) for d in known) / weight
    series: dict[tuple[str, str], dict[str, list[int | None]]] = {}

    def put(element: str, combination: str, code: str, value: int | None) -> None:
        series.setdefault((element, combination), {}).setdefault(code, []).append(value)

    for district in profiles:
        poverty = mean_poverty if district.poverty is None else district.poverty
        gap = poverty - mean_poverty
        urban = min(0.98, max(0.1, 1.02 - 0.013 * poverty))
        area_share = {"URBAN": urban, "RURAL": 1.0 - urban}
        children_6_35 = district.population * (0.038 + 0.0003 * poverty)
        under_5 = district.population * (0.075 + 0.0004 * poverty)
        births = district.population * (0.0155 + 0.00012 * poverty)
        anaemia_effect = 0.30 * gap + rng.gauss(0.0, 3.0)
        dci_effect = 0.35 * gap + rng.gauss(0.0, 2.0)
        cred_effect = -0.05 * gap + rng.gauss(0.0, 6.0)
        for period in periods:
            year, month = int(period[:4]), int(period[4:])
            late = year == last_year and month >= 10
            if rng.random() < (0.08 if late else 0.028):
                for element, combos in _COMBINATIONS.items():
                    for combination in combos:
                        put(element, combination, district.code, None)
                continue
            activity = _activity(year, month)
            anaemia = _level(ANAEMIA_LEVEL, year, month) + anaemia_effect
            dci = _level(DCI_LEVEL, year, month) + dci_effect
            cred = _level(CRED_LEVEL, year, month) + cred_effect
            for sex in SEXES:
                sex_shift = 1.0 if sex == "MALE" else -1.0
                for area in AREAS:
                    combination = f"{sex}|{area}"
                    share = 0.5 * area_share[area]
                    rural_shift = urban if area == "RURAL" else urban - 1.0
                    screened = _count(rng, children_6_35 * share * 0.10 * activity)
                    cases = _binomial(
                        rng, screened, _clamp(anaemia + 6.0 * rural_shift + sex_shift, 10, 85)
                    )
                    put("NINOS_6_35_TAMIZADOS", combination, district.code, screened)
                    put("NINOS_6_35_ANEMIA", combination, district.code, cases)
                evaluated = _count(rng, under_5 * 0.5 * 0.07 * activity)
                stunted = _binomial(rng, evaluated, _clamp(dci + sex_shift, 2, 60))
                put("NINOS_MENORES_5_EVALUADOS", sex, district.code, evaluated)
                put("NINOS_MENORES_5_DCI", sex, district.code, stunted)
                turned_12 = _count(rng, births * 0.5 / 12)
                complete = _binomial(rng, turned_12, _clamp(cred + sex_shift, 15, 95))
                put("NINOS_12M", sex, district.code, turned_12)
                put("CRED_COMPLETO_12M", sex, district.code, complete)
    return periods, [
        MonthlySeries(element=element, combination=combination,
                      values=series[(element, combination)])
        for element, combos in _COMBINATIONS.items() for combination in combos
    ]


_COMBINATIONS: dict[str, tuple[str, ...]] = {
    "NINOS_6_35_TAMIZADOS": tuple(f"{s}|{a}" for s in SEXES for a in AREAS),
    "NINOS_6_35_ANEMIA": tuple(f"{s}|{a}" for s in SEXES for a in AREAS),
    "NINOS_MENORES_5_EVALUADOS": SEXES,
    "NINOS_MENORES_5_DCI": SEXES,
    "NINOS_12M": SEXES,
    "CRED_COMPLETO_12M": SEXES,
}


def _level(levels: dict[int, float], year: int, month: int) -> float:
    """The regional level in a month: linear between mid-years, flat beyond the ends."""
    position = year + (month - 0.5) / 12 - 0.5
    low = math.floor(position)
    if low < min(levels):
        return levels[min(levels)]
    if low >= max(levels):
        return levels[max(levels)]
    fraction = position - low
    return levels[low] * (1 - fraction) + levels[low + 1] * fraction


def _activity(year: int, month: int) -> float:
    """How much of the usual work the health facilities did (the 2020 lockdown)."""
    if year == 2020 and 4 <= month <= 6:
        return 0.25
    if year == 2020 and month >= 7:
        return 0.55
    if year == 2021 and month <= 6:
        return 0.8
    return 1.0 + 0.05 * math.sin(2 * math.pi * month / 12)


def _count(rng: random.Random, expected: float) -> int:
    """A count around `expected` (±12 % log-normal noise), never negative."""
    return max(0, round(expected * math.exp(rng.gauss(0.0, 0.12))))


def _binomial(rng: random.Random, trials: int, percent: float) -> int:
    chance = percent / 100
    return sum(1 for _ in range(trials) if rng.random() < chance)


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def ratio_by_year(
    series: Sequence[MonthlySeries],
    periods: Sequence[str],
    *,
    numerator: str,
    denominator: str,
    year: int,
    group: Callable[[str], Sequence[str]],
) -> dict[str, float]:
    """100 × Σnumerator / Σdenominator over one year, for every group a district belongs to
    (`group("080101")` → ("08", "0801", "080101")): the baseline of a ratio indicator,
    computed the way the engine aggregates (sums first, one division last; missing months
    and combinations are simply not summed). A group whose denominator is 0 is left out."""
    months = [i for i, period in enumerate(periods) if period.startswith(str(year))]
    sums: dict[str, list[int]] = {}
    for item in series:
        if item.element not in (numerator, denominator):
            continue
        slot = 0 if item.element == numerator else 1
        for code, values in item.values.items():
            total = sum(values[i] or 0 for i in months)
            for key in group(code):
                sums.setdefault(key, [0, 0])[slot] += total
    return {key: 100 * num / den for key, (num, den) in sorted(sums.items()) if den}
