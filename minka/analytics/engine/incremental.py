"""The incremental refresh: which figures a set of changed facts can move, and nothing more.

A changed fact of element E, territory T and period P (E's own type) can change:
1. E's aggregates for T and its ancestors, for P and every period containing it; and those
   of the AVERAGE elements weighted by E, for the periods reading E's changed values;
2. the values of each indicator I that reads E, for those periods (and, for a reference
   `#{E}[-k]`, the periods k steps later), at the types I reports (the *value slices*),
   for the *changed territories*: T, its ancestors, and the retired territories they
   continue;
3. the derived figures reading those values: in the value slices, the ranks of the
   changed territories' siblings and the completeness of their parents (ancestors, so
   changed already); in the next four periods, change_previous and the trend (hence
   forecast and status) of the changed territories; change_base of the periods whose base
   period changed.

Values are recomputed for the changed territories only (their aggregates need the facts
of the referenced elements and weights in the sub-periods read, across the tree: cheap);
every other row the derived figures read (siblings, children, earlier periods) comes from
the store. The rows that may change are compared with the stored ones and only differing
rows are deleted and inserted. Since the SQL is the full refresh's, run on every row the
figures depend on, the store ends as a full refresh would leave it (a property test checks
this on random changes).

Pure computation: no Django imports (see DESIGN.md, "Conventions" 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from minka.analytics.engine.derive import TREND_WINDOW
from minka.analytics.engine.dimensions import (
    TYPE_RANK,
    Dimensions,
    arrow_table,
    average_waves,
    base_period,
    coarser_types,
    continuation_map,
    period_key,
    sql_run,
    weight_of,
)
from minka.analytics.engine.model import Catalogue
from minka.analytics.engine.periods import (
    Period,
    PeriodError,
    PeriodType,
    period_children,
    period_offset,
    period_parent,
    period_parse,
)
from minka.analytics.engine.pipeline import (
    fact_capacity,
    facts_select,
    result_capacity,
    result_dims_register,
    results_compute,
)


class StoreCapacity(Exception):
    """The store's types cannot hold what the changes need (a period beyond its range):
    the caller rolls back and refreshes in full."""


@dataclass
class Plan:
    """What an incremental refresh recomputes.

    Per indicator: `values`, the periods whose values change; `derived`, the periods whose
    derived figures may change; `read`, every period the derived figures read. Per element:
    `own_periods`, its own-type periods whose facts are read. Territories: `changed`, whose
    values change (touched territories, their ancestors, retired ones they continue);
    `siblings`, ranked with them; `around`, every territory whose rows the derived figures
    read (changed, siblings and the children of both, for completeness).
    """

    values: dict[str, set[Period]] = field(default_factory=dict)
    derived: dict[str, set[Period]] = field(default_factory=dict)
    read: dict[str, set[Period]] = field(default_factory=dict)
    own_periods: dict[str, set[Period]] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    siblings: set[int] = field(default_factory=set)
    around: set[int] = field(default_factory=set)


def _with_ancestors(period: Period) -> set[Period]:
    found = {period}
    for coarser in coarser_types(period.type)[1:]:
        parent = period_parent(period, coarser)
        if parent is not None:
            found.add(parent)
    return found


def _offset(period: Period, steps: int) -> Period | None:
    try:
        return period_offset(period, steps)
    except PeriodError:
        return None


def _finer_or_same(period: Period, period_type: PeriodType) -> bool:
    """Whether `period` is of `period_type` or coarser (so it has `period_type` children)."""
    return TYPE_RANK[period.type] <= TYPE_RANK[period_type]


def _weight_period(period: Period, weight_type: PeriodType) -> Period:
    """Where a weight is read for a value of `period`: the weight's period containing it
    when the weight is coarser, else the same period (the weight rolled up)."""
    if TYPE_RANK[weight_type] < TYPE_RANK[period.type]:
        parent = period_parent(period, weight_type)
        assert parent is not None
        return parent
    return period


def _territories_plan(dims: Dimensions, touched: set[int], plan: Plan) -> None:
    """Changed territories (touched, their ancestors, the retired territories they
    continue), their siblings, and the children of both."""
    territories = dims.catalogue.territories
    parent = {t.id: t.parent_id for t in territories}
    children: dict[int | None, set[int]] = {}
    for territory in territories:
        children.setdefault(parent[territory.id] if parent[territory.id] in parent else None,
                            set()).add(territory.id)
    changed: set[int] = set()
    for start in touched:
        node: int | None = start
        while node is not None and node in parent and node not in changed:
            changed.add(node)
            node = parent[node]
    continued = continuation_map(territories)
    while True:
        more = {retired for retired, successor, _, _ in continued
                if successor in changed and retired not in changed}
        if not more:
            break
        changed |= more
    siblings = set().union(*(children.get(parent.get(t) if parent.get(t) in parent else None,
                                          set()) for t in changed)) if changed else set()
    plan.changed = changed
    plan.siblings = siblings - changed
    plan.around = changed | siblings | set().union(
        *(children.get(t, set()) for t in changed | siblings))


def incremental_plan(
    dims: Dimensions,
    touched: Iterable[tuple[str, str, int]],
    years: Callable[[], tuple[int, int] | None],
) -> Plan:
    """What to recompute for facts changed at these (element, period id, territory).

    `years` gives the first and last year with facts (for base-year comparisons), asked
    only when a base year is touched.
    """
    elements = dims.elements
    touched = list(touched)
    changed: dict[str, set[Period]] = {}
    for code, text, _ in touched:
        element = elements.get(code)
        try:
            period = period_parse(text)
        except PeriodError:
            continue
        if element is not None and period.type == element.period_type:
            changed.setdefault(code, set()).update(_with_ancestors(period))
    for wave in average_waves(list(elements.values())):
        for element in wave:
            weight_code = weight_of(element)
            if weight_code is None or weight_code not in changed:
                continue
            weight = elements[weight_code]
            own: set[Period] = set()
            for period in changed[weight_code]:
                if TYPE_RANK[weight.period_type] < TYPE_RANK[element.period_type]:
                    if period.type == weight.period_type:
                        own.update(period_children(period, element.period_type))
                elif period.type == element.period_type:
                    own.add(period)
            for period in own:
                changed.setdefault(element.code, set()).update(_with_ancestors(period))

    plan = Plan()
    _territories_plan(dims, {t for _, _, t in touched}, plan)
    need: dict[str, set[Period]] = {}
    for code, spec in sorted(dims.indicators.items()):
        inputs = dims.formulas[code].inputs
        values: set[Period] = set()
        for reference, _, offset in inputs:
            for period in changed.get(reference, ()):
                if _finer_or_same(period, spec.period_type) and (
                        moved := _offset(period, -offset)) is not None:
                    values.add(moved)
        if not values:
            continue
        derived = set(values)
        for period in values:
            derived.update(p for k in range(1, TREND_WINDOW) if (p := _offset(period, k)))
        if spec.base_year is not None:
            in_base_year = [p for p in values if base_period(p, spec.base_year) == p]
            span = years() if in_base_year else None
            if span is not None:
                for period in in_base_year:
                    derived.update(q for year in range(span[0], span[1] + 1)
                                   if (q := base_period(period, year)) is not None)
        read = set(derived)
        for period in derived:
            read.update(p for k in range(1, TREND_WINDOW) if (p := _offset(period, -k)))
            if spec.base_year is not None and (base := base_period(period, spec.base_year)):
                read.add(base)
        plan.values[code] = values
        plan.derived[code] = derived
        plan.read[code] = read
        for period in values:
            for reference, _, offset in inputs:
                element = elements.get(reference)
                moved = _offset(period, offset)
                if element is not None and moved is not None and _finer_or_same(
                        moved, element.period_type):
                    need.setdefault(reference, set()).add(moved)

    # Weights are read where their averages are: follow them (an average may weigh one).
    pending = list(need)
    while pending:
        code = pending.pop()
        weight_code = weight_of(elements[code])
        if weight_code is None:
            continue
        weight_type = elements[weight_code].period_type
        wanted = {_weight_period(p, weight_type) for p in need[code]}
        wanted = {p for p in wanted if _finer_or_same(p, weight_type)}
        if not wanted <= need.get(weight_code, set()):
            need.setdefault(weight_code, set()).update(wanted)
            pending.append(weight_code)
    for code, periods in need.items():
        own_type = elements[code].period_type
        plan.own_periods[code] = {c for p in periods for c in period_children(p, own_type)}
    return plan


def _slices_table(con: duckdb.DuckDBPyConnection, dims: Dimensions, name: str,
                  slices: dict[str, set[Period]],
                  territories: dict[str, set[int]] | set[int] | None = None) -> None:
    """(indicator_id, period_key[, territory_id]) rows: slices, optionally crossed with
    territories (one set for all slices, or one per indicator)."""
    columns: dict[str, list[int]] = {"indicator_id": [], "period_key": []}
    if territories is not None:
        columns["territory_id"] = []
    for code, periods in sorted(slices.items()):
        for period in sorted(periods, key=period_key):
            if territories is None:
                columns["indicator_id"].append(dims.indicator_id[code])
                columns["period_key"].append(period_key(period))
                continue
            chosen = (territories.get(code, set()) if isinstance(territories, dict)
                      else territories)
            for territory in sorted(chosen):
                columns["indicator_id"].append(dims.indicator_id[code])
                columns["period_key"].append(period_key(period))
                columns["territory_id"].append(territory)
    types = {"indicator_id": pa.int32(), "period_key": pa.int32(), "territory_id": pa.int64()}
    arrow_table(con, name, pa.table({k: pa.array(v, types[k]) for k, v in columns.items()}))


def _in_list(values: Iterable[object]) -> str:
    """A SQL list of literals (text quoted), for IN filters that zone maps can use."""
    items = sorted(set(values), key=lambda v: (isinstance(v, str), v))
    quoted = ["'" + v.replace("'", "''") + "'" if isinstance(v, str) else str(int(v))  # type: ignore[call-overload]
              for v in items]
    return ", ".join(quoted) or "NULL"


def _typed_list(values: Iterable[str], type_: str) -> str:
    return ", ".join(f"TRY_CAST({literal} AS {type_})"
                     for literal in _in_list(values).split(", "))


def _check_fact_capacity(con: duckdb.DuckDBPyConnection) -> None:
    """Raise StoreCapacity when the upserts hold an element, period or combination the
    store's fact columns cannot (a new code, or a period more than ten years ahead)."""
    elements, periods, combinations = fact_capacity(con)
    seen = con.execute(
        "SELECT DISTINCT element, period, combination FROM upserts").fetchall()
    unknown = sorted({str(v) for e, p, c in seen for v, known in
                      ((e, elements), (p, periods), (c, combinations)) if v not in known})
    if unknown:
        raise StoreCapacity(f"facts the store cannot hold ({', '.join(unknown[:3])})")


