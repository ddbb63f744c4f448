"""A national-scale synthetic data set on the real Peru tree, for `bench/analytics.py`.

The tree is INEI's ubigeo list (25 regions, 196 provinces, 1,892 districts) read from
`shared/data`; territory ids are the INEI codes as integers (region 080000 -> 80000, province
080100 -> 80100, district 080101 -> 80101) and the country is 1, so every id is readable and
none collide. Everything else is invented, deterministically from a seed:

- 50 monthly data elements, 2015-01 to 2024-12 (120 months):
  - 40 SUM counts: S01-S10 by sex x area (FEMALE|URBAN ... 4 combinations), S11-S34 by sex
    (2 combinations), S35-S40 without disaggregation. A district reports an element in a
    month with its own reporting rate (about 80 %), so about a fifth of the element-district-
    months are missing (missing is not zero), and 1 % of the remaining single combinations
    are missing too (a partial breakdown);
  - 6 AVERAGE estimates A01-A06 (a prevalence in %), population-weighted, no
    disaggregation, complete (every district every month);
  - 4 LAST stocks L01-L04 by sex, complete.
  AVERAGE and LAST are complete on purpose: with every district reporting every month and one
  population figure per district-year, "weighted mean in space, then mean in time" and the
  other order give the same number, as do "latest month per district, summed" and "summed,
  then latest month"; the cross-check then compares the rules, not an order the docstrings
  leave open.
- 25 monthly indicators: R01-R20 `100 * #{num} / #{den}` over pairs of SUM elements with the
  same options; T01-T02 sums of two SUM elements; V01-V02 an AVERAGE element itself; P01
  `1000 * #{S15} / #{L01}` (a count per stock, SUM over LAST).
- population per territory and year (district: area x 2020 density from the ubigeo file,
  grown 2015-2024 at its own rate; provinces, regions and the country: sums).
- what drives the derived figures: every indicator has base year 2015 (change_base);
  R11-R20 are lower-is-better, the others higher-is-better (ranks, status), tolerance 0.1;
  R01-R10 have targets at every territory of the tree for 2022 and 2026 (uniform in
  20-90, 1 decimal; 42,280 at full scale), so periods up to 2022 are judged against 2022
  and later ones are forecast to 2026. No territory is retired (no successors).

Generation is vectorised with numpy (one loop over the 50 elements, none over rows) into a
pyarrow Table with exactly the columns of `FACT_COLUMNS`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from minka.analytics.engine.model import (
    POPULATION_WEIGHT,
    RESULT_COLUMNS,
    Aggregation,
    Catalogue,
    ElementSpec,
    IndicatorSpec,
    Polarity,
    Target,
    TerritoryNode,
)
from minka.analytics.engine.periods import PeriodType

COUNTRY_ID = 1
FIRST_YEAR = 2015
YEARS = 10
MONTHS = YEARS * 12
SEX = ("FEMALE", "MALE")
AREA = ("URBAN", "RURAL")
SEX_AREA_COMBINATIONS = tuple("|".join(sorted((s, a))) for s in SEX for a in AREA)
SEX_COMBINATIONS = SEX
TARGETED = tuple(f"R{n:02d}" for n in range(1, 11))  # indicators with targets
LOWER_IS_BETTER = tuple(f"R{n:02d}" for n in range(11, 21))
TARGET_YEARS = ("2022", "2026")
TARGET_RANGE = (20.0, 90.0)  # the ratios run roughly 30-90 %
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(frozen=True)
class Tree:
    """The territory tree: nodes plus the arrays the generator and baselines need."""

    nodes: tuple[TerritoryNode, ...]
    names: dict[int, str]
    district_ids: np.ndarray  # int64, sorted by ubigeo
    district_population_2020: np.ndarray  # float64, aligned with district_ids

    @property
    def parent(self) -> dict[int, int | None]:
        return {node.id: node.parent_id for node in self.nodes}

    @property
    def level(self) -> dict[int, str]:
        return {node.id: node.level for node in self.nodes}

    def children(self, territory_id: int) -> list[int]:
        return sorted(node.id for node in self.nodes if node.parent_id == territory_id)


@dataclass(frozen=True)
class IndicatorShape:
    """What an indicator computes, for the baselines that do not parse formulas.

    kind "ratio": factor * num / den; "sum": num + den; "element": num itself.
    """

    code: str
    kind: str
    num: str
    den: str | None = None
    factor: float = 1.0


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def load_peru_tree(data_dir: Path, *, scale: float = 1.0) -> Tree:
    """Country -> 25 regions -> 196 provinces -> 1,892 districts, joined on the INEI code.

    With `scale` < 1 only an evenly spread subset of districts is kept, with their provinces
    and regions: every region stays, the tree keeps its real shape, the set is smaller.
    """
    def rows(name: str) -> list[dict[str, str]]:
        with (data_dir / f"peru_ubigeo_{name}.csv").open(encoding="utf-8") as handle:
            # The distrito file has one row without an INEI code (RENIEC-only): skipped.
            return [r for r in csv.DictReader(handle)
                    if len(r["inei"]) == 6 and r["inei"].isdigit()]

    regions = {r["inei"]: r for r in rows("departamento")}
    provinces = {r["inei"]: r for r in rows("provincia")}
    districts = sorted(rows("distrito"), key=lambda r: r["inei"])
    if scale < 1.0:
        keep = max(1, round(len(districts) * scale))
        picks = np.unique(np.linspace(0, len(districts) - 1, keep).round().astype(int))
        districts = [districts[i] for i in picks]

    nodes = [TerritoryNode(id=COUNTRY_ID, parent_id=None, level="country")]
    names = {COUNTRY_ID: "PERU"}
    used_regions = sorted({d["inei"][:2] + "0000" for d in districts})
    used_provinces = sorted({d["inei"][:4] + "00" for d in districts})
    for code in used_regions:
        nodes.append(TerritoryNode(id=int(code), parent_id=COUNTRY_ID, level="region"))
        names[int(code)] = regions[code]["departamento"]
    for code in used_provinces:
        parent = code[:2] + "0000"
        nodes.append(TerritoryNode(id=int(code), parent_id=int(parent), level="province"))
        names[int(code)] = provinces[code]["provincia"]
    population = []
    for row in districts:
        code = row["inei"]
        nodes.append(TerritoryNode(id=int(code), parent_id=int(code[:4] + "00"), level="district"))
        names[int(code)] = row["distrito"]
        area, density = _float(row["superficie"]), _float(row["pob_densidad_2020"])
        population.append(area * density if area and density else np.nan)
    pop = np.array(population, dtype=np.float64)
    pop[~np.isfinite(pop)] = np.nanmedian(pop)
    pop = np.maximum(np.round(pop), 100.0)
    return Tree(
        nodes=tuple(nodes),
        names=names,
        district_ids=np.array([int(d["inei"]) for d in districts], dtype=np.int64),
        district_population_2020=pop,
    )


# ---- the catalogue ------------------------------------------------------------------------

def _element_plan() -> list[tuple[str, Aggregation, tuple[str, ...]]]:
    """(code, aggregation, combinations) of the 50 elements."""
    plan: list[tuple[str, Aggregation, tuple[str, ...]]] = []
    for i in range(1, 41):
        if i <= 10:
            combinations: tuple[str, ...] = SEX_AREA_COMBINATIONS
        elif i <= 34:
            combinations = SEX_COMBINATIONS
        else:
            combinations = ("",)
        plan.append((f"S{i:02d}", Aggregation.SUM, combinations))
    plan += [(f"A{i:02d}", Aggregation.AVERAGE, ("",)) for i in range(1, 7)]
    plan += [(f"L{i:02d}", Aggregation.LAST, SEX_COMBINATIONS) for i in range(1, 5)]
    return plan


def indicator_shapes() -> list[IndicatorShape]:
    shapes = [
        IndicatorShape(f"R{n:02d}", "ratio", f"S{2 * n - 1:02d}", f"S{2 * n:02d}", 100.0)
        for n in range(1, 21)
    ]
    shapes += [
        IndicatorShape("T01", "sum", "S11", "S13"),
        IndicatorShape("T02", "sum", "S35", "S37"),
        IndicatorShape("V01", "element", "A01"),
        IndicatorShape("V02", "element", "A02"),
        IndicatorShape("P01", "ratio", "S15", "L01", 1000.0),
    ]
    return shapes


def indicator_formula(shape: IndicatorShape) -> str:
    if shape.kind == "ratio":
        return f"{shape.factor:g} * #{{{shape.num}}} / #{{{shape.den}}}"
    if shape.kind == "sum":
        return f"#{{{shape.num}}} + #{{{shape.den}}}"
    return f"#{{{shape.num}}}"


def _options(combinations: tuple[str, ...]) -> frozenset[str]:
    return frozenset(o for c in combinations for o in c.split("|") if o)


def district_population(tree: Tree, seed: int) -> np.ndarray:
    """float64 [district, year] for 2015-2024, each district growing at its own rate."""
    rng = np.random.default_rng(seed + 1)
    growth = rng.uniform(-0.01, 0.02, size=len(tree.district_ids))
    years = np.arange(FIRST_YEAR, FIRST_YEAR + YEARS) - 2020
    return np.round(tree.district_population_2020[:, None] * (1 + growth[:, None]) ** years)


def build_catalogue(tree: Tree, *, seed: int = 20261122) -> Catalogue:
    elements = tuple(
        ElementSpec(
            code=code,
            aggregation=aggregation,
            period_type=PeriodType.MONTHLY,
            options=_options(combinations),
            weight=POPULATION_WEIGHT if aggregation is Aggregation.AVERAGE else None,
        )
        for code, aggregation, combinations in _element_plan()
    )
    indicators = tuple(
        IndicatorSpec(
            code=s.code, formula=indicator_formula(s), period_type=PeriodType.MONTHLY,
            polarity=(Polarity.LOWER_IS_BETTER if s.code in LOWER_IS_BETTER
                      else Polarity.HIGHER_IS_BETTER),
            base_year=FIRST_YEAR,
        )
        for s in indicator_shapes()
    )
    pop = district_population(tree, seed)
    # Every territory gets a figure (its districts' sum), so no weighting rule has to guess.
    parent = tree.parent
    totals: dict[int, np.ndarray] = {}
    for i, district in enumerate(tree.district_ids.tolist()):
        node: int | None = district
        while node is not None:
            totals[node] = totals.get(node, 0) + pop[i]
            node = parent[node]
    population = tuple(
        (territory, FIRST_YEAR + y, float(values[y]))
        for territory, values in sorted(totals.items())
        for y in range(YEARS)
    )
    return Catalogue(
        elements=elements, indicators=indicators, territories=tree.nodes, population=population,
        targets=build_targets(tree, seed),
    )


def build_targets(tree: Tree, seed: int) -> tuple[Target, ...]:
    """A target of R01-R10 for every territory of the tree (country, regions, provinces,
    districts) for each of TARGET_YEARS, uniform in TARGET_RANGE, 1 decimal (its own random
    stream: the facts and population do not change)."""
    rng = np.random.default_rng(seed + 2)
    keys = [(code, node.id, year) for code in TARGETED for node in tree.nodes
            for year in TARGET_YEARS]
    values = np.round(rng.uniform(*TARGET_RANGE, size=len(keys)), 1)
    return tuple(Target(indicator=code, territory_id=territory, period=year, value=float(v))
                 for (code, territory, year), v in zip(keys, values.tolist(), strict=True))


# ---- the facts ----------------------------------------------------------------------------

def month_ids() -> list[str]:
    return [f"{FIRST_YEAR + m // 12}{m % 12 + 1:02d}" for m in range(MONTHS)]


def _strings(indices: np.ndarray, dictionary: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(indices, type=pa.int32()), pa.array(dictionary, type=pa.string())
    ).cast(pa.string())


def generate_facts(tree: Tree, *, seed: int = 20261122) -> pa.Table:
    """The facts as an Arrow table with the columns of FACT_COLUMNS, ids 1..N."""
    rng = np.random.default_rng(seed)
    n_districts = len(tree.district_ids)
    pop = district_population(tree, seed)  # [district, year]
    month = np.arange(MONTHS)
    pop_dm = pop[:, month // 12]  # [district, month]
    season = 1.0 + 0.15 * np.sin(2 * np.pi * (month % 12) / 12.0)
    reporting = rng.beta(8.0, 2.0, size=n_districts)  # each district's reporting rate
    urban = rng.uniform(0.2, 0.9, size=n_districts)  # share of urban population

    plan = _element_plan()
    combination_names = sorted({c for _, _, cs in plan for c in cs})
    combination_index = {c: i for i, c in enumerate(combination_names)}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("e", "d", "m", "c", "v")}
    d_grid, m_grid = np.meshgrid(np.arange(n_districts), month, indexing="ij")
    d_flat, m_flat = d_grid.ravel(), m_grid.ravel()

    for e, (code, aggregation, combinations) in enumerate(plan):
        if aggregation is Aggregation.SUM:
            pair = (int(code[1:]) - 1) // 2
            den_rate = 2.0 + 18.0 * ((pair * 0.618) % 1.0)  # per 1,000 people per month
            rate = den_rate if int(code[1:]) % 2 == 0 else den_rate * (0.3 + 0.6 * rng.random())
            lam = rate * pop_dm / 1000.0 * season
            present = rng.random(lam.shape) < reporting[:, None]
        elif aggregation is Aggregation.LAST:
            lam = pop_dm / 800.0 * (1 + 0.01 * (month // 12))
            present = np.ones(lam.shape, dtype=bool)
        else:
            present = np.ones(pop_dm.shape, dtype=bool)
            lam = np.zeros(pop_dm.shape)
        for combination in combinations:
            share = np.ones(n_districts)
            for option in combination.split("|"):
                if option in SEX:
                    share = share * 0.5
                elif option == "URBAN":
                    share = share * urban
                elif option == "RURAL":
                    share = share * (1 - urban)
            if aggregation is Aggregation.AVERAGE:
                level = rng.uniform(10.0, 60.0, size=n_districts)[:, None]
                values = np.round(level + rng.normal(0.0, 2.0, size=pop_dm.shape), 1)
                keep = present
            else:
                values = rng.poisson(lam * share[:, None]).astype(np.float64)
                keep = present
                if aggregation is Aggregation.SUM and len(combinations) > 1:
                    keep = present & (rng.random(present.shape) >= 0.01)
            keep = keep.ravel()
            parts["e"].append(np.full(int(keep.sum()), e, dtype=np.int32))
            parts["d"].append(d_flat[keep].astype(np.int32))
            parts["m"].append(m_flat[keep].astype(np.int32))
            parts["c"].append(np.full(int(keep.sum()), combination_index[combination], np.int32))
            parts["v"].append(values.ravel()[keep])

    e_idx, d_idx, m_idx, c_idx = (np.concatenate(parts[k]) for k in "edmc")
    value = np.concatenate(parts["v"])
    n = len(value)
    return pa.table(
        {
            "id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "element": _strings(e_idx, [code for code, _, _ in plan]),
            "territory_id": pa.array(tree.district_ids[d_idx]),
            "period": _strings(m_idx, month_ids()),
            "combination": _strings(c_idx, combination_names),
            "value": pa.array(value, type=pa.float64()),
        }
    )


def plain_result(row: dict) -> dict:
    """A result row (engine or pandas) as JSON-able values by RESULT_COLUMNS type, None
    for NULL or NaN: how the implementations' rows are compared."""
    out = {}
    for name, sql_type in RESULT_COLUMNS.items():
        value = row.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out[name] = None
        elif sql_type == "DOUBLE":
            out[name] = float(value)
        elif sql_type in ("INTEGER", "BIGINT"):
            out[name] = int(value)
        elif sql_type == "BOOLEAN":
            out[name] = bool(value)
        else:
            out[name] = str(value)
    return out
