"""Derived figures: change, trend, forecast, status against targets, rank, completeness.

Computed over indicator values (`indicators.py`), per series = indicator × territory ×
breakdown × period type, ordered by the period's ordinal, all in numpy over the batch's
rows sorted once in RESULT_ORDER (`derive_series.py`: change, trend, rank, children
reported; `derive_targets.py`: targets, forecast, status; here: base values, children
expected, and the rows in the store's types):

- `change_previous`: value minus the value of the period just before (same type), when
  both exist;
- `change_base`: value minus the value of the same sub-period of the indicator's
  `base_year` (2023Q3 against 2015Q3);
- `trend_slope`: ordinary least squares slope per period through the periods p-4 … p that
  have a value, when p has one and there are at least 3 (x = ordinal − p's ordinal);
- target: the territory's target for exactly this period, else its target with the nearest
  later end (ties: the finest period); total breakdown only. `target` and `target_period`
  are the target used;
- `forecast`: value + slope × (periods of this type from p to the one the target ends in);
- `status`: on_track when the judged figure meets the target by polarity, at_risk when it
  misses by at most tolerance × |target|, off_track otherwise; the judged figure is the
  forecast when the target ends after this period, else the value;
- `rank`: among siblings (same parent, period and breakdown) valid in the period, not
  continued from successors, with a value; 1 is best by polarity; ties share the smallest
  rank ("1, 2, 2, 4"); `rank_of` counts them. Roots rank among roots;
- `reported_children` / `expected_children`: direct children valid in the period that have
  a figure (a row: some referenced element has data beneath them) / all of them; NULL for
  territories without children.

Rows of territories outside the tree, or of periods the dimensions do not hold, are not
output. Every figure of a row depends only on values of the same slice (indicator,
period) and of the four periods before it and the base period: the incremental refresh
recomputes exactly the slices whose inputs changed, and a test checks it matches a full
refresh.

Why numpy and not SQL: the joins of the figures to targets, base values and children
(an ASOF join for the nearest later target alone took ~20 s at a quarter of the national
scale, single-threaded) and the join-based write cost more than the figures themselves;
here each is a sorted lookup (`np.searchsorted`) on packed integer keys, and the rows
leave as one Arrow table in the store's column types, written with a plain INSERT.

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minka.analytics.engine.derive_series import (
    CHUNK_ROWS,
    PERIOD_SPAN,
    TREND_MINIMUM,
    TREND_WINDOW,
    Bools,
    Floats,
    Int32s,
    Ints,
    Layout,
    Rows,
    Slices,
    TerritoryTree,
    positions,
    series_figures,
)
from minka.analytics.engine.derive_targets import Targets, judge
from minka.analytics.engine.dimensions import (
    KEY_STRIDE,
    RANK_TYPE,
    TYPE_RANK,
    Dimensions,
    base_period,
    period_key,
    sql_run,
    step_traced,
)
from minka.analytics.engine.model import RESULT_COLUMNS, Polarity, Status

__all__ = [
    "RESULT_ORDER",
    "TREND_MINIMUM",
    "TREND_WINDOW",
    "DeriveInputs",
    "derive_compute",
    "derive_inputs",
]

RESULT_ORDER = "indicator_id, period_key, breakdown_id, territory_id"
"""How the store's rows are clustered: a page's query (one indicator, a few periods, one
breakdown, a hundred territories) then reads a few contiguous runs. Period keys order
types coarse to fine, then time."""

ROW_GROUP_ROWS = 122_880
"""DuckDB's row group: the rows leave in Arrow batches of this many, which an INSERT scans
in parallel (one batch would be one thread) and turns into whole row groups."""
_STATUSES = (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)
"""`derive_targets.judge`'s status codes 0, 1, 2."""


