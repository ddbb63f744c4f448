"""Analytics at national scale: the engine against plain pandas and PostgreSQL, in one run.

    .venv/bin/python bench/analytics.py              # 1,892 districts, ~20 M values
    .venv/bin/python bench/analytics.py --scale 0.05 # a smoke run on 5 % of the districts

Issue 3, item 10. One synthetic set (see `synthetic.py`) is generated once into a Parquet
file in a temporary directory; each implementation then runs in its own process
(`--phase engine|pandas|postgres`), reads that file (reading is timed apart and not counted
as refresh) and reports its timings and its own peak RSS (getrusage, RUSAGE_SELF), so the
peaks do not mix. The orchestrator prints one table with the ratios measured in this run,
the goals, and whether each was met; a missed goal is printed as MISSED, and the exit
status stays 0 because this is a measurement, not a test.

Honesty checks printed with the table:
- engine = pandas on N sampled results, every column of RESULT_COLUMNS (value, target,
  status, change, trend, forecast, rank, children…; floats within 1e-9 relative or
  absolute, NULL = NULL, text, integers and booleans exactly) over indicators of both
  polarities, with and without targets x country and regions by year, one region's
  provinces by year, one province's districts by month, quarter and semester: both
  implement the same rules;
- the incremental refresh's result for the changed district-month and its region-year
  equals a value computed by hand from the facts (numpy/pyarrow).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

# Minka's processes run numpy without huge-page advice and Arrow with jemalloc (set in
# minka/__init__.py, which is imported after numpy here): every phase, pandas included,
# gets the same settings, before numpy or Arrow is loaded.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from synthetic import (  # noqa: E402
    DEFAULT_DATA_DIR,
    FIRST_YEAR,
    LOWER_IS_BETTER,
    YEARS,
    Tree,
    build_catalogue,
    generate_facts,
    indicator_shapes,
    load_peru_tree,
    plain_result,
)

from minka.analytics.engine.model import RESULT_COLUMNS  # noqa: E402

SEED = 20261122
CUSCO = 80000  # region 08: 13 provinces
LA_CONVENCION = 80900  # province 0809: 18 districts
GOAL_FULL_SECONDS = 60.0
GOAL_RATIO = 5.0
GOAL_INCREMENTAL_SECONDS = 2.0
GOAL_PEAK_MB = 4096.0
GOAL_QUERY_MS = 50.0
# R01, R07: targets (higher is better); R11, R15: lower is better, no targets.
SAMPLE_INDICATORS = (("R01", ("", "FEMALE", "RURAL")), ("R07", ("",)), ("R11", ("", "FEMALE")),
                     ("R15", ("", "MALE")), ("T01", ("",)), ("V01", ("",)),
                     ("P01", ("", "FEMALE")))
# A province's districts: months and quarters judged against the 2022 target (on the
# forecast, or on the value when the period ends with 2022), after 2022 (forecast to
# 2026), and earlier ones; runs of months for change and trend.
DISTRICT_PERIODS = ("201907", "202109", "202110", "202111", "202112", "202205", "202212",
                    "202303", "202412", "2021Q4", "2022Q2", "2022Q4", "2023Q3", "2024Q4",
                    "2022S1", "2024S2")
CHANGED = ("S01", "FEMALE|URBAN", "202306")  # element, combination, month of the change
CHANGED_INDICATOR = ("R01", "S01", "S02", 100.0)  # indicator = factor * num / den


def cpu_seconds() -> float:
    """User + system CPU of this process and all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def stats_dict(stats: object) -> dict | str:
    """RefreshStats as a short dict (the recomputed indicators as a count)."""
    if not hasattr(stats, "__dict__"):
        return repr(stats)
    out = {k: v for k, v in vars(stats).items() if not k.startswith("_")}
    if isinstance(out.get("indicators"), tuple | list):
        out["indicators"] = len(out["indicators"])
    return out


def years() -> list[str]:
    return [str(FIRST_YEAR + y) for y in range(YEARS)]


def sample_province(tree: Tree) -> int:
    """La Convención (18 districts), or at a reduced scale the province with most."""
    if LA_CONVENCION in tree.parent:
        return LA_CONVENCION
    provinces = [n.id for n in tree.nodes if n.level == "province"]
    return max(provinces, key=lambda p: len(tree.children(p)))


