"""The engine's rules written plainly with pandas, as the benchmark's yardstick.

It computes and persists what the engine's full refresh computes and persists: every column
of `RESULT_COLUMNS` for every indicator result, and a copy of the facts.

1. Element aggregates (in memory only; the engine does not persist them either) for every
   element x territory at every level x period (month, quarter, semester, year) x
   breakdown ("" and each option of the element):
   - SUM: the sum of the values of the territory's subtree and of the sub-periods;
   - AVERAGE: in space the population-weighted mean over the territories with a value
     (carried up the tree as sum(w * v) and sum(w)); in time the plain mean of the months
     that have one. In floats: the engine's states are decimals converted from doubles, so
     the two can differ in the last bits (within the cross-check's 1e-9), and equal
     averages (40.6 and 40.6 at two districts) can come out a bit apart, in a different
     order in each: such ranks are compared as ties (see `analytics.py`);
   - LAST: summed over territories per month, then the latest month that has a value;
   a breakdown is the sum over the combinations that contain its option.
2. Indicator values from the aggregated elements, never from averaged ratios:
   `k * N / D` (Σnum/Σden), `A + B`, or an element itself; missing when a referenced element
   has no value there (missing is not zero), missing with `zero_denominator` when D = 0. A
   row exists wherever at least one referenced element has a value; an indicator's
   breakdowns are the options all its elements share.
3. Derived figures, with the semantics of the engine's `derive.py` / `derive_series.py`;
   a series is (indicator, territory, breakdown, period type) ordered by the period:
   - `change_previous`: value minus the value of the period just before (both present);
   - `change_base`: value minus the value of the same sub-period of the indicator's
     `base_year` (2023Q3 against 2015Q3, 202307 against 201507);
   - `trend_slope`: OLS slope through the periods p-4 … p that have a value (x = ordinal
     offset from p), when p has a value and there are >= 3 points; the sums are built in
     the engine's order (lags 1 … 4), so equal inputs give equal bits;
   - `target` / `target_period`: the territory's target for exactly this period, else the
     one with the nearest later end (ties: the finest period); total breakdown only;
   - `forecast` = value + slope x (periods of this type from p to the one the target ends
     in); `status`: on_track when the judged figure meets the target by polarity, at_risk
     when it misses by at most tolerance x |target|, off_track otherwise; the judged figure
     is the forecast when the target ends after p, else the value;
     `forecast_meets_target`: the forecast meets the target by polarity;
   - `rank` / `rank_of`: among siblings (same indicator, parent, period, breakdown; the
     roots among the roots) with a value, 1 = best by polarity, ties share the smallest
     rank (`rank(method="min")`); rank_of = how many siblings have a value;
   - `reported_children` / `expected_children`: direct children with a result row in the
     same indicator, period and breakdown / all direct children; NULL for leaves;
   - `from_successors`: always false.
4. Persistence: the results with all those columns (`indicator_result.parquet`) and the
   facts (`fact.parquet`) in the output directory.

It is written the way a competent analyst would with pandas (integer codes, categoricals,
one groupby per step, the tree climbed level by level; the series figures as shifts of the
frame sorted by series, the sibling figures as one groupby, targets as a merge and a
`merge_asof`, the base value as a lookup), not as a strawman; no Python loop over rows or
groups. What it exploits of the synthetic set (`synthetic.py`), and so does not handle:
facts only at the leaves (districts), no retired territories (every territory is valid in
every period, no figure is continued from successors: `expected_children` is the number of
children and `from_successors` is false), calendar periods only (no weeks), monthly
elements and indicators, formulas without period offsets.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from minka.analytics.engine.model import (
    RESULT_COLUMNS,
    Aggregation,
    Catalogue,
    Polarity,
    Reason,
    Status,
)

try:  # run as a script from bench/ or imported as bench.baseline_pandas
    from synthetic import IndicatorShape, plain_result
except ImportError:  # pragma: no cover
    from bench.synthetic import IndicatorShape, plain_result

PERIOD_TYPES = ("Yearly", "SixMonthly", "Quarterly", "Monthly")  # coarse to fine
PER_YEAR = np.array([1, 2, 4, 12])  # periods per year, by PERIOD_TYPES index
TREND_WINDOW = 5  # p-4 … p
TREND_MINIMUM = 3
REASONS = [Reason.MISSING_DATA.value, Reason.ZERO_DENOMINATOR.value]
STATUSES = [Status.ON_TRACK.value, Status.AT_RISK.value, Status.OFF_TRACK.value]
_PERIOD_FORM = re.compile(r"(\d{4})(?:S([12])|Q([1-4])|(\d{2}))?")


@dataclass
class PandasStats:
    facts: int
    element_aggregates: int  # computed, not persisted (as in the engine)
    indicator_results: int
    targets: int
    seconds: float  # the whole refresh, wall clock
    seconds_values: float  # element aggregation + indicator values
    seconds_derived: float  # derived figures and the result table
    seconds_persist: float  # Parquet: results and the facts' copy
    cpu_values: float  # the same three phases in CPU seconds (all threads)
    cpu_derived: float
    cpu_persist: float


def _periods(first_month: int, n_months: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """All period ids (years, semesters, quarters, months), one row each, with their type
    (PERIOD_TYPES index), ordinal (consecutive per type), year and last month (absolute
    month number, year x 12 + month - 1); and month -> period-index maps."""
    rows: list[tuple[str, int, int, int, int]] = []
    maps: dict[str, np.ndarray] = {}
    months = np.arange(first_month, first_month + n_months)
    year, month0 = months // 12, months % 12
    for type_index, period_type in enumerate(PERIOD_TYPES):
        per_year = int(PER_YEAR[type_index])
        ordinal = year * per_year + month0 * per_year // 12
        unique = np.unique(ordinal)
        base = len(rows)
        for o in unique.tolist():
            y, i = divmod(o, per_year)
            text = (f"{y}", f"{y}S{i + 1}", f"{y}Q{i + 1}", f"{y}{i + 1:02d}")[type_index]
            rows.append((text, type_index, o, y, y * 12 + (i + 1) * 12 // per_year - 1))
        maps[period_type] = (base + np.searchsorted(unique, ordinal)).astype(np.int16)
    frame = pd.DataFrame(rows, columns=["period", "type", "ordinal", "year", "last_month"])
    return frame, maps


def _period_months(text: str) -> tuple[int, int, int] | None:
    """(type index, first month, last month) of a calendar period id; None otherwise."""
    match = _PERIOD_FORM.fullmatch(text)
    if not match:
        return None
    year, semester, quarter, month = match.groups()
    y = int(year) * 12
    if semester:
        return 1, y + 6 * (int(semester) - 1), y + 6 * int(semester) - 1
    if quarter:
        return 2, y + 3 * (int(quarter) - 1), y + 3 * int(quarter) - 1
    if month:
        return (3, y + int(month) - 1, y + int(month) - 1) if 1 <= int(month) <= 12 else None
    return 0, y, y + 11


def pandas_refresh(
    facts: pa.Table, catalogue: Catalogue, shapes: list[IndicatorShape], out_dir: Path
) -> tuple[PandasStats, pd.DataFrame]:
    """Compute and persist; returns stats and the indicator results (for the cross-check)."""
    start, cpu_start = time.perf_counter(), time.process_time()
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
    period_dim, period_maps = _periods(first_month, n_months)
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
    n_aggregates = len(aggregates)
    del out, by_rule

    # Indicators: pivot the aggregates wide (one column per element) and compute. The key
    # is laid out (territory, breakdown, period) so that the pivot's sorted index leaves
    # each indicator's rows in series order, ready for the shifts of step 3.
    n_p, n_b = len(period_dim), len(breakdowns)
    aggregates["k"] = (aggregates["t"].to_numpy().astype(np.int64) * n_b
                       + aggregates["b"].to_numpy()) * n_p + aggregates["p"].to_numpy()
    wide = aggregates.pivot(index="k", columns="e", values="value")
    del aggregates
    k = wide.index.to_numpy()
    k_t, k_b, k_p = k // (n_p * n_b), (k // n_p) % n_b, k % n_p
    results = []
    for shape_index, shape in enumerate(shapes):
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
            reason = np.where(missing, 0, np.where(zero, 1, -1))
        else:
            val = num + den if shape.kind == "sum" else num
            reason = np.where(missing, 0, -1)
        results.append(pd.DataFrame({
            "i": np.int8(shape_index),
            "t": k_t[rows].astype(np.int32),
            "b": k_b[rows].astype(np.int8),
            "p": k_p[rows].astype(np.int16),
            "value": val,
            "numerator": num if shape.kind == "ratio" else np.nan,
            "denominator": den if shape.kind == "ratio" else np.nan,
            "reason": reason.astype(np.int8),
        }))
    res = pd.concat(results, ignore_index=True)
    del results, wide
    values_done, cpu_values_done = time.perf_counter(), time.process_time()

    res, target_periods = _derive(res, catalogue, shapes, period_dim, parent, n_b)

    # The result table: RESULT_COLUMNS, text as categoricals (built without copying).
    p = res["p"].to_numpy()
    labels = {
        "indicator": (res["i"].to_numpy(), [s.code for s in shapes]),
        "period": (p, period_dim["period"].tolist()),
        "period_type": (period_dim["type"].to_numpy()[p], list(PERIOD_TYPES)),
        "breakdown": (res["b"].to_numpy(), breakdowns),
        "reason": (res["reason"].to_numpy(), REASONS),
        "target_period": (res["target_period"].to_numpy(), target_periods),
        "status": (res["status"].to_numpy(), STATUSES),
    }
    columns: dict[str, object] = {}
    for name in RESULT_COLUMNS:
        if name in labels:
            columns[name] = pd.Categorical.from_codes(*labels[name])
        elif name == "territory_id":
            columns[name] = territory_ids[res["t"].to_numpy()]
        else:
            columns[name] = res[name]
    indicators = pd.DataFrame(columns, copy=False)
    del res, columns, labels
    computed, cpu_computed = time.perf_counter(), time.process_time()

    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(indicators, preserve_index=False),
                   out_dir / "indicator_result.parquet")
    pq.write_table(facts, out_dir / "fact.parquet")
    end, cpu_end = time.perf_counter(), time.process_time()
    stats = PandasStats(
        facts=facts.num_rows, element_aggregates=n_aggregates,
        indicator_results=len(indicators), targets=len(catalogue.targets),
        seconds=end - start,
        seconds_values=values_done - start, seconds_derived=computed - values_done,
        seconds_persist=end - computed, cpu_values=cpu_values_done - cpu_start,
        cpu_derived=cpu_computed - cpu_values_done, cpu_persist=cpu_end - cpu_computed,
    )
    return stats, indicators


def _derive(res: pd.DataFrame, catalogue: Catalogue, shapes: list[IndicatorShape],
            period_dim: pd.DataFrame, parent: np.ndarray, n_b: int
            ) -> tuple[pd.DataFrame, list[str]]:
    """Add the derived columns to `res` (columns i, t, b, p, value, …; sorted by
    indicator, territory, breakdown, period index, so by series then time); also returns
    the target periods (the codes of the `target_period` column)."""
    specs = {spec.code: spec for spec in catalogue.indicators}
    spec_of = [specs[s.code] for s in shapes]
    higher = np.array([s.polarity is Polarity.HIGHER_IS_BETTER for s in spec_of])
    tolerance = np.array([s.tolerance for s in spec_of])
    base_year = np.array([np.nan if s.base_year is None else s.base_year for s in spec_of])
    n_t, n_p = len(parent), len(period_dim)
    i = res["i"].to_numpy().astype(np.int64)
    t = res["t"].to_numpy().astype(np.int64)
    b = res["b"].to_numpy().astype(np.int64)
    p = res["p"].to_numpy()
    value = res["value"]
    p_type = period_dim["type"].to_numpy()
    p_ordinal = period_dim["ordinal"].to_numpy()

    # Series figures: change and trend as shifts of the frame (sorted by series, then time)
    # masked to the same series and to the window p-4 … p.
    series = pd.Series(((i * n_t + t) * n_b + b) * len(PERIOD_TYPES) + p_type[p])
    ordinal = pd.Series(p_ordinal[p])
    n = pd.Series(np.ones(len(res)))
    sx, sy, sxx, sxy = n * 0.0, value.copy(), n * 0.0, n * 0.0
    for lag in range(1, TREND_WINDOW):
        lag_value, lag_ordinal = value.shift(lag), ordinal.shift(lag)
        same = series.shift(lag) == series
        if lag == 1:
            res["change_previous"] = (value - lag_value).where(same & (lag_ordinal
                                                                       == ordinal - 1))
        m = same & lag_value.notna() & (lag_ordinal >= ordinal - (TREND_WINDOW - 1))
        x = (lag_ordinal - ordinal).where(m, 0.0)
        y = lag_value.where(m, 0.0)
        n += m
        sx += x
        sy += y
        sxx += x * x
        sxy += x * y
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    res["trend_slope"] = slope.where(value.notna() & (n >= TREND_MINIMUM))
    del n, sx, sy, sxx, sxy, lag_value, lag_ordinal, same, m, x, y, slope

    # change_base: the value of the same sub-period of the base year, looked up in the
    # base-year rows by (series, ordinal).
    p_year = period_dim["year"].to_numpy()
    per_year = PER_YEAR[p_type[p]]
    base_ordinal = base_year[i] * per_year + (ordinal.to_numpy() - p_year[p] * per_year)
    stride = int(p_ordinal.max()) + 1
    in_base = p_year[p] == base_year[i]
    lookup = pd.Series(value.to_numpy()[in_base],
                       index=series.to_numpy()[in_base] * stride + ordinal.to_numpy()[in_base])
    wanted = pd.Series(np.where(np.isnan(base_ordinal), -1, series.to_numpy() * stride
                                + np.nan_to_num(base_ordinal)).astype(np.int64))
    res["change_base"] = value - wanted.map(lookup).to_numpy()
    del series, ordinal, lookup, wanted, base_ordinal, in_base

    # Siblings (same indicator, parent, period, breakdown; the roots together): one groupby
    # for rank and rank_of; its sizes are the parents' children reported.
    n_children = np.bincount(parent[parent >= 0], minlength=n_t)
    sibling = pd.Series(((i * (n_t + 1) + parent[t] + 1) * n_p + p) * n_b + b)
    signed = value.where(~higher[i], -value)
    grouped = signed.groupby(sibling, sort=False)
    res["rank"] = pd.array(grouped.rank(method="min"), dtype="Int32")
    res["rank_of"] = pd.array(grouped.transform("count").where(value.notna()), dtype="Int32")
    own = pd.Series(((i * (n_t + 1) + t + 1) * n_p + p) * n_b + b)
    reported = own.map(sibling.value_counts()).fillna(0).to_numpy()
    leaf = n_children[t] == 0
    res["reported_children"] = pd.arrays.IntegerArray(reported.astype(np.int32), leaf)
    res["expected_children"] = pd.arrays.IntegerArray(n_children[t].astype(np.int32), leaf)
    res["from_successors"] = False
    del sibling, signed, grouped, own, reported, leaf

    target_periods = _targets(res, catalogue, shapes, period_dim, higher, tolerance, n_t)
    return res, target_periods


def _targets(res: pd.DataFrame, catalogue: Catalogue, shapes: list[IndicatorShape],
             period_dim: pd.DataFrame, higher: np.ndarray, tolerance: np.ndarray,
             n_t: int) -> list[str]:
    """Add target, target_period (codes into the list returned), forecast, status (codes
    into STATUSES) and forecast_meets_target, for the total breakdown of the territories
    with targets: the exact period's target, else `merge_asof` forward on the period's last
    month to the nearest later end."""
    count = len(res)
    target_value = np.full(count, np.nan)
    target_code = np.full(count, -1, np.int16)
    forecast_value = np.full(count, np.nan)
    status_code = np.full(count, -1, np.int8)
    meets_value, meets_null = np.zeros(count, bool), np.ones(count, bool)
    shape_index = {s.code: n for n, s in enumerate(shapes)}
    nodes = sorted(node.id for node in catalogue.territories)
    targets = pd.DataFrame([(x.indicator, x.territory_id, x.period, float(x.value))
                            for x in catalogue.targets],
                           columns=["indicator", "territory_id", "target_period", "target"])
    # The last target given for an (indicator, territory, period) wins, as in the engine.
    targets = targets.drop_duplicates(["indicator", "territory_id", "target_period"],
                                      keep="last")
    targets = targets[targets["indicator"].isin(shape_index)
                      & targets["territory_id"].isin(nodes)]
    months = {text: _period_months(text) for text in targets["target_period"].unique()}
    target_periods = sorted(text for text, m in months.items() if m is not None)
    targets = targets[targets["target_period"].isin(target_periods)]
    if len(targets):
        targets = targets.join(pd.DataFrame(
            [months[x] for x in target_periods], index=pd.Index(target_periods),
            columns=["target_type", "target_start", "target_end"]), on="target_period")
        targets["it"] = (targets["indicator"].map(shape_index).astype(np.int64) * n_t
                         + np.searchsorted(nodes, targets["territory_id"].to_numpy()))
        row_period = pd.Series(np.arange(len(period_dim)), index=period_dim["period"])
        targets["p"] = targets["target_period"].map(row_period).fillna(-1).astype(np.int64)
        targets["target_period"] = pd.Categorical(targets["target_period"],
                                                  categories=target_periods).codes

        # The rows that can have a target: total breakdown, (indicator, territory) with one.
        it = res["i"].to_numpy().astype(np.int64) * n_t + res["t"].to_numpy()
        rows = np.flatnonzero((res["b"].to_numpy() == 0)
                              & np.isin(it, targets["it"].unique()))
        p = res["p"].to_numpy()[rows].astype(np.int64)
        frame = pd.DataFrame({"row": rows, "it": it[rows], "p": p,
                              "end": period_dim["last_month"].to_numpy()[p]})
        exact = frame.merge(targets[["it", "p", "target", "target_period", "target_end"]],
                            on=["it", "p"], how="left")
        # One target per end date, the finest (latest start), for "the nearest later end".
        later = targets.sort_values(["target_end", "target_start"]).drop_duplicates(
            ["it", "target_end"], keep="last")[["it", "target_end", "target", "target_period"]]
        nearest = pd.merge_asof(frame.sort_values("end", kind="stable"), later,
                                left_on="end", right_on="target_end", by="it",
                                direction="forward").sort_values("row")
        has_exact = exact["target"].notna().to_numpy()
        chosen = {column: np.where(has_exact, exact[column].to_numpy(),
                                   nearest[column].to_numpy())
                  for column in ("target", "target_period", "target_end")}
        found = ~np.isnan(chosen["target"])
        rows, p = rows[found], p[found]
        target = chosen["target"][found]
        end = chosen["target_end"][found].astype(np.int64)
        indicator = res["i"].to_numpy()[rows]
        per_year = PER_YEAR[period_dim["type"].to_numpy()[p]]
        steps = ((end // 12) * per_year + (end % 12) * per_year // 12
                 - period_dim["ordinal"].to_numpy()[p])
        target_later = end > period_dim["last_month"].to_numpy()[p]
        value = res["value"].to_numpy()[rows]
        forecast = value + res["trend_slope"].to_numpy()[rows] * steps
        judged = np.where(target_later, forecast, value)
        up = higher[indicator]
        gap = np.where(up, target - judged, judged - target)
        with np.errstate(invalid="ignore"):
            status = np.select([np.isnan(gap), gap <= 0,
                                gap <= tolerance[indicator] * np.abs(target)], [-1, 0, 1], 2)
            meets = np.where(up, forecast >= target, forecast <= target)
        target_value[rows] = target
        target_code[rows] = chosen["target_period"][found]
        forecast_value[rows] = forecast
        status_code[rows] = status
        meets_value[rows], meets_null[rows] = meets, np.isnan(forecast)
    res["target"] = target_value
    res["target_period"] = target_code
    res["forecast"] = forecast_value
    res["status"] = status_code
    res["forecast_meets_target"] = pd.arrays.BooleanArray(meets_value, meets_null)
    return target_periods


def pandas_lookup(indicators: pd.DataFrame, keys: list[tuple[str, int, str, str]]) -> list[dict]:
    """The rows of `keys` (indicator, territory_id, period, breakdown) as plain dicts with
    every RESULT_COLUMNS column (None for NULL) and `found`."""
    wanted = pd.DataFrame(keys, columns=["indicator", "territory_id", "period", "breakdown"])
    subset = indicators[indicators["indicator"].isin(set(wanted["indicator"]))
                        & indicators["territory_id"].isin(set(wanted["territory_id"]))
                        & indicators["period"].isin(set(wanted["period"]))]
    subset = subset.astype({"indicator": str, "period": str, "breakdown": str})
    merged = wanted.merge(subset.assign(found=True), how="left",
                          on=["indicator", "territory_id", "period", "breakdown"])
    found = merged["found"].notna().tolist()
    records = merged.astype(object).where(merged.notna(), None).to_dict("records")
    return [{**plain_result(row), "found": f} for row, f in zip(records, found, strict=True)]