@dataclass(frozen=True)
class DeriveInputs:
    """What the derived figures read besides the batch's rows, for the periods of the
    dimensions it was made from (`derive_inputs`; make it again after `periods_add`).

    Periods: `period_keys` sorted, their `period_ends` (day numbers) and `period_codes`
    (position in the store's period dictionary, −1 if it cannot hold it). Base periods:
    `base_from` sorted indicator id × PERIOD_SPAN + period key, `base_to` the base period's
    key. Per indicator id: `higher` (higher is better) and `tolerance`. `dictionaries`: the
    values of the store's text columns (its ENUM types; the indicator's codes in id order),
    and `type_codes`, `breakdown_codes`, `status_codes` the positions in them of each type
    rank, breakdown id and status.
    """

    tree: TerritoryTree
    period_keys: Ints
    period_ends: Ints
    period_codes: Ints
    base_from: Ints
    base_to: Ints
    targets: Targets
    higher: Bools
    higher_ids: frozenset[int]
    tolerance: Floats
    dictionaries: dict[str, pa.Array]
    type_codes: Ints
    breakdown_codes: Ints
    status_codes: Ints


def derive_inputs(dims: Dimensions, dictionaries: Mapping[str, Sequence[str]]
                  ) -> DeriveInputs:
    """The inputs of the derived figures for the periods currently in `dims`.

    `dictionaries`: the values of each text result column's ENUM type, by column name
    (`pipeline.result_dictionaries`).
    """
    keys = sorted(dims.periods)
    periods = [dims.periods[k] for k in keys]
    starts = np.array([p.start.toordinal() for p in periods], dtype=np.int64)
    ends = np.array([p.end.toordinal() for p in periods], dtype=np.int64)
    territories = sorted(dims.catalogue.territories, key=lambda t: t.id)
    known = {t.id for t in territories}
    invalid_ids: list[Ints] = []
    invalid_keys: list[Ints] = []
    key_array = np.array(keys, dtype=np.int64)
    for territory in territories:
        if territory.valid_from is None and territory.valid_to is None:
            continue
        invalid = np.zeros(len(keys), dtype=bool)
        if territory.valid_from is not None:
            invalid |= territory.valid_from.toordinal() > ends
        if territory.valid_to is not None:
            invalid |= territory.valid_to.toordinal() < starts
        invalid_keys.append(key_array[invalid])
        invalid_ids.append(np.full(int(invalid.sum()), territory.id, dtype=np.int64))
    tree = TerritoryTree.build(
        np.array([t.id for t in territories], dtype=np.int64),
        pa.array([t.parent_id if t.parent_id in known else None for t in territories],
                 pa.int64()),
        (np.concatenate([np.zeros(0, np.int64), *invalid_ids]),
         np.concatenate([np.zeros(0, np.int64), *invalid_keys])),
    )

    base: dict[int, int] = {}
    for code, spec in dims.indicators.items():
        if spec.base_year is None:
            continue
        for key, period in dims.periods.items():
            if TYPE_RANK[period.type] > TYPE_RANK[spec.period_type]:
                continue
            found = base_period(period, spec.base_year)
            if found is not None:
                base[dims.indicator_id[code] * PERIOD_SPAN + key] = period_key(found)
    base_from = np.array(sorted(base), dtype=np.int64)

    encoded = {name: pa.array(list(values), pa.string())
               for name, values in dictionaries.items()}
    ids = sorted(dims.indicator_id, key=dims.indicator_id.__getitem__)
    encoded["indicator"] = pa.array(ids, pa.string())
    specs = [dims.indicators[c] for c in ids]
    period_positions = _positions(dictionaries["period"])
    return DeriveInputs(
        tree=tree,
        period_keys=key_array,
        period_ends=ends,
        period_codes=np.array([period_positions.get(p.id, -1) for p in periods],
                              dtype=np.int64),
        base_from=base_from,
        base_to=np.array([base[k] for k in sorted(base)], dtype=np.int64),
        targets=Targets.build(dims, tree.ids, period_positions),
        # Indexed by indicator id (ids are 1-based): position 0 is no indicator.
        higher=np.array([False] + [s.polarity is Polarity.HIGHER_IS_BETTER for s in specs]),
        higher_ids=frozenset(dims.indicator_id[s.code] for s in specs
                             if s.polarity is Polarity.HIGHER_IS_BETTER),
        tolerance=np.array([0.0] + [float(s.tolerance) for s in specs], dtype=np.float64),
        dictionaries=encoded,
        type_codes=_codes([RANK_TYPE[r].value for r in sorted(RANK_TYPE)],
                          dictionaries["period_type"]),
        breakdown_codes=_codes(sorted(dims.breakdown_id, key=dims.breakdown_id.__getitem__),
                               dictionaries["breakdown"]),
        status_codes=_codes([s.value for s in _STATUSES], dictionaries["status"]),
    )