def sample_keys(tree: Tree) -> list[tuple[str, int, str, str]]:
    """(indicator, territory, period, breakdown) for the cross-check: the country and
    every region by year, one region's provinces by year (ranks among siblings, children
    reported), one province's districts by DISTRICT_PERIODS (ranks, change, trend,
    targets and forecasts at the leaves)."""
    regions = tree.children(1)
    provinces = tree.children(dashboard_region(tree))
    districts = tree.children(sample_province(tree))
    keys = []
    for indicator, breakdowns in SAMPLE_INDICATORS:
        for breakdown in breakdowns:
            keys += [(indicator, t, p, breakdown)
                     for t in [1, *regions, *provinces] for p in years()]
            keys += [(indicator, t, p, breakdown) for t in districts for p in DISTRICT_PERIODS]
    return keys


def dashboard_region(tree: Tree) -> int:
    regions = tree.children(1)
    return CUSCO if CUSCO in regions else max(regions, key=lambda r: len(tree.children(r)))


# ---- phases (each runs in its own process) ------------------------------------------------

def phase_generate(args: argparse.Namespace, work: Path) -> dict:
    tree = load_peru_tree(args.data, scale=args.scale)
    start = time.perf_counter()
    facts = generate_facts(tree, seed=SEED)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    pq.write_table(facts, work / "facts.parquet")
    written = time.perf_counter() - start
    levels: dict[str, int] = {}
    for node in tree.nodes:
        levels[node.level] = levels.get(node.level, 0) + 1
    catalogue = build_catalogue(tree, seed=SEED)
    return {
        "facts": facts.num_rows, "levels": levels, "seconds": generated,
        "seconds_write": written, "parquet_mb": (work / "facts.parquet").stat().st_size / 2**20,
        "elements": len(catalogue.elements), "targets": len(catalogue.targets),
        "months": len(pc.unique(facts.column("period"))),
    }


def _read_facts(work: Path, **kwargs: object) -> tuple[pa.Table, float]:
    start = time.perf_counter()
    facts = pq.read_table(work / "facts.parquet", **kwargs)
    return facts, time.perf_counter() - start


def _engine_lookup(store_results, path: Path, keys: list) -> list[dict]:
    groups: dict[tuple[str, str], tuple[set, set]] = {}
    for indicator, territory, period, breakdown in keys:
        territories, periods = groups.setdefault((indicator, breakdown), (set(), set()))
        territories.add(territory)
        periods.add(period)
    found = {}
    for (indicator, breakdown), (territories, periods) in groups.items():
        for row in store_results(path, indicator=indicator, territory_ids=sorted(territories),
                                 periods=sorted(periods), breakdown=breakdown):
            key = (indicator, int(row["territory_id"]), str(row["period"]),
                   str(row.get("breakdown") or ""))
            found[key] = row
    rows = []
    for key in keys:
        row = found.get(tuple(key), {})
        rows.append({**plain_result(row), "indicator": key[0], "territory_id": key[1],
                     "period": key[2], "breakdown": key[3], "found": bool(row)})
    return rows


def _expected_ratio(facts: pa.Table, territories: list[int], period_prefix: str) -> float:
    """factor * Σnum / Σden over the territories' facts whose month starts with the prefix."""
    _, num, den, factor = CHANGED_INDICATOR
    mask = pc.and_(pc.is_in(facts.column("territory_id"), pa.array(territories, pa.int64())),
                   pc.starts_with(facts.column("period"), period_prefix))
    subset = facts.filter(mask)
    sums = {}
    for code in (num, den):
        values = subset.filter(pc.equal(subset.column("element"), code)).column("value")
        sums[code] = pc.sum(values).as_py() or 0.0
    return factor * sums[num] / sums[den]


