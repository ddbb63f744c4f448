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
scale, single-threaded) and the join-based write cost more than the figures themselves.
Here what depends on a row's slice (period, base period, codes) is computed once per slice
(a few thousand per batch), rows of other periods are found through the batch's row index
(`derive_series.Layout`), targets by binary search in a small sorted table; the rows leave
a row group at a time as Arrow in the store's column types, written with a plain INSERT
(`pipeline._rows_write`).

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
    PERIOD_SPAN,
    TREND_MINIMUM,
    TREND_WINDOW,
    Bools,
    Floats,
    Int32s,
    Ints,
    Layout,
    Rows,
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
    values of the store's text columns (its ENUM types), and `indicator_codes`,
    `type_codes`, `breakdown_codes`, `status_codes` the positions in them of each indicator
    id, type rank, breakdown id and status.
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
    indicator_codes: Ints
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
        indicator_codes=_codes(["", *ids], dictionaries["indicator"]),
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
    values: str | pa.Table,
    scope: str | None = None,
) -> pa.Table:
    """The result rows of `values` (indicators.INDICATOR_VALUE_COLUMNS: a relation, or an
    Arrow table already in RESULT_ORDER, as `indicator_values_compute` gives it) as Arrow,
    RESULT_COLUMNS in the store's types (`_Batch.result`), in RESULT_ORDER, in batches of
    at most ROW_GROUP_ROWS.

    `values` must hold every row the output rows read: their series' 4 periods before and
    base period, their siblings (ranks) and children (completeness); `scope`
    (indicator_id, period_key, territory_id), if given, limits the rows output.
    """
    # Sorted once (RESULT_ORDER) before any figure is added: the store is then clustered
    # by indicator, period and breakdown (zone maps), and slices are runs of rows.
    table = values if isinstance(values, pa.Table) else sql_run(
        con, f"SELECT * FROM {values} ORDER BY {RESULT_ORDER}").to_arrow_table(
        batch_size=ROW_GROUP_ROWS * 8)
    rows = Rows.from_arrow(table)
    with step_traced(f"numpy series_figures ({table.num_rows} rows)"):
        layout = Layout.of(rows, inputs.tree)
        series = series_figures(rows, inputs.tree, inputs.higher_ids, layout=layout)
    with step_traced(f"numpy base values, targets, children, arrow ({table.num_rows} rows)"):
        batch = _Batch.of(con, inputs, table, rows, layout, series, scope)
        # A row group's rows at a time: the arrays stay small and their memory is reused.
        return pa.concat_tables([
            batch.result(start, min(start + ROW_GROUP_ROWS, table.num_rows))
            for start in range(0, max(table.num_rows, 1), ROW_GROUP_ROWS)])


