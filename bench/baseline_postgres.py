"""The same rollup in PostgreSQL: what "just do it in the database" would cost.

Scope (said plainly so the comparison is honest): the SUM elements' aggregates up the tree and
over periods (month, quarter, semester, year) by breakdown, and the indicators built on SUM
elements only (the Σnum/Σden ratios R01-R20 and the sums T01-T02): 22 of the 25 indicators.
AVERAGE and LAST elements, and the three indicators that use them, are left out.

Steps, each timed:
- load: an UNLOGGED `fact` table in the schema `bench_analytics`, filled with COPY (CSV
  written by pyarrow, streamed through psycopg 3's `cursor.copy`), then ANALYZE;
- rollup: `CREATE UNLOGGED TABLE ... AS SELECT ... GROUP BY` in three stages (facts -> district
  x month x breakdown; -> every ancestor via an ancestor-closure table; -> every period type
  via a month -> period mapping table), then the indicators from the aggregates
  (sum(...) FILTER per referenced element, Σnum/Σden).
The session raises `work_mem` to 1 GB so the aggregates hash in memory (the server's default
4 MB would spill to disk and make PostgreSQL look worse than it needs to); parallel query
stays at the server's setting. The schema is dropped at the end.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from minka.analytics.engine.model import Aggregation, Catalogue

try:
    from synthetic import IndicatorShape
except ImportError:  # pragma: no cover
    from bench.synthetic import IndicatorShape

SCHEMA = "bench_analytics"
DEFAULT_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def postgres_unavailable(dsn: str = DEFAULT_DSN) -> str | None:
    """None when the server answers, else why not and how to start it."""
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure means: skip this part, do not crash
        return f"PostgreSQL is not reachable ({error}). Start it with: {START_HINT}"
    return None


def _backend_peak_mb(pid: int) -> float | None:
    """The backend process's peak RSS (VmHWM), when /proc lets us read it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the backend process so far (parallel workers not included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_refresh(
    facts: pa.Table, catalogue: Catalogue, shapes: list[IndicatorShape],
    keys: list[tuple[str, int, str, str]], dsn: str = DEFAULT_DSN, *, keep: bool = False,
) -> dict:
    """Load, roll up, look up `keys`, drop; returns timings, counts and the looked-up rows."""
    import psycopg

    sum_elements = {s.code for s in catalogue.elements if s.aggregation is Aggregation.SUM}
    on_sums = [s for s in shapes if s.kind in ("ratio", "sum")
               and {s.num, s.den} <= sum_elements]
    parent = {n.id: n.parent_id for n in catalogue.territories}
    closure = []
    for node in catalogue.territories:
        ancestor: int | None = node.id
        while ancestor is not None:
            closure.append((node.id, ancestor))
            ancestor = parent[ancestor]
    months = sorted(set(facts.column("period").unique().to_pylist()))
    periods: dict[str, tuple[int, str]] = {}  # id -> (number, type)
    period_map = []
    for number, m in enumerate(months):
        y, mm = int(m[:4]), int(m[4:])
        for period, period_type in ((m, "Monthly"), (f"{y}Q{(mm - 1) // 3 + 1}", "Quarterly"),
                                    (f"{y}S{(mm - 1) // 6 + 1}", "SixMonthly"),
                                    (f"{y}", "Yearly")):
            periods.setdefault(period, (len(periods), period_type))
            period_map.append((number, periods[period][0]))
    combinations = facts.column("combination").unique().to_pylist()
    breakdowns = ["", *sorted({o for c in combinations for o in c.split("|") if o})]
    combination_breakdown = [(c, 0) for c in combinations] + [
        (c, breakdowns.index(o)) for c in combinations for o in c.split("|") if o]
    element_ids = {code: i for i, code in enumerate(sorted(sum_elements))}
    indicator_elements = [(s.code, element_ids[s.num], "num") for s in on_sums] + [
        (s.code, element_ids[s.den], "den") for s in on_sums if s.den]

    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    with psycopg.connect(dsn, autocommit=True) as connection:
        cursor = connection.cursor()
        backend = connection.info.backend_pid
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        cursor.execute(f"SET search_path TO {SCHEMA}")
        cursor.execute("SET work_mem = '1GB'")

        start = time.perf_counter()
        cursor.execute(
            "CREATE UNLOGGED TABLE fact (id bigint, element text, territory_id bigint,"
            " period text, combination text, value double precision)")
        options = pacsv.WriteOptions(include_header=False)
        with cursor.copy("COPY fact FROM STDIN (FORMAT csv)") as copy:
            for batch in facts.to_batches(max_chunksize=500_000):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())
        cursor.execute("ANALYZE fact")
        timings["load"] = time.perf_counter() - start

        start = time.perf_counter()
        dimensions = {
            "territory_ancestor (territory_id bigint, ancestor_id bigint)": closure,
            "month (code text, id smallint)": [(m, i) for i, m in enumerate(months)],
            "period (code text, id smallint, type text)":
                [(p, i, t) for p, (i, t) in periods.items()],
            "period_map (month_id smallint, period_id smallint)": period_map,
            "breakdown (code text, id smallint)": [(b, i) for i, b in enumerate(breakdowns)],
            "combination_breakdown (combination text, breakdown_id smallint)":
                combination_breakdown,
            "sum_element (code text, id smallint)": list(element_ids.items()),
            "indicator_def (code text, kind text, factor double precision)":
                [(s.code, s.kind, s.factor) for s in on_sums],
            "indicator_element (code text, element_id smallint, role text)":
                indicator_elements,
        }
        for table, rows_ in dimensions.items():
            cursor.execute(f"CREATE UNLOGGED TABLE {table}")
            width = len(rows_[0])
            cursor.executemany(
                f"INSERT INTO {table.split()[0]} VALUES ({', '.join(['%s'] * width)})", rows_)
        cursor.execute("ANALYZE")
        timings["dimensions"] = time.perf_counter() - start

        # Text keys become small integers in the first stage (what a careful SQL author
        # does: hashing text is what makes the later GROUP BYs slow), labels come back in
        # the indicator results.
        stages = {
            "district_month": """
                CREATE UNLOGGED TABLE district_month AS
                SELECT e.id AS element_id, f.territory_id, m.id AS month_id, cb.breakdown_id,
                       sum(f.value) AS value
                FROM fact f
                JOIN sum_element e ON e.code = f.element
                JOIN month m ON m.code = f.period
                JOIN combination_breakdown cb ON cb.combination = f.combination
                GROUP BY 1, 2, 3, 4""",
            "up_the_tree": """
                CREATE UNLOGGED TABLE territory_month AS
                SELECT d.element_id, a.ancestor_id AS territory_id, d.month_id, d.breakdown_id,
                       sum(d.value) AS value
                FROM district_month d
                JOIN territory_ancestor a ON a.territory_id = d.territory_id
                GROUP BY 1, 2, 3, 4""",
            "over_periods": """
                CREATE UNLOGGED TABLE element_aggregate AS
                SELECT t.element_id, t.territory_id, pm.period_id, t.breakdown_id,
                       sum(t.value) AS value
                FROM territory_month t
                JOIN period_map pm ON pm.month_id = t.month_id
                GROUP BY 1, 2, 3, 4""",
            "indicators": """
                CREATE UNLOGGED TABLE indicator_result AS
                SELECT i.code AS indicator, x.territory_id, p.code AS period,
                       p.type AS period_type, b.code AS breakdown,
                       CASE WHEN num IS NULL OR den IS NULL THEN NULL
                            WHEN i.kind = 'sum' THEN num + den
                            WHEN den = 0 THEN NULL
                            ELSE i.factor * num / den END AS value,
                       num AS numerator, den AS denominator,
                       CASE WHEN num IS NULL OR den IS NULL THEN 'missing_data'
                            WHEN i.kind = 'ratio' AND den = 0 THEN 'zero_denominator'
                       END AS reason
                FROM (
                    SELECT ie.code, e.territory_id, e.period_id, e.breakdown_id,
                           sum(e.value) FILTER (WHERE ie.role = 'num') AS num,
                           sum(e.value) FILTER (WHERE ie.role = 'den') AS den
                    FROM indicator_element ie
                    JOIN element_aggregate e ON e.element_id = ie.element_id
                    GROUP BY 1, 2, 3, 4
                ) x
                JOIN indicator_def i ON i.code = x.code
                JOIN period p ON p.id = x.period_id
                JOIN breakdown b ON b.id = x.breakdown_id""",
        }
        cpu_start = _backend_cpu_seconds(backend)
        rollup_start = time.perf_counter()
        for name, sql in stages.items():
            start = time.perf_counter()
            cursor.execute(sql)
            timings[name] = time.perf_counter() - start
        timings["rollup"] = time.perf_counter() - rollup_start
        cpu_end = _backend_cpu_seconds(backend)
        rollup_cpu = None if cpu_start is None or cpu_end is None else cpu_end - cpu_start
        for table in ("fact", "element_aggregate", "indicator_result"):
            counts[table] = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        rows = []
        wanted = [k for k in keys if k[0] in {s.code for s in on_sums}]
        if wanted:
            cursor.execute("CREATE TEMP TABLE wanted (indicator text, territory_id bigint,"
                           " period text, breakdown text)")
            cursor.executemany("INSERT INTO wanted VALUES (%s, %s, %s, %s)", wanted)
            cursor.execute("ANALYZE wanted")  # else the planner may loop over 26 M rows
            for r in cursor.execute(
                "SELECT w.indicator, w.territory_id, w.period, w.breakdown, r.value, r.reason"
                " FROM wanted w LEFT JOIN indicator_result r USING (indicator, territory_id,"
                " period, breakdown)"
            ).fetchall():
                rows.append({"indicator": r[0], "territory_id": r[1], "period": r[2],
                             "breakdown": r[3], "value": r[4], "reason": r[5]})
        backend_peak = _backend_peak_mb(backend)
        if not keep:
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    return {
        "timings": timings, "counts": counts, "rows": rows,
        "indicators": [s.code for s in on_sums], "backend_peak_mb": backend_peak,
        "rollup_cpu_seconds": rollup_cpu,
    }