def phase_engine(args: argparse.Namespace, work: Path) -> dict:
    from minka.analytics.engine.store import (
        store_refresh_full,
        store_refresh_incremental,
        store_results,
    )

    tree = load_peru_tree(args.data, scale=args.scale)
    catalogue = build_catalogue(tree, seed=SEED)
    facts, read_seconds = _read_facts(work)
    store_dir = work / "engine"
    store_dir.mkdir(exist_ok=True)
    path = store_dir / "analytics.duckdb"
    report: dict = {"seconds_read": read_seconds, "facts_mb": facts.nbytes / 2**20}

    print("engine: full refresh ...", flush=True)
    cpu, start = cpu_seconds(), time.perf_counter()
    stats = store_refresh_full(path, catalogue, facts)
    report["seconds"] = time.perf_counter() - start
    report["cpu_seconds"] = cpu_seconds() - cpu
    report["stats"] = stats_dict(stats)
    report["rss_after_full_mb"] = peak_rss_mb()
    report["store_mb"] = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file()) / 2**20
    print(f"engine: full refresh {report['seconds']:.1f} s, stats {report['stats']}", flush=True)

    keys = [tuple(k) for k in json.loads((work / "keys.json").read_text())]
    report["rows"] = _engine_lookup(store_results, path, keys)

    # Dashboard queries: one indicator, ten yearly periods, a region's provinces or a
    # province's districts.
    region = dashboard_region(tree)
    provinces = tree.children(region)
    province = max(provinces, key=lambda p: len(tree.children(p)))
    queries = {
        f"{len(provinces)} provinces of region {region}": provinces,
        f"{len(tree.children(province))} districts of province {province}":
            tree.children(province),
    }
    import duckdb

    opens = []
    for _ in range(args.runs):
        start = time.perf_counter()
        duckdb.connect(str(path), read_only=True).close()
        opens.append((time.perf_counter() - start) * 1000)
    report["open_ms"] = statistics.median(opens)
    report["queries"] = {}
    for label, territories in queries.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            rows = store_results(path, indicator="R01", territory_ids=territories,
                                 periods=years(), breakdown="")
            times.append((time.perf_counter() - start) * 1000)
        report["queries"][label] = {"median_ms": statistics.median(times), "max_ms": max(times),
                                    "first_ms": times[0], "rows": len(rows)}

    # Incremental: one district-month of one element changes.
    element, combination, month = CHANGED
    _, num, den, _factor = CHANGED_INDICATOR
    district_rows = facts.filter(pc.and_(
        pc.is_in(facts.column("element"), pa.array([num, den])),
        pc.equal(facts.column("period"), month)))
    counted = pc.value_counts(district_rows.column("territory_id"))
    complete = sorted(int(item["values"].as_py()) for item in counted
                      if item["counts"].as_py() == 8)  # every combination of num and den
    parent = tree.parent
    in_region = [d for d in complete if parent[parent[d]] == region]
    district = (in_region or complete)[0]
    region = parent[parent[district]]
    districts_of_region = [d for p in tree.children(region) for d in tree.children(p)]
    target = facts.filter(pc.and_(pc.and_(
        pc.equal(facts.column("element"), element), pc.equal(facts.column("territory_id"),
                                                             district)),
        pc.and_(pc.equal(facts.column("period"), month),
                pc.equal(facts.column("combination"), combination))))
    old = target.column("value")[0].as_py()
    new = old + 37.0
    upserts = target.set_column(5, "value", pa.array([new], pa.float64()))
    indicator = CHANGED_INDICATOR[0]
    year = month[:4]

    def current() -> tuple[float | None, float | None]:
        at_district = store_results(path, indicator=indicator, territory_ids=[district],
                                    periods=[month], breakdown="")
        at_region = store_results(path, indicator=indicator, territory_ids=[region],
                                  periods=[year], breakdown="")
        return (at_district[0]["value"] if at_district else None,
                at_region[0]["value"] if at_region else None)

    before = current()
    print(f"engine: incremental refresh (fact id {upserts.column('id')[0].as_py()}: "
          f"{element} {combination} district {district} {month}: {old} -> {new}) ...",
          flush=True)
    cpu, start = cpu_seconds(), time.perf_counter()
    incremental_stats = store_refresh_incremental(path, catalogue, upserts=upserts,
                                                  deleted_ids=[])
    report["incremental_seconds"] = time.perf_counter() - start
    report["incremental_cpu_seconds"] = cpu_seconds() - cpu
    report["incremental_stats"] = stats_dict(incremental_stats)
    after = current()
    changed_facts = pc.if_else(pc.equal(facts.column("id"), upserts.column("id")[0]),
                               pa.scalar(new), facts.column("value"))
    facts = facts.set_column(5, "value", changed_facts)
    expected = (_expected_ratio(facts, [district], month),
                _expected_ratio(facts, districts_of_region, year))
    checks = []
    for label, b, a, x in zip(("district-month", "region-year"), before, after, expected,
                              strict=True):
        ok = a is not None and b is not None and a != b and math.isclose(a, x, rel_tol=1e-9)
        checks.append({"what": f"{indicator} {label}", "before": b, "after": a,
                       "expected": x, "ok": ok})
    report["incremental_checks"] = checks
    report["incremental_change"] = {"district": district, "region": region, "month": month,
                                    "element": element, "combination": combination,
                                    "old": old, "new": new}
    report["rss_mb"] = peak_rss_mb()
    return report