@dataclass(frozen=True)
class _Batch:
    """A batch's rows (`table`, `rows`, `layout`), their `series` figures, and what the
    other figures need per slice: its period's position in the dimensions (`period_at`,
    `period_known`), its codes in the store's dictionaries, its base slice (−1 none).
    `scope`: the sorted packed (indicator, period, territory) keys to output
    (`_scope_keys`), None for all."""

    inputs: DeriveInputs
    table: pa.Table
    rows: Rows
    layout: Layout
    series: dict[str, pa.Array]
    period_at: Ints
    period_known: Bools
    indicator_code: Int32s
    period_code: Int32s
    type_code: Int32s
    breakdown_code: Int32s
    base_slice: Ints
    scope: Ints | None

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, inputs: DeriveInputs, table: pa.Table,
           rows: Rows, layout: Layout, series: dict[str, pa.Array], scope: str | None
           ) -> _Batch:
        slices = layout.slices
        period_at, period_known = positions(inputs.period_keys, slices.period_key)
        base_slice = np.full(len(slices.sizes), -1, dtype=np.int64)
        if len(inputs.base_from):
            at, based = positions(inputs.base_from,
                                  slices.indicator * PERIOD_SPAN + slices.period_key)
            base_slice = slices.find(np.where(based, inputs.base_to[at], -1))
        return cls(
            inputs=inputs, table=table, rows=rows, layout=layout, series=series,
            period_at=period_at, period_known=period_known,
            indicator_code=inputs.indicator_codes[slices.indicator].astype(np.int32),
            period_code=np.where(period_known, inputs.period_codes[period_at], -1
                                 ).astype(np.int32),
            type_code=inputs.type_codes[slices.period_key // KEY_STRIDE].astype(np.int32),
            breakdown_code=inputs.breakdown_codes[slices.breakdown].astype(np.int32),
            base_slice=base_slice,
            scope=None if scope is None else _scope_keys(con, scope, inputs),
        )

    def result(self, start: int, stop: int) -> pa.Table:
        """The output rows among rows start … stop − 1, as Arrow, each column in the
        store's type and order: the text columns dictionary-encoded with the store's ENUM
        values as dictionaries (DuckDB then converts each dictionary once per vector, not
        each row), the others as stored."""
        inputs, rows, slices = self.inputs, self.rows, self.layout.slices
        count = stop - start
        number = slices.number[start:stop]
        where, known = self.layout.where[start:stop], self.layout.known[start:stop]
        output = known & self.period_known[number]
        if self.scope is not None:
            own = (slices.indicator[number] * len(inputs.period_keys)
                   + self.period_at[number]) * len(inputs.tree.ids) + where
            output &= positions(self.scope, own)[1]
        # change_base: value − the value of the same territory and breakdown in the base
        # period, when both have one.
        base = self.layout.index.find(self.base_slice[number], where)
        value, has_value = rows.value[start:stop], rows.has_value[start:stop]
        has_change_base = output & has_value & (base >= 0) & rows.has_value[base]
        with np.errstate(all="ignore"):  # IEEE results (inf) as DuckDB's
            change_base = value - rows.value[base]
        target = _TargetColumns.of(self, start, count, np.flatnonzero(
            output & (slices.breakdown[number] == 0)))
        no_children = ~(known & inputs.tree.with_children(where))
        dictionaries = inputs.dictionaries

        def column(name: str) -> pa.ChunkedArray:
            return self.table.column(name).slice(start, count)

        def series(name: str) -> pa.Array:
            return self.series[name].slice(start, count)

        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "indicator": _encoded(self.indicator_code[number], dictionaries["indicator"]),
            "territory_id": column("territory_id"),
            "period": _encoded(self.period_code[number], dictionaries["period"]),
            "period_type": _encoded(self.type_code[number], dictionaries["period_type"]),
            "breakdown": _encoded(self.breakdown_code[number], dictionaries["breakdown"]),
            "value": column("value"),
            "numerator": column("numerator"),
            "denominator": column("denominator"),
            "reason": _reasons(column("reason"), dictionaries["reason"]),
            "target": pa.array(target.value, mask=~target.valid),
            "target_period": _encoded(target.period, dictionaries["target_period"],
                                      valid=target.valid),
            "status": _encoded(target.status, dictionaries["status"],
                               valid=target.has_status),
            "change_previous": series("change_previous"),
            "change_base": pa.array(change_base, mask=~has_change_base),
            "trend_slope": series("trend_slope"),
            "forecast": pa.array(target.forecast, mask=~target.has_forecast),
            "forecast_meets_target": pa.array(target.meets, mask=~target.has_forecast),
            "rank": series("rank"),
            "rank_of": series("rank_of"),
            "reported_children": pa.array(
                np.asarray(series("reported").to_numpy(zero_copy_only=False),
                           dtype=np.int32), mask=no_children),
            "expected_children": pa.array(
                inputs.tree.children_expected(where, rows.period_key[start:stop]),
                mask=no_children),
            "from_successors": column("from_successors"),
        }
        assert list(columns) == list(RESULT_COLUMNS)
        result = pa.table(columns)
        return result if output.all() else result.filter(pa.array(output))