def _positions(values: Sequence[str]) -> dict[str, int]:
    return {value: n for n, value in enumerate(values)}


def _codes(values: Sequence[str], dictionary: Sequence[str]) -> Ints:
    """The position of each value in `dictionary` (−1 when absent)."""
    positions = _positions(dictionary)
    return np.array([positions.get(v, -1) for v in values], dtype=np.int64)


def derive_compute(
    con: duckdb.DuckDBPyConnection,
    inputs: DeriveInputs,
    *,
    values: str,
    scope: str | None = None,
) -> pa.Table:
    """The result rows of the relation `values` (indicators.INDICATOR_VALUE_COLUMNS) as
    Arrow, RESULT_COLUMNS in the store's types (`_result_arrow`), in RESULT_ORDER, in
    batches of ROW_GROUP_ROWS.

    `values` must hold every row the output rows read: their series' 4 periods before and
    base period, their siblings (ranks) and children (completeness); `scope`
    (indicator_id, period_key, territory_id), if given, limits the rows output.
    """
    # Sorted once (RESULT_ORDER) before any figure is added: the store is then clustered
    # by indicator, period and breakdown (zone maps), and slices are runs of rows.
    table = sql_run(con, f"SELECT * FROM {values} ORDER BY {RESULT_ORDER}").to_arrow_table(
        batch_size=ROW_GROUP_ROWS * 8)
    rows = Rows.from_arrow(table)
    with step_traced(f"numpy series_figures ({table.num_rows} rows)"):
        layout = Layout.of(rows, inputs.tree)
        series = series_figures(rows, inputs.tree, inputs.higher_ids, layout=layout)
    with step_traced(f"numpy base values, targets, children ({table.num_rows} rows)"):
        figures = _row_figures(con, inputs, rows, layout, series, scope)
    with step_traced("arrow result rows"):
        return _result_arrow(inputs, table, series, figures)


@dataclass
class _Figures:
    """What `_row_figures` adds, per row of the batch (values and validity); the text
    columns as positions in the store's dictionaries (−1: NULL)."""

    output: Bools  # the territory and period are known, the row is in scope
    indicator: Int32s
    period: Int32s
    period_type: Int32s
    breakdown: Int32s
    change_base: Floats
    has_change_base: Bools
    target: Floats
    has_target: Bools
    target_period: Int32s
    forecast: Floats
    has_forecast: Bools
    status: Int32s
    meets: Bools
    has_children: Bools
    expected: Ints