def incremental_refresh(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    upserts: pa.Table,
    deleted: list[int],
) -> tuple[int, int, list[str]]:
    """Apply the changes to `fact` and rewrite the affected rows of `indicator_result`,
    inside the caller's transaction. Returns (facts in store, rows written, indicators)."""
    con.register("upserts_input", upserts)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE upserts AS {facts_select('upserts_input')}")
    finally:
        con.unregister("upserts_input")
    _check_fact_capacity(con)
    con.execute("CREATE OR REPLACE TEMP TABLE changed_id AS SELECT id FROM upserts")
    if deleted:
        arrow_table(con, "deleted_id", pa.table({"id": pa.array(deleted, pa.int64())}))
        sql_run(con, "INSERT INTO changed_id SELECT id FROM deleted_id")
    touched = sql_run(con, """
        SELECT DISTINCT element, period, territory_id FROM fact
        SEMI JOIN changed_id c ON c.id = fact.id
        UNION SELECT DISTINCT element, period, territory_id FROM upserts""").fetchall()
    sql_run(con, "DELETE FROM fact WHERE id IN (SELECT id FROM changed_id)")
    sql_run(con, "INSERT INTO fact SELECT * FROM upserts")
    count = con.execute("SELECT count(*) FROM fact").fetchone()
    facts = int(count[0]) if count else 0

    dims = Dimensions(catalogue)

    def years() -> tuple[int, int] | None:
        row = sql_run(con, """SELECT min(TRY_CAST(left(period, 4) AS INTEGER)),
            max(TRY_CAST(left(period, 4) AS INTEGER)) FROM fact""").fetchone()
        return (int(row[0]), int(row[1])) if row and row[0] is not None else None

    plan = incremental_plan(dims, touched, years)
    codes = sorted(plan.values)
    if not codes:
        return facts, 0, []

    needed = sorted({(code, p.id) for code, periods in plan.own_periods.items()
                     for p in periods})
    arrow_table(con, "needed_fact", pa.table({
        "element": pa.array([n[0] for n in needed], pa.string()),
        "period": pa.array([n[1] for n in needed], pa.string()),
    }))
    # Compared as the fact table's ENUMs (integers), never as text.
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE fact_scope AS
        SELECT f.* FROM fact f
        SEMI JOIN (SELECT TRY_CAST(element AS fact_element) AS element,
                          TRY_CAST(period AS fact_period) AS period FROM needed_fact) n
            ON n.element = f.element AND n.period = f.period
        WHERE f.element IN ({_typed_list((n[0] for n in needed), 'fact_element')})
          AND f.period IN ({_typed_list((n[1] for n in needed), 'fact_period')})""")
    dims.periods_add_periods(p for periods in plan.own_periods.values() for p in periods)
    for slices in (plan.values, plan.derived, plan.read):
        dims.periods_add_periods(p for periods in slices.values() for p in periods)
    holdable, _ = result_capacity(con)
    # Rows are written only where values are computed (other derived slices already hold
    # stored rows): those periods must fit the store's period type.
    beyond = sorted({p.id for periods in plan.values.values() for p in periods} - holdable)
    if beyond:
        raise StoreCapacity(f"periods beyond the store's range ({', '.join(beyond[:3])})")
    dims.register(con)
    result_dims_register(con, dims)

    # Values are recomputed for the changed territories in the value slices; every other
    # row the derived figures read comes from the store; the derived figures are output for
    # the changed territories (and, where values changed, their siblings: ranks).
    _slices_table(con, dims, "scope_value", plan.values)
    arrow_table(con, "scope_value_territory", pa.table(
        {"territory_id": pa.array(sorted(plan.changed), pa.int64())}))
    outputs = {code: plan.derived[code] - plan.values[code] for code in codes}
    _slices_table(con, dims, "scope_output_changed", outputs, plan.changed)
    _slices_table(con, dims, "scope_output_values", plan.values,
                  plan.changed | plan.siblings)
    sql_run(con, """CREATE OR REPLACE TEMP TABLE scope_derived AS
        SELECT * FROM scope_output_changed UNION ALL SELECT * FROM scope_output_values""")
    _slices_table(con, dims, "scope_read", plan.read)
    indicator_list = _in_list(codes)
    read_periods = _in_list(p.id for periods in plan.read.values() for p in periods)
    around = _in_list(plan.around)
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE stored_value AS
        SELECT i.indicator_id, r.territory_id, p.period_key, b.breakdown_id, r.value,
               r.numerator, r.denominator, r.reason, r.from_successors
        FROM indicator_result r
        JOIN dim_result_indicator i ON i.code = r.indicator
        JOIN dim_result_period p ON p.period = r.period
        JOIN dim_result_breakdown b ON b.code = r.breakdown
        SEMI JOIN scope_read s ON s.indicator_id = i.indicator_id
            AND s.period_key = p.period_key
        ANTI JOIN (SELECT * FROM scope_value, scope_value_territory) v
            ON v.indicator_id = i.indicator_id AND v.period_key = p.period_key
            AND v.territory_id = r.territory_id
        WHERE r.indicator IN ({indicator_list}) AND r.period IN ({read_periods})
          AND r.territory_id IN ({around})""")
    con.execute("CREATE OR REPLACE TEMP TABLE result_new AS SELECT * FROM indicator_result LIMIT 0")
    results_compute(con, dims, codes, facts="fact_scope", target="result_new",
                    value_scope="scope_value", value_territories="scope_value_territory",
                    stored_values="stored_value", derive_scope="scope_derived")

    derived_periods = _in_list(p.id for periods in plan.derived.values() for p in periods)
    sql_run(con, f"""CREATE OR REPLACE TEMP TABLE result_old AS
        SELECT r.* FROM indicator_result r
        SEMI JOIN (SELECT i.code, p.period, s.territory_id FROM scope_derived s
                   JOIN dim_result_indicator i ON i.indicator_id = s.indicator_id
                   JOIN dim_result_period p ON p.period_key = s.period_key) s
            ON s.code = r.indicator AND s.period = r.period
            AND s.territory_id = r.territory_id
        WHERE r.indicator IN ({indicator_list}) AND r.period IN ({derived_periods})
          AND r.territory_id IN ({_in_list(plan.changed | plan.siblings)})""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE result_added AS
        SELECT * FROM result_new EXCEPT SELECT * FROM result_old""")
    sql_run(con, """CREATE OR REPLACE TEMP TABLE result_removed AS
        SELECT * FROM result_old EXCEPT SELECT * FROM result_new""")
    counts = con.execute(
        "SELECT (SELECT count(*) FROM result_added), (SELECT count(*) FROM result_removed)"
    ).fetchone()
    assert counts is not None
    added, removed = int(counts[0]), int(counts[1])
    if removed:
        sql_run(con, f"""DELETE FROM indicator_result r USING result_removed d
            WHERE r.indicator = d.indicator AND r.period = d.period
              AND r.territory_id = d.territory_id AND r.breakdown = d.breakdown
              AND r.indicator IN ({indicator_list}) AND r.period IN ({derived_periods})
              AND r.territory_id IN ({_in_list(plan.changed | plan.siblings)})""")
    if added:
        sql_run(con, "INSERT INTO indicator_result SELECT * FROM result_added")
    # Rows both removed (old version) and added (new version) were changed: count once.
    changed = sql_run(con, """SELECT count(*) FROM result_added a SEMI JOIN result_removed d
        ON a.indicator = d.indicator AND a.period = d.period
        AND a.territory_id = d.territory_id AND a.breakdown = d.breakdown""").fetchone()
    return facts, added + removed - (int(changed[0]) if changed else 0), codes