@dataclass(frozen=True)
class _TargetColumns:
    """target, target_period, forecast, status and forecast_meets_target of some rows
    (values and validity; codes in the store's dictionaries)."""

    value: Floats
    valid: Bools  # also the validity of `period`
    period: Int32s
    forecast: Floats
    has_forecast: Bools  # also the validity of `meets`
    status: Int32s
    has_status: Bools
    meets: Bools

    @classmethod
    def of(cls, batch: _Batch, start: int, count: int, totals: Ints) -> _TargetColumns:
        """For rows start … start + count − 1 of `batch`, of which `totals` (relative to
        start) are output rows of the total breakdown, the only ones judged."""
        inputs, rows, slices = batch.inputs, batch.rows, batch.layout.slices
        found = cls(value=np.zeros(count), valid=np.zeros(count, dtype=bool),
                    period=np.zeros(count, dtype=np.int32), forecast=np.zeros(count),
                    has_forecast=np.zeros(count, dtype=bool),
                    status=np.zeros(count, dtype=np.int32),
                    has_status=np.zeros(count, dtype=bool), meets=np.zeros(count, dtype=bool))
        number = slices.number[start + totals]
        period_end = inputs.period_ends[batch.period_at[number]]
        chosen = inputs.targets.choose(
            slices.indicator[number] * len(inputs.tree.ids)
            + batch.layout.where[start + totals], slices.period_key[number], period_end)
        judged = chosen >= 0
        if not judged.any():
            return found
        at, number, chosen = totals[judged], number[judged], chosen[judged]
        indicator = slices.indicator[number]
        slope = batch.series["trend_slope"].take(pa.array(start + at))
        figures = judge(
            inputs.targets, chosen, period_key=slices.period_key[number],
            period_end=period_end[judged], value=rows.value[start + at],
            has_value=rows.has_value[start + at],
            slope=np.asarray(slope.to_numpy(zero_copy_only=False), dtype=np.float64),
            has_slope=np.asarray(slope.is_valid().to_numpy(zero_copy_only=False),
                                 dtype=bool),
            higher=inputs.higher[indicator], tolerance=inputs.tolerance[indicator])
        if (figures.period_code < 0).any():
            beyond = inputs.targets.period_id[int(chosen[np.argmin(figures.period_code)])]
            raise ValueError(f"the store's periods cannot hold the target period {beyond}")
        found.value[at], found.valid[at] = figures.target, True
        found.period[at] = figures.period_code
        found.forecast[at], found.has_forecast[at] = figures.forecast, figures.forecast_valid
        found.status[at] = inputs.status_codes[np.maximum(figures.status, 0)]
        found.has_status[at] = figures.status >= 0
        found.meets[at] = figures.meets
        return found


def _scope_keys(con: duckdb.DuckDBPyConnection, scope: str, inputs: DeriveInputs) -> Ints:
    """The rows of the relation `scope` (indicator_id, period_key, territory_id) of known
    periods and territories, as sorted keys (indicator × periods + period position) ×
    territories + territory position."""
    found = sql_run(con, f"SELECT indicator_id, period_key, territory_id FROM {scope}"
                    ).to_arrow_table()
    period, period_known = positions(
        inputs.period_keys, np.asarray(found.column("period_key").to_numpy(), np.int64))
    territory, territory_known = inputs.tree.locate(
        np.asarray(found.column("territory_id").to_numpy(), np.int64))
    indicator = np.asarray(found.column("indicator_id").to_numpy(), dtype=np.int64)
    chosen = period_known & territory_known
    return np.unique((indicator[chosen] * len(inputs.period_keys) + period[chosen])
                     * len(inputs.tree.ids) + territory[chosen])


def _encoded(codes: Int32s, dictionary: pa.Array, *, valid: Bools | None = None
             ) -> pa.DictionaryArray:
    """A dictionary-encoded column: `codes` are positions in `dictionary`; NULL where
    not `valid`, or where a code is −1."""
    missing = None if valid is None else ~valid
    if valid is None and (codes < 0).any():
        missing = codes < 0
        codes = np.where(missing, 0, codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=missing), dictionary)


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