def phase_pandas(args: argparse.Namespace, work: Path) -> dict:
    from baseline_pandas import pandas_lookup, pandas_refresh

    tree = load_peru_tree(args.data, scale=args.scale)
    catalogue = build_catalogue(tree, seed=SEED)
    # Dictionary-encoded columns: pandas gets categoricals for free (a favour to pandas).
    facts, read_seconds = _read_facts(work, read_dictionary=["element", "period",
                                                             "combination"])
    print("pandas: full refresh ...", flush=True)
    cpu = cpu_seconds()
    stats, indicators = pandas_refresh(facts, catalogue, indicator_shapes(), work / "pandas")
    cpu = cpu_seconds() - cpu
    keys = [tuple(k) for k in json.loads((work / "keys.json").read_text())]
    report = {"seconds_read": read_seconds, "seconds": stats.seconds,
              "cpu_seconds": cpu, "stats": vars(stats),
              "rows": pandas_lookup(indicators, keys)}
    report["rss_mb"] = peak_rss_mb()
    return report


def phase_postgres(args: argparse.Namespace, work: Path) -> dict:
    from baseline_postgres import postgres_refresh, postgres_unavailable

    why = postgres_unavailable(args.dsn)
    if why:
        return {"skipped": why}
    tree = load_peru_tree(args.data, scale=args.scale)
    catalogue = build_catalogue(tree, seed=SEED)
    facts, read_seconds = _read_facts(work)
    keys = [tuple(k) for k in json.loads((work / "keys.json").read_text())]
    print("postgres: load and rollup ...", flush=True)
    report = postgres_refresh(facts, catalogue, indicator_shapes(), keys, args.dsn)
    report["seconds_read"] = read_seconds
    report["rss_mb"] = peak_rss_mb()
    return report


PHASES = {"generate": phase_generate, "engine": phase_engine, "pandas": phase_pandas,
          "postgres": phase_postgres}


def run_phase(args: argparse.Namespace) -> None:
    work = Path(args.workdir)
    load = os.getloadavg()[0]
    try:
        report = PHASES[args.phase](args, work)
    except Exception as error:  # reported by the orchestrator, never hidden
        report = {"error": f"{type(error).__name__}: {error}",
                  "traceback": traceback.format_exc(), "rss_mb": peak_rss_mb()}
    report.setdefault("rss_mb", peak_rss_mb())
    report["load"] = (load, os.getloadavg()[0])
    (work / f"{args.phase}.json").write_text(json.dumps(report, default=str, indent=1))


# ---- orchestration ------------------------------------------------------------------------

def spawn(phase: str, args: argparse.Namespace, work: Path) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase,
               "--workdir", str(work), "--scale", str(args.scale), "--data", str(args.data),
               "--runs", str(args.runs), "--dsn", args.dsn]
    start = time.perf_counter()
    completed = subprocess.run(command, check=False)
    wall = time.perf_counter() - start
    output = work / f"{phase}.json"
    if completed.returncode != 0 or not output.exists():
        return {"error": f"the {phase} process exited with status {completed.returncode}",
                "wall": wall}
    report = json.loads(output.read_text())
    report["wall"] = wall
    return report


def engine_available() -> str | None:
    try:
        from minka.analytics.engine import store
    except Exception as error:
        return f"minka.analytics.engine.store cannot be imported ({error})"
    missing = [name for name in ("store_refresh_full", "store_refresh_incremental",
                                 "store_results") if not hasattr(store, name)]
    return f"minka.analytics.engine.store lacks {', '.join(missing)}" if missing else None


