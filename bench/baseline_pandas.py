"""The engine's aggregation rules written plainly with pandas, as the benchmark's yardstick.

What it computes (and nothing more; no trends, ranks, targets or status):
1. element aggregates for every element x territory at every level x period (month,
   quarter, semester, year) x breakdown ("" and each option of the element):
   - SUM: the sum of the values of the territory's subtree and of the sub-periods;
   - AVERAGE: in space the population-weighted mean over the territories with a value
     (carried up the tree as sum(w * v) and sum(w)); in time the plain mean of the months
     that have one;
   - LAST: summed over territories per month, then the latest month that has a value;
   a breakdown is the sum over the combinations that contain its option;
2. indicator values from the aggregated elements, never from averaged ratios:
   `k * N / D` (Σnum/Σden), `A + B`, or an element itself; missing when a referenced element
   has no value there (missing is not zero), missing with `zero_denominator` when D = 0. A
   row exists wherever at least one referenced element has a value; an indicator's
   breakdowns are the options all its elements share;
3. persistence: both tables to Parquet (`element_aggregate.parquet`,
   `indicator_result.parquet`) in the output directory.

It is written the way a competent analyst would with pandas (integer codes, categoricals,
one groupby per step, the tree climbed level by level), not as a strawman. Facts at
non-leaf territories are not handled (the synthetic set has none).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from minka.analytics.engine.model import Aggregation, Catalogue

try:  # run as a script from bench/ or imported as bench.baseline_pandas
    from synthetic import IndicatorShape
except ImportError:  # pragma: no cover
    from bench.synthetic import IndicatorShape

PERIOD_TYPES = ("Yearly", "SixMonthly", "Quarterly", "Monthly")


@dataclass
class PandasStats:
    facts: int
    element_aggregates: int
    indicator_results: int
    seconds: float
    seconds_persist: float


def _periods(first_month: int, n_months: int) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """All period ids (years, semesters, quarters, months) and month -> period-index maps."""
    ids: list[str] = []
    types: list[str] = []
    maps: dict[str, np.ndarray] = {}
    months = np.arange(first_month, first_month + n_months)
    year, month0 = months // 12, months % 12
    for period_type, per_year in (("Yearly", 1), ("SixMonthly", 2), ("Quarterly", 4),
                                  ("Monthly", 12)):
        ordinal = year * per_year + month0 * per_year // 12
        unique = np.unique(ordinal)
        base = len(ids)
        for o in unique.tolist():
            y, i = divmod(o, per_year)
            ids.append({"Yearly": f"{y}", "SixMonthly": f"{y}S{i + 1}",
                        "Quarterly": f"{y}Q{i + 1}", "Monthly": f"{y}{i + 1:02d}"}[period_type])
            types.append(period_type)
        maps[period_type] = (base + np.searchsorted(unique, ordinal)).astype(np.int16)
    return ids, types, maps


def pandas_refresh(
    facts: pa.Table, catalogue: Catalogue, shapes: list[IndicatorShape], out_dir: Path
) -> tuple[PandasStats, pd.DataFrame]:
    """Compute and persist; returns stats and the indicator results (for the cross-check)."""
    start = time.perf_counter()
    df = facts.select(["element", "territory_id", "period", "combination", "value"]).to_pandas()

    # Integer codes for everything.
    elements = list(catalogue.elements)
    element_index = {spec.code: i for i, spec in enumerate(elements)}
    aggregation = np.array([spec.aggregation.value for spec in elements])
    element_cat = df["element"].astype("category")
    e = np.array([element_index[c] for c in element_cat.cat.categories], np.int16)[
        element_cat.cat.codes.to_numpy()]
    period_cat = df["period"].astype("category")
    month_of_cat = np.array([int(p[:4]) * 12 + int(p[4:]) - 1 for p in period_cat.cat.categories])
    month_abs = month_of_cat[period_cat.cat.codes.to_numpy()]
    first_month = int(month_abs.min())
    n_months = int(month_abs.max()) - first_month + 1
    month = (month_abs - first_month).astype(np.int16)

    nodes = sorted(catalogue.territories, key=lambda n: n.id)
    territory_ids = np.array([n.id for n in nodes], np.int64)
    position = {n.id: i for i, n in enumerate(nodes)}
    parent = np.array([position[n.parent_id] if n.parent_id is not None else -1 for n in nodes])
    depth = np.zeros(len(nodes), np.int8)
    for i in range(len(nodes)):
        j = parent[i]
        while j >= 0:
            depth[i] += 1
            j = parent[j]
    t = np.searchsorted(territory_ids, df["territory_id"].to_numpy()).astype(np.int32)

    options = sorted({o for spec in elements for o in spec.options})
    breakdowns = ["", *options]
    combination_cat = df["combination"].astype("category")
    combination_breakdown = pd.DataFrame(
        [(ci, 0) for ci in range(len(combination_cat.cat.categories))]
        + [(ci, breakdowns.index(o))
           for ci, combination in enumerate(combination_cat.cat.categories)
           for o in combination.split("|") if o],
        columns=["c", "b"],
    ).astype({"c": np.int8, "b": np.int8})

    # Population weight per fact (AVERAGE elements only; the others carry w = 0).
    years = sorted({year for _, year, _ in catalogue.population})
    pop = np.full((len(nodes), len(years)), np.nan)
    for territory, year, value in catalogue.population:
        pop[position[territory], years.index(year)] = value
    year_of_month = np.clip(
        (np.arange(first_month, first_month + n_months) // 12) - years[0], 0, len(years) - 1)
    is_average = aggregation[e] == Aggregation.AVERAGE.value
    weight = np.where(is_average, pop[t, year_of_month[month]], 0.0)
    value = df["value"].to_numpy()
    base = pd.DataFrame({
        "e": e, "t": t, "m": month, "c": combination_cat.cat.codes.to_numpy().astype(np.int8),
        "s1": np.where(is_average, weight * value, value), "s2": weight,
    })
    del df, element_cat, period_cat, combination_cat, value, weight, is_average

    # Breakdowns: each fact counts in the total and in each option of its combination.
    base = base.merge(combination_breakdown, on="c").drop(columns="c")
    keys = ["e", "t", "m", "b"]
    level = base.groupby(keys, sort=False, observed=True)[["s1", "s2"]].sum().reset_index()
    del base

    # Up the tree, one level at a time (district -> province -> region -> country).
    levels = [level]
    for d in range(int(depth.max()), 0, -1):
        child = pd.concat([frame[depth[frame["t"].to_numpy()] == d] for frame in levels])
        child = child.assign(t=parent[child["t"].to_numpy()].astype(np.int32))
        levels.append(child.groupby(keys, sort=False, observed=True)[["s1", "s2"]].sum()
                      .reset_index())
    months = pd.concat(levels, ignore_index=True)
    del levels, level
    agg_of_row = aggregation[months["e"].to_numpy()]
    months["value"] = np.where(agg_of_row == Aggregation.AVERAGE.value,
                               months["s1"] / months["s2"].where(months["s2"] != 0), months["s1"])
    months = months.drop(columns=["s1", "s2"])

    # Over periods: every coarser type straight from the months.
    period_ids, period_types, period_maps = _periods(first_month, n_months)
    out = []
    by_rule = {rule: months[agg_of_row == rule.value] for rule in
               (Aggregation.SUM, Aggregation.AVERAGE, Aggregation.LAST)}
    del months
    for period_type in PERIOD_TYPES:
        for rule, frame in by_rule.items():
            if frame.empty:
                continue
            if rule is Aggregation.LAST:
                frame = frame.sort_values("m", kind="stable")
            grouped = frame.assign(p=period_maps[period_type][frame["m"].to_numpy()]).groupby(
                ["e", "t", "p", "b"], sort=False, observed=True)["value"]
            reduced = {Aggregation.SUM: grouped.sum, Aggregation.AVERAGE: grouped.mean,
                       Aggregation.LAST: grouped.last}[rule]()
            out.append(reduced.reset_index())
    aggregates = pd.concat(out, ignore_index=True)
    del out, by_rule

    # Indicators: pivot the aggregates wide (one column per element) and compute.
    n_p, n_b = len(period_ids), len(breakdowns)
    aggregates["k"] = (aggregates["t"].to_numpy().astype(np.int64) * n_p
                       + aggregates["p"].to_numpy()) * n_b + aggregates["b"].to_numpy()
    wide = aggregates.pivot(index="k", columns="e", values="value")
    k = wide.index.to_numpy()
    k_t, k_p, k_b = k // (n_p * n_b), (k // n_b) % n_p, k % n_b
    results = []
    for shape in shapes:
        refs = [shape.num] + ([shape.den] if shape.den else [])
        shared = set.intersection(*(set(elements[element_index[r]].options) for r in refs))
        allowed = np.isin(k_b, [0] + [breakdowns.index(o) for o in shared])
        columns = [wide[element_index[r]].to_numpy() for r in refs]
        present = np.zeros(len(k), bool)
        for column in columns:
            present |= ~np.isnan(column)
        rows = allowed & present
        num = columns[0][rows]
        den = columns[1][rows] if len(columns) > 1 else np.full(int(rows.sum()), np.nan)
        missing = np.isnan(num) | (np.isnan(den) if shape.den else False)
        if shape.kind == "ratio":
            zero = ~missing & (den == 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(missing | zero, np.nan, shape.factor * num / den)
            reason = np.where(missing, "missing_data", np.where(zero, "zero_denominator", None))
        else:
            val = num + den if shape.kind == "sum" else num
            reason = np.where(missing, "missing_data", None)
        results.append(pd.DataFrame({
            "indicator": shape.code,
            "territory_id": territory_ids[k_t[rows]],
            "p": k_p[rows].astype(np.int16),
            "breakdown": k_b[rows].astype(np.int8),
            "value": val,
            "numerator": num if shape.kind == "ratio" else np.nan,
            "denominator": den if shape.kind == "ratio" else np.nan,
            "reason": reason,
        }))
    indicators = pd.concat(results, ignore_index=True)
    del results, wide

    type_code = np.array([PERIOD_TYPES.index(t) for t in period_types], np.int8)

    def labelled(frame: pd.DataFrame) -> pd.DataFrame:
        p = frame.pop("p").to_numpy()
        frame["period"] = pd.Categorical.from_codes(p, categories=period_ids)
        frame["period_type"] = pd.Categorical.from_codes(type_code[p], categories=PERIOD_TYPES)
        frame["breakdown"] = pd.Categorical.from_codes(frame["breakdown"].to_numpy(),
                                                       categories=breakdowns)
        return frame

    indicators["indicator"] = indicators["indicator"].astype("category")
    indicators["reason"] = indicators["reason"].astype("category")
    indicators = labelled(indicators)
    aggregates = aggregates.drop(columns="k").rename(columns={"b": "breakdown"})
    aggregates["element"] = pd.Categorical.from_codes(aggregates.pop("e").to_numpy(),
                                                      categories=[s.code for s in elements])
    aggregates["territory_id"] = territory_ids[aggregates.pop("t").to_numpy()]
    aggregates = labelled(aggregates)
    computed = time.perf_counter()

    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(aggregates, preserve_index=False),
                   out_dir / "element_aggregate.parquet")
    pq.write_table(pa.Table.from_pandas(indicators, preserve_index=False),
                   out_dir / "indicator_result.parquet")
    end = time.perf_counter()
    stats = PandasStats(
        facts=facts.num_rows, element_aggregates=len(aggregates),
        indicator_results=len(indicators), seconds=end - start, seconds_persist=end - computed,
    )
    return stats, indicators


def pandas_lookup(indicators: pd.DataFrame, keys: list[tuple[str, int, str, str]]) -> list[dict]:
    """The rows of `keys` (indicator, territory_id, period, breakdown) as plain dicts."""
    wanted = pd.DataFrame(keys, columns=["indicator", "territory_id", "period", "breakdown"])
    subset = indicators[indicators["indicator"].isin(set(wanted["indicator"]))
                        & indicators["territory_id"].isin(set(wanted["territory_id"]))
                        & indicators["period"].isin(set(wanted["period"]))]
    subset = subset.astype({"indicator": str, "period": str, "breakdown": str})
    merged = wanted.merge(subset, how="left", on=["indicator", "territory_id", "period",
                                                   "breakdown"])
    return [
        {"indicator": r.indicator, "territory_id": int(r.territory_id), "period": r.period,
         "breakdown": r.breakdown,
         "value": None if pd.isna(r.value) else float(r.value),
         "reason": None if pd.isna(r.reason) else str(r.reason)}
        for r in merged.itertuples(index=False)
    ]