def _row_figures(con: duckdb.DuckDBPyConnection, inputs: DeriveInputs, rows: Rows,
                 layout: Layout, series: dict[str, pa.Array], scope: str | None
                 ) -> _Figures:
    count = len(rows.indicator_id)
    tree = inputs.tree
    where, known, slices = layout.where, layout.known, layout.slices
    period_at, period_known = positions(inputs.period_keys, slices.period_key)
    output = known & slices.spread(period_known)
    if scope is not None:
        output &= _in_scope(con, scope, inputs, slices, period_at, where, known)
    change_base, has_change_base = _change_base(inputs, rows, layout, output)

    target = np.zeros(count)
    has_target = np.zeros(count, dtype=bool)
    target_period = np.full(count, -1, dtype=np.int32)
    forecast = np.zeros(count)
    has_forecast = np.zeros(count, dtype=bool)
    status = np.full(count, -1, dtype=np.int32)
    meets = np.zeros(count, dtype=bool)
    totals = np.flatnonzero(output & slices.spread(slices.breakdown == 0))
    total_slice = slices.number[totals]
    period_end = inputs.period_ends[period_at[total_slice]]
    chosen = inputs.targets.choose(slices.indicator[total_slice] * len(tree.ids)
                                   + where[totals], slices.period_key[total_slice], period_end)
    with_target = chosen >= 0
    if with_target.any():
        judged_rows, chosen = totals[with_target], chosen[with_target]
        indicator = slices.indicator[total_slice[with_target]]
        slope = series["trend_slope"].take(pa.array(judged_rows))
        judged = judge(
            inputs.targets, chosen,
            period_key=slices.period_key[total_slice[with_target]],
            period_end=period_end[with_target],
            value=rows.value[judged_rows], has_value=rows.has_value[judged_rows],
            slope=np.asarray(slope.to_numpy(zero_copy_only=False), dtype=np.float64),
            has_slope=np.asarray(slope.is_valid().to_numpy(zero_copy_only=False),
                                 dtype=bool),
            higher=inputs.higher[indicator], tolerance=inputs.tolerance[indicator])
        if (judged.period_code < 0).any():
            beyond = inputs.targets.period_id[int(chosen[np.argmin(judged.period_code)])]
            raise ValueError(f"the store's periods cannot hold the target period {beyond}")
        target[judged_rows], has_target[judged_rows] = judged.target, True
        target_period[judged_rows] = judged.period_code
        forecast[judged_rows] = judged.forecast
        has_forecast[judged_rows] = judged.forecast_valid
        status[judged_rows] = np.where(judged.status >= 0,
                                       inputs.status_codes[judged.status], -1)
        meets[judged_rows] = judged.meets

    return _Figures(
        output=output,
        indicator=slices.spread((slices.indicator - 1).astype(np.int32)),
        period=slices.spread(np.where(period_known, inputs.period_codes[period_at], -1
                                      ).astype(np.int32)),
        period_type=slices.spread(
            inputs.type_codes[slices.period_key // KEY_STRIDE].astype(np.int32)),
        breakdown=slices.spread(inputs.breakdown_codes[slices.breakdown].astype(np.int32)),
        change_base=change_base, has_change_base=has_change_base,
        target=target, has_target=has_target, target_period=target_period,
        forecast=forecast, has_forecast=has_forecast, status=status, meets=meets,
        has_children=known & tree.with_children(where),
        expected=tree.children_expected(where, rows.period_key),
    )


def _change_base(inputs: DeriveInputs, rows: Rows, layout: Layout, output: Bools
                 ) -> tuple[Floats, Bools]:
    """value − the value of the same territory and breakdown in the base period, for the
    output rows whose base row has a value (and which have one)."""
    count = len(rows.indicator_id)
    change = np.zeros(count)
    valid = np.zeros(count, dtype=bool)
    if not len(inputs.base_from):
        return change, valid
    slices = layout.slices
    at, based = positions(inputs.base_from,
                          slices.indicator * PERIOD_SPAN + slices.period_key)
    base_slice = slices.find(np.where(based, inputs.base_to[at], -1))
    for start in range(0, count, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, count)
        base = layout.index.find(base_slice[slices.number[start:stop]],
                                 layout.where[start:stop])
        valid[start:stop] = (output[start:stop] & rows.has_value[start:stop] & (base >= 0)
                             & rows.has_value[base])
        with np.errstate(all="ignore"):  # IEEE results (inf) as DuckDB's
            change[start:stop] = rows.value[start:stop] - rows.value[base]
    return change, valid


def _in_scope(con: duckdb.DuckDBPyConnection, scope: str, inputs: DeriveInputs,
              slices: Slices, period_at: Ints, where: Ints, known: Bools) -> Bools:
    """Whether each row's (indicator, period, territory) is in the relation `scope`
    (rows of unknown territories or periods: any answer, they are not output)."""
    found = sql_run(con, f"SELECT indicator_id, period_key, territory_id FROM {scope}"
                    ).to_arrow_table()
    periods, territories = len(inputs.period_keys), len(inputs.tree.ids)
    period, period_known = positions(
        inputs.period_keys, np.asarray(found.column("period_key").to_numpy(), np.int64))
    territory, territory_known = inputs.tree.locate(
        np.asarray(found.column("territory_id").to_numpy(), np.int64))
    indicator = np.asarray(found.column("indicator_id").to_numpy(), dtype=np.int64)
    chosen = period_known & territory_known
    wanted = np.unique((indicator[chosen] * periods + period[chosen]) * territories
                       + territory[chosen])
    own = slices.spread(slices.indicator * periods + period_at) * territories + where
    return positions(wanted, own)[1] & known


def _result_arrow(inputs: DeriveInputs, table: pa.Table, series: dict[str, pa.Array],
                  figures: _Figures) -> pa.Table:
    """The output rows as Arrow, each column in the store's type and order: the text
    columns dictionary-encoded with the store's ENUM values as dictionaries (DuckDB then
    converts each dictionary once per vector, not each row), the others as stored."""
    dictionaries = inputs.dictionaries
    no_children = ~figures.has_children
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "indicator": _encoded(figures.indicator, dictionaries["indicator"]),
        "territory_id": table.column("territory_id"),
        "period": _encoded(figures.period, dictionaries["period"]),
        "period_type": _encoded(figures.period_type, dictionaries["period_type"]),
        "breakdown": _encoded(figures.breakdown, dictionaries["breakdown"]),
        "value": table.column("value"),
        "numerator": table.column("numerator"),
        "denominator": table.column("denominator"),
        "reason": _reasons(table.column("reason"), dictionaries["reason"]),
        "target": pa.array(figures.target, mask=~figures.has_target),
        "target_period": _encoded(figures.target_period, dictionaries["target_period"]),
        "status": _encoded(figures.status, dictionaries["status"]),
        "change_previous": series["change_previous"],
        "change_base": pa.array(figures.change_base, mask=~figures.has_change_base),
        "trend_slope": series["trend_slope"],
        "forecast": pa.array(figures.forecast, mask=~figures.has_forecast),
        "forecast_meets_target": pa.array(figures.meets, mask=~figures.has_forecast),
        "rank": series["rank"],
        "rank_of": series["rank_of"],
        "reported_children": pa.array(
            np.asarray(series["reported"].to_numpy(zero_copy_only=False), dtype=np.int32),
            mask=no_children),
        "expected_children": pa.array(figures.expected.astype(np.int32), mask=no_children),
        "from_successors": table.column("from_successors"),
    }
    assert list(columns) == list(RESULT_COLUMNS)
    result = pa.table(columns)
    if not figures.output.all():
        result = result.filter(pa.array(figures.output))
    return pa.Table.from_batches(result.to_batches(max_chunksize=ROW_GROUP_ROWS),
                                 schema=result.schema)


def _encoded(codes: Int32s, dictionary: pa.Array) -> pa.DictionaryArray:
    """A dictionary-encoded column: `codes` are positions in `dictionary`, −1 NULL."""
    missing = codes < 0
    if missing.any():
        return pa.DictionaryArray.from_arrays(
            pa.array(np.where(missing, 0, codes), mask=missing), dictionary)
    return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary)


def _reasons(column: pa.ChunkedArray, dictionary: pa.Array) -> pa.DictionaryArray:
    """The reasons (text) as positions in the store's reason dictionary."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    codes = pc.index_in(column, value_set=dictionary)
    if codes.null_count != column.null_count:
        unknown = pc.filter(column, pc.and_(pc.is_null(codes), pc.is_valid(column)))
        raise ValueError(f"the store's reasons cannot hold {unknown[0]}")
    indices = codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes
    return pa.DictionaryArray.from_arrays(indices, dictionary)