def compare(left: list[dict], right: list[dict]) -> tuple[int, list[str]]:
    """How many sampled results agree on the value (both missing, or within 1e-9
    relative): PostgreSQL computes values only."""
    agree, problems = 0, []
    by_key = {(r["indicator"], r["territory_id"], r["period"], r["breakdown"]): r for r in right}
    for a in left:
        b = by_key.get((a["indicator"], a["territory_id"], a["period"], a["breakdown"]),
                       {"value": None, "reason": "absent"})
        va, vb = a["value"], b["value"]
        same = (va is None and vb is None) or (
            va is not None and vb is not None and math.isclose(va, vb, rel_tol=1e-9))
        if same:
            agree += 1
        elif len(problems) < 8:
            problems.append(f"{a['indicator']} territory {a['territory_id']} {a['period']} "
                            f"[{a['breakdown'] or 'total'}]: {va} vs {vb} "
                            f"(reasons {a.get('reason')} / {b.get('reason')})")
    return agree, problems


def same_figure(sql_type: str, a: object, b: object) -> bool:
    """NULL = NULL; floats within 1e-9 relative or absolute; anything else exactly."""
    if a is None or b is None:
        return a is None and b is None
    if sql_type == "DOUBLE":
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare_all(left: list[dict], right: list[dict], parent: dict[int, int | None]
                ) -> tuple[int, dict[str, int], list[str], list[str]]:
    """Rows agreeing on every RESULT_COLUMNS column (a row missing on both sides agrees);
    mismatches per column; the first differing rows, described; the ranks accepted as
    float ties (see `_float_tie`), described."""
    by_key = {(r["indicator"], r["territory_id"], r["period"], r["breakdown"]): r for r in right}
    siblings: dict[tuple, list[dict]] = {}
    for a in left:
        if a.get("found") and a["value"] is not None:
            siblings.setdefault((a["indicator"], parent.get(a["territory_id"]), a["period"],
                                 a["breakdown"]), []).append(a)
    agree, per_column, problems, ties = 0, {}, [], []
    for a in left:
        key = (a["indicator"], a["territory_id"], a["period"], a["breakdown"])
        b = by_key.get(key, {"found": False})
        if a.get("found") != b.get("found"):
            differing = ["(row present)"]
            details = [f"row in the store: {a.get('found')}, in pandas: {b.get('found')}"]
        else:
            differing = [name for name, sql_type in RESULT_COLUMNS.items()
                         if not same_figure(sql_type, a.get(name), b.get(name))]
            details = [f"{name} {a.get(name)!r} vs {b.get(name)!r}" for name in differing]
        group = siblings.get((key[0], parent.get(key[1]), key[2], key[3]), [])
        if differing == ["rank"] and _float_tie(a, b, group):
            ties.append(f"{key[0]} territory {key[1]} {key[2]} [{key[3] or 'total'}]: rank "
                        f"{a['rank']} vs {b['rank']}, value {a['value']!r} vs {b['value']!r}")
            differing = []
        if not differing:
            agree += 1
            continue
        for name in differing:
            per_column[name] = per_column.get(name, 0) + 1
        if len(problems) < 6:
            problems.append(f"{key[0]} territory {key[1]} {key[2]} [{key[3] or 'total'}]: "
                            + "; ".join(details))
    return agree, per_column, problems, ties


def _float_tie(a: dict, b: dict, group: list[dict]) -> bool:
    """Whether two ranks differ only inside a block of siblings whose values are equal
    within the float tolerance (1e-9): two districts' averages of 40.6 come out as
    40.60000000000001 and 40.6 in one implementation, 40.599999999999994 and 40.6 in the
    other (their decimals and floats round differently), so each orders the tie its own
    way. Needs every sibling with a value in the sample (len(group) = rank_of); both ranks
    must fall in the block's places."""
    if a["value"] is None or b["rank"] is None or len(group) != a["rank_of"]:
        return False
    tied = [s for s in group if same_figure("DOUBLE", s["value"], a["value"])]
    sign = 1.0 if a["indicator"] in LOWER_IS_BETTER else -1.0
    better = sum(1 for s in group
                 if s not in tied and sign * s["value"] < sign * a["value"])
    return len(tied) > 1 and all(better < r <= better + len(tied) for r in (a["rank"], b["rank"]))


def _last_month(period: str) -> int:
    """year x 12 + the last month of a calendar period id (2022 -> 2022 x 12 + 12)."""
    year, rest = int(period[:4]), period[4:]
    if not rest:
        return year * 12 + 12
    if rest[0] in "SQ":
        return year * 12 + int(rest[1:]) * (6 if rest[0] == "S" else 3)
    return year * 12 + int(rest)


def sample_coverage(rows: list[dict]) -> str:
    """What the sampled rows exercise (read from the engine's rows)."""
    found = [r for r in rows if r.get("found")]

    def count(test: Callable[[dict], bool]) -> int:
        return sum(1 for r in found if test(r))

    statuses = {s: count(lambda r, s=s: r["status"] == s)
                for s in ("on_track", "at_risk", "off_track")}
    later = count(lambda r: r["target_period"] is not None and r["status"] is not None
                  and _last_month(r["target_period"]) > _last_month(r["period"]))
    return (f"{len(found):,} rows: {count(lambda r: r['value'] is not None):,} with a value, "
            f"{count(lambda r: r['target'] is not None):,} with a target (2022: "
            f"{count(lambda r: r['target_period'] == '2022'):,}, 2026: "
            f"{count(lambda r: r['target_period'] == '2026'):,}), status "
            + "/".join(f"{v:,}" for v in statuses.values())
            + f" on/at risk/off track ({later:,} judged on a forecast to a later year), "
            f"{count(lambda r: r['forecast'] is not None):,} forecasts, "
            f"{count(lambda r: r['trend_slope'] is not None):,} trends, "
            f"{count(lambda r: r['change_previous'] is not None):,} changes, "
            f"{count(lambda r: r['change_base'] is not None):,} changes from 2015, "
            f"{count(lambda r: (r['rank_of'] or 0) > 1):,} ranked among >= 2 siblings, "
            f"{count(lambda r: r['expected_children'] is not None):,} with children counts, "
            f"{count(lambda r: r['indicator'] in LOWER_IS_BETTER):,} lower-is-better")


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def orchestrate(args: argparse.Namespace) -> None:
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-an-"))
    work.mkdir(parents=True, exist_ok=True)
    tree = load_peru_tree(args.data, scale=args.scale)
    (work / "keys.json").write_text(json.dumps(sample_keys(tree)))
    print(f"bench/analytics.py: scale {args.scale}, work directory {work}, "
          f"{os.cpu_count()} CPUs", flush=True)

    generated = spawn("generate", args, work)
    if "error" in generated:
        print(f"generation failed: {generated['error']}\n{generated.get('traceback', '')}")
        return
    print(f"synthetic set: {generated['facts']:,} values; territories {generated['levels']}; "
          f"{generated['elements']} elements x {generated['months']} months; "
          f"{generated['targets']:,} targets; generated in "
          f"{generated['seconds']:.1f} s, Parquet {generated['parquet_mb']:.0f} MB written in "
          f"{generated['seconds_write']:.1f} s", flush=True)

    reports: dict[str, dict] = {}
    why_no_engine = engine_available()
    if why_no_engine:
        reports["engine"] = {"skipped": why_no_engine}
        print(f"engine: SKIPPED, {why_no_engine}", flush=True)
    else:
        reports["engine"] = spawn("engine", args, work)
    for phase in ("pandas", "postgres"):
        if phase in args.skip:
            reports[phase] = {"skipped": "--skip " + phase}
        else:
            reports[phase] = spawn(phase, args, work)
    print_report(generated, reports, args, tree)
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def print_report(generated: dict, reports: dict[str, dict], args: argparse.Namespace,
                 tree: Tree) -> None:
    engine, pandas_, postgres = reports["engine"], reports["pandas"], reports["postgres"]
    ok = {name: "error" not in r and "skipped" not in r for name, r in reports.items()}
    print()
    for name, report in reports.items():
        if "skipped" in report:
            print(f"{name}: SKIPPED: {report['skipped']}")
        elif "error" in report:
            print(f"{name}: FAILED: {report['error']}\n{report.get('traceback', '')}")

    print("\nWhat each implementation computed and persisted:")
    if ok["engine"]:
        print(f"  engine   store_refresh_full -> {engine['stats']}; store on disk "
              f"{engine['store_mb']:.0f} MB: its copy of the facts and indicator_result "
              "(every RESULT_COLUMNS figure: value, numerator, denominator, reason, target, "
              "status, change, trend, forecast, rank, completeness) in one DuckDB file, "
              "written beside the store and swapped in")
    if ok["pandas"]:
        s = pandas_["stats"]
        print(f"  pandas   {s['indicator_results']:,} indicator results with every "
              f"RESULT_COLUMNS figure (the same as the engine's; {s['targets']:,} targets) "
              f"and a copy of the facts, written to Parquet; its "
              f"{s['element_aggregates']:,} element aggregates (SUM, AVERAGE, LAST; 4 period "
              "types; breakdowns) stay in memory, as the engine's do")
    if ok["postgres"]:
        c, t = postgres["counts"], postgres["timings"]
        print(f"  postgres {c['element_aggregate']:,} element aggregates (SUM elements only) + "
              f"{c['indicator_result']:,} indicator results ({len(postgres['indicators'])} "
              f"indicators on SUM elements) as UNLOGGED tables; stages: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()))

    seconds = {name: r.get("seconds") for name, r in reports.items() if ok[name]}
    cpu = {name: r.get("cpu_seconds") for name, r in reports.items() if ok[name]}
    if ok["postgres"]:
        seconds["postgres"] = postgres["timings"]["rollup"]
        cpu["postgres"] = postgres.get("rollup_cpu_seconds")
    pandas_s = seconds.get("pandas")

    def ratio(name: str) -> str:
        s = seconds.get(name)
        return f"{pandas_s / s:.1f}x" if pandas_s and s else "-"

    def verdict(met: bool | None) -> str:
        return "-" if met is None else ("yes" if met else "MISSED")

    rows: list[tuple[str, ...]] = [
        (f"generate {generated['facts']:,} values", fmt(generated["seconds"]), "",
         fmt(generated.get("rss_mb")), "", "", ""),
    ]
    if ok["engine"]:
        full = engine["seconds"]
        met = full <= GOAL_FULL_SECONDS and (not pandas_s or pandas_s / full >= GOAL_RATIO)
        rows.append(("engine full refresh (persisted)", fmt(full), fmt(cpu["engine"]),
                     fmt(engine["rss_after_full_mb"]), ratio("engine"),
                     f"<= {GOAL_FULL_SECONDS:.0f} s, >= {GOAL_RATIO:.0f}x pandas", verdict(met)))
    else:
        rows.append(("engine full refresh", "-", "-", "-", "-",
                     f"<= {GOAL_FULL_SECONDS:.0f} s", "not run"))
    if ok["pandas"]:
        rows.append(("pandas full refresh (Parquet)", fmt(pandas_s), fmt(cpu["pandas"]),
                     fmt(pandas_["rss_mb"]), "1.0x", "", ""))
    if ok["postgres"]:
        rows.append(("postgres load (COPY, ANALYZE)", fmt(postgres["timings"]["load"]), "",
                     fmt(postgres["rss_mb"]), "", "", ""))
        rows.append(("postgres rollup (SUM part only)", fmt(seconds["postgres"]),
                     fmt(cpu["postgres"]) + " srv", fmt(postgres.get("backend_peak_mb")) + " srv",
                     ratio("postgres"), "", ""))
    if ok["engine"]:
        inc = engine["incremental_seconds"]
        rows.append(("engine incremental (1 fact)", f"{inc:.2f}",
                     f"{engine['incremental_cpu_seconds']:.2f}", "", "",
                     f"<= {GOAL_INCREMENTAL_SECONDS:.0f} s",
                     verdict(inc <= GOAL_INCREMENTAL_SECONDS)))
        for label, q in engine["queries"].items():
            rows.append((f"query R01 x 10 years, {label}", f"{q['median_ms'] / 1000:.4f}", "",
                         "", "", f"median < {GOAL_QUERY_MS:.0f} ms",
                         verdict(q["median_ms"] < GOAL_QUERY_MS)))
        rows.append((f"engine peak memory (whole phase; facts {engine['facts_mb']:,.0f} MB)",
                     "", "", fmt(engine["rss_mb"]), "",
                     f"<= {GOAL_PEAK_MB:.0f} MB", verdict(engine["rss_mb"] <= GOAL_PEAK_MB)))

    header = ("phase", "seconds", "CPU s", "peak RSS MB", "pandas/x", "goal", "met")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w if i in (0, 5, 6) else "{:>%d}" % w
                     for i, w in enumerate(widths))
    print(f"\nResults, scale {args.scale}, {os.cpu_count()} CPUs "
          f"({generated['facts']:,} values):")
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    print("seconds: wall clock (the goals are wall clock); CPU s: user + system CPU of the "
          "process and its threads (PostgreSQL: its backend); pandas/x: pandas seconds / x "
          "seconds, same run.")
    if ok["engine"] and ok["pandas"] and cpu["engine"] and cpu["pandas"]:
        print(f"CPU-time ratio pandas/engine: {cpu['pandas'] / cpu['engine']:.1f}x")
    if ok["pandas"]:
        s = pandas_["stats"]
        print(f"pandas split, seconds (CPU s): aggregation + indicator values "
              f"{s['seconds_values']:.1f} ({s['cpu_values']:.1f}), derived figures "
              f"{s['seconds_derived']:.1f} ({s['cpu_derived']:.1f}), persistence "
              f"{s['seconds_persist']:.1f} ({s['cpu_persist']:.1f})")
    loads = {n: r["load"] for n, r in reports.items() if ok[n] and "load" in r}
    busiest = max((max(v) for v in loads.values()), default=0.0)
    print("load average (1 min) at start/end of each phase: " + ", ".join(
        f"{n} {a:.1f}/{b:.1f}" for n, (a, b) in loads.items()))
    if busiest > (os.cpu_count() or 1) + 1:  # the phase itself keeps the cores busy
        print(f"WARNING: the machine was busy with other work (load average up to "
              f"{busiest:.1f} on {os.cpu_count()} CPUs): wall-clock times are inflated and "
              "the phases did not run under the same load; compare CPU seconds too.")
    print()
    read = ", ".join(f"{n} {r['seconds_read']:.1f} s" for n, r in reports.items()
                     if ok[n] and "seconds_read" in r)
    print(f"Parquet read (not counted in refresh): {read}")
    if ok["engine"]:
        print(f"store open + close (read-only), median: {engine['open_ms']:.1f} ms")
        for label, q in engine["queries"].items():
            print(f"query {label}: median {q['median_ms']:.1f} ms, first {q['first_ms']:.1f} ms,"
                  f" max {q['max_ms']:.1f} ms over {args.runs} runs, {q['rows']} rows")
        change = engine["incremental_change"]
        print(f"incremental: {change['element']} [{change['combination']}] district "
              f"{change['district']} {change['month']}: {change['old']} -> {change['new']}; "
              f"stats {engine['incremental_stats']}")
        for check in engine["incremental_checks"]:
            print(f"  {check['what']}: before {check['before']}, after {check['after']}, "
                  f"expected by hand {check['expected']}: "
                  f"{'OK' if check['ok'] else 'FAIL'}")
    if ok["engine"] and ok["pandas"]:
        found = sum(1 for r in engine["rows"] if r.get("found"))
        agree, per_column, problems, ties = compare_all(engine["rows"], pandas_["rows"],
                                                        tree.parent)
        total = len(engine["rows"])
        verdict_text = "OK" if agree == total else "FAIL"
        print(f"engine = pandas on {agree} of {total} sampled results ({found} found in the "
              f"store), every column ({len(RESULT_COLUMNS)}): {verdict_text}")
        if ties:
            print(f"  of which {len(ties)} with a rank inside a tie within 1e-9 that each "
                  "orders its own way (float rounding of equal averages):")
            for tie in ties[:6]:
                print(f"    {tie}")
        if per_column:
            print("  mismatches by column: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(per_column.items())))
        for problem in problems:
            print(f"  differs: {problem}")
        print(f"  the sample: {sample_coverage(engine['rows'])}")
    if ok["postgres"] and ok["pandas"]:
        codes = set(postgres["indicators"])
        subset = [r for r in pandas_["rows"] if r["indicator"] in codes]
        agree, problems = compare(postgres["rows"], subset)
        print(f"postgres = pandas on {agree} of {len(subset)} sampled results: "
              f"{'OK' if agree == len(subset) else 'FAIL'}")
        for problem in problems:
            print(f"  differs: {problem}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the 1,892 districts (default 1.0, ~20 M values)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR,
                        help="directory holding peru_ubigeo_*.csv")
    parser.add_argument("--runs", type=int, default=20, help="dashboard query repetitions")
    parser.add_argument("--dsn", default="host=127.0.0.1 port=5432 user=postgres dbname=test")
    parser.add_argument("--skip", action="append", default=[], choices=["pandas", "postgres"])
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        run_phase(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
