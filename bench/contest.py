"""The seal contest engine at national scale: 1,892 municipalities × 40 criteria × 2 cuts.

    .venv/bin/python bench/contest.py            # --runs 5 --seed 20261122 --data ../shared/data

Issue 5, items 6-7: score and rank every district of Peru on 40 criteria (10 of each kind:
evidence, threshold, improvement, peer comparison) at 2 cuts, consolidate, rank within
three population categories and allocate the awards, in < 2 s. Prints the engine's time
(median of `--runs` runs, each phase apart) and, measured side by side in the same run, a
vectorised pandas version of the same scoring and consolidation (float64, no explanations,
no allocation) as the baseline, with the ratio; then cross-checks that both give the same
totals, eligibility and ranks, and that the awards add up to the fund to the cent.
Prints MISSED when the goal is not met; exits 0 always (it is a measurement).

The municipalities are INEI's 1,892 districts with their population (area × 2020 density,
as in `synthetic.py`); the readings are invented, deterministically from the seed:
evidence approved 70 %, observed 10 %, rejected 5 %, missing 10 %, not reviewed 5 %;
indicator values with one decimal, 5 % without a value (missing is not zero).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from synthetic import DEFAULT_DATA_DIR, load_peru_tree  # noqa: E402

from minka.contests.engine.awards import awards_allocate  # noqa: E402
from minka.contests.engine.model import (  # noqa: E402
    Category,
    Component,
    Criterion,
    CriterionKind,
    Eligibility,
    EvidenceReading,
    EvidenceStatus,
    IndicatorReading,
    Municipality,
    Polarity,
    RemainderPolicy,
    Rules,
    TieBreaker,
    TieBreakerKind,
    Tier,
    TierScope,
)
from minka.contests.engine.scoring import consolidate, cut_score  # noqa: E402

GOAL_SECONDS = 2.0
CUTS = ("2025S1", "2025S2")
COMPONENTS = (("PLAN", 20), ("DIT", 35), ("AGUA", 20), ("INCL", 15), ("COM", 10))
KINDS = (
    CriterionKind.EVIDENCE,
    CriterionKind.THRESHOLD,
    CriterionKind.IMPROVEMENT,
    CriterionKind.PEER,
)


def build_rules() -> Rules:
    """40 criteria, 10 of each kind, spread over the 5 components, all at both cuts."""
    criteria = []
    for i in range(40):
        kind = KINDS[i % 4]
        component = COMPONENTS[i % 5][0]
        indicator = kind != CriterionKind.EVIDENCE
        polarity = Polarity.LOWER_IS_BETTER if i % 3 == 0 else Polarity.HIGHER_IS_BETTER
        criteria.append(
            Criterion(
                code=f"C{i + 1:02d}",
                component=component,
                kind=kind,
                points=Decimal(5 + i % 3 * 5),
                cuts=CUTS,
                mandatory=i == 0,
                polarity=polarity if indicator else None,
                target=(Decimal(20) if polarity == Polarity.LOWER_IS_BETTER else Decimal(80))
                if kind in (CriterionKind.THRESHOLD, CriterionKind.IMPROVEMENT)
                else None,
            )
        )
    return Rules(
        name="Sello nacional (benchmark)",
        fund=Decimal("17000000.00"),
        cuts=CUTS,
        components=tuple(Component(code, code, Decimal(weight)) for code, weight in COMPONENTS),
        criteria=tuple(criteria),
        categories=(
            Category("A", "20 000 o más"),
            Category("B", "5 000 a 19 999"),
            Category("C", "menos de 5 000"),
        ),
        eligibility=Eligibility(
            minimum_total=Decimal(35), minimum_component_percent={"AGUA": Decimal(30)}
        ),
        tiers=(
            Tier("Primer puesto", 5, Decimal("500000.00"), TierScope.CATEGORY),
            Tier("Segundo puesto", 10, Decimal("200000.00"), TierScope.CATEGORY),
            Tier("Tercer puesto", 20, Decimal("50000.00"), TierScope.CATEGORY),
            Tier("Reconocimiento", 10, Decimal("25000.00"), TierScope.GLOBAL),
            Tier("Mención honrosa", 30, None, TierScope.CATEGORY),
        ),
        tie_breakers=(
            TieBreaker(TieBreakerKind.COMPONENT, "DIT"),
            TieBreaker(TieBreakerKind.POPULATION_ASC),
        ),
        remainder=RemainderPolicy.REDISTRIBUTE,
    )


def build_municipalities(data_dir: Path) -> list[Municipality]:
    tree = load_peru_tree(data_dir)
    result = []
    for code, population in zip(tree.district_ids, tree.district_population_2020, strict=True):
        people = int(population)
        category = "A" if people >= 20000 else "B" if people >= 5000 else "C"
        result.append(Municipality(f"{code:06d}", tree.names[int(code)], category, people))
    return result


def build_readings(
    rules: Rules, municipalities: list[Municipality], seed: int
) -> tuple[list[EvidenceReading], list[IndicatorReading]]:
    rnd = random.Random(seed)
    statuses = (
        [EvidenceStatus.APPROVED] * 14
        + [EvidenceStatus.OBSERVED] * 2
        + [EvidenceStatus.REJECTED]
        + [EvidenceStatus.MISSING] * 2
        + [None]
    )
    evidence, indicators = [], []
    for cut in CUTS:
        for criterion in rules.criteria:
            for m in municipalities:
                if criterion.kind == CriterionKind.EVIDENCE:
                    status = rnd.choice(statuses)
                    if status is not None:
                        evidence.append(
                            EvidenceReading(
                                m.code, cut, criterion.code, status, "evaluadora", (f"ev-{m.code}",)
                            )
                        )
                    continue
                lower = criterion.polarity == Polarity.LOWER_IS_BETTER
                baseline = Decimal(rnd.randint(250, 450) if lower else rnd.randint(450, 750)) / 10
                drift = Decimal(rnd.randint(-60, 150)) / 10
                value = baseline - drift if lower else baseline + drift
                indicators.append(
                    IndicatorReading(
                        m.code,
                        cut,
                        criterion.code,
                        None if rnd.random() < 0.05 else value,
                        baseline=baseline,
                        period=cut,
                        source="HIS",
                    )
                )
    return evidence, indicators


def engine_run(
    rules, municipalities, evidence, indicators
) -> tuple[dict[str, float], object, object]:
    times = {}
    start = time.perf_counter()
    points = []
    for cut in CUTS:
        points.extend(cut_score(rules, cut, municipalities, evidence, indicators))
    times["score"] = time.perf_counter() - start
    mark = time.perf_counter()
    ranking = consolidate(rules, municipalities, points)
    times["consolidate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    allocation = awards_allocate(rules, ranking)
    times["allocate"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    return times, ranking, allocation


def pandas_frames(rules, municipalities, evidence, indicators):
    """The same inputs as DataFrames (built once, not timed)."""
    crit = pd.DataFrame(
        [
            {
                "criterion": c.code,
                "component": c.component,
                "kind": str(c.kind),
                "points": float(c.points),
                "lower": c.polarity == Polarity.LOWER_IS_BETTER,
                "target": float(c.target) if c.target is not None else np.nan,
                "cap": float(c.cap),
                "mandatory": c.mandatory,
            }
            for c in rules.criteria
        ]
    )
    munis = pd.DataFrame(
        [
            {"municipality": m.code, "category": m.category, "population": m.population}
            for m in municipalities
        ]
    )
    ev = pd.DataFrame(
        [
            {
                "municipality": r.municipality,
                "cut": r.cut,
                "criterion": r.criterion,
                "status": str(r.status),
            }
            for r in evidence
        ]
    )
    ind = pd.DataFrame(
        [
            {
                "municipality": r.municipality,
                "cut": r.cut,
                "criterion": r.criterion,
                "value": float(r.value) if r.value is not None else np.nan,
                "baseline": float(r.baseline),
            }
            for r in indicators
        ]
    )
    return crit, munis, ev, ind


def round_half_up(x: pd.Series | np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(x, dtype=np.float64) * 100 + 0.5 + 1e-9) / 100


def pandas_run(rules, crit, munis, ev, ind) -> pd.DataFrame:
    """Scoring, consolidation, eligibility and ranks, vectorised; returns one row per
    municipality with total, eligible and rank."""
    grid = munis.merge(crit, how="cross").merge(pd.DataFrame({"cut": list(CUTS)}), how="cross")
    grid = grid.merge(ev, how="left", on=["municipality", "cut", "criterion"])
    grid = grid.merge(ind, how="left", on=["municipality", "cut", "criterion"])
    value, target, lower = grid["value"], grid["target"], grid["lower"]
    better = np.where(lower, value <= target, value >= target)
    points = np.zeros(len(grid))
    met = np.zeros(len(grid), dtype=bool)
    kind = grid["kind"].to_numpy()

    is_ev = kind == "evidence"
    approved = (grid["status"] == "approved").to_numpy()
    points[is_ev & approved] = grid["points"].to_numpy()[is_ev & approved]
    met |= is_ev & approved

    is_th = (kind == "threshold") & value.notna().to_numpy()
    points[is_th & better] = grid["points"].to_numpy()[is_th & better]
    met |= is_th & better

    is_im = (kind == "improvement") & value.notna().to_numpy()
    gap = (target - grid["baseline"]).to_numpy()
    room = np.where(lower, gap < 0, gap > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (value - grid["baseline"]).to_numpy() / gap
    counted = np.clip(share, 0, grid["cap"].to_numpy())
    im_points = round_half_up(grid["points"].to_numpy() * counted)
    points[is_im & room] = im_points[is_im & room]
    met |= is_im & room & (share >= 1)
    no_room = is_im & ~room & better
    points[no_room] = (grid["points"] * grid["cap"]).to_numpy()[no_room]
    met |= no_room

    is_pe = (kind == "peer") & value.notna().to_numpy()
    average = grid.groupby(["cut", "criterion", "category"])["value"].transform("mean")
    peer_ok = np.where(lower, value <= average, value >= average)
    points[is_pe & peer_ok] = grid["points"].to_numpy()[is_pe & peer_ok]
    met |= is_pe & peer_ok

    grid["earned"] = points
    grid["met"] = met
    maximum = crit.groupby("component")["points"].sum() * len(CUTS)
    earned = grid.pivot_table(
        index="municipality", columns="component", values="earned", aggfunc="sum"
    )
    weights = pd.Series({c.code: float(c.weight) for c in rules.components})
    ratio = earned[weights.index] / maximum[weights.index]
    scores = pd.DataFrame(round_half_up(ratio * weights), index=ratio.index, columns=weights.index)
    percent = pd.DataFrame(round_half_up(ratio * 100), index=ratio.index, columns=weights.index)
    result = munis.set_index("municipality").join(scores.add_prefix("score_"))
    result["total"] = scores.sum(axis=1).round(2)
    unmet = grid[grid["mandatory"] & ~grid["met"]].groupby("municipality").size()
    result["eligible"] = (
        result["total"] >= float(rules.eligibility.minimum_total)
    ) & ~result.index.isin(unmet.index)
    for component, minimum in rules.eligibility.minimum_component_percent.items():
        result["eligible"] &= percent[component].reindex(result.index) >= float(minimum)
    result = result.reset_index().sort_values(
        ["category", "total", "score_DIT", "population", "municipality"],
        ascending=[True, False, False, True, True],
    )
    result["rank"] = result.groupby("category").cumcount() + 1
    return result.set_index("municipality")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()

    rules = build_rules()
    municipalities = build_municipalities(args.data)
    evidence, indicators = build_readings(rules, municipalities, args.seed)
    cells = len(municipalities) * len(rules.criteria) * len(CUTS)
    print(
        f"{len(municipalities):,} municipalities × {len(rules.criteria)} criteria × "
        f"{len(CUTS)} cuts = {cells:,} criterion points "
        f"({len(evidence):,} evidence reviews, {len(indicators):,} indicator values); "
        "categories: "
        + ", ".join(
            f"{c.code} {sum(m.category == c.code for m in municipalities)}"
            for c in rules.categories
        )
    )

    engine_times, pandas_times = [], []
    frames = pandas_frames(rules, municipalities, evidence, indicators)
    ranking = allocation = table = None
    for _ in range(args.runs):
        times, ranking, allocation = engine_run(rules, municipalities, evidence, indicators)
        engine_times.append(times)
        start = time.perf_counter()
        table = pandas_run(rules, *frames)
        pandas_times.append(time.perf_counter() - start)

    def median(key: str) -> float:
        return statistics.median(t[key] for t in engine_times)

    engine_total = median("total")
    engine_scoring = median("score") + median("consolidate")
    pandas_median = statistics.median(pandas_times)
    print(f"\nmedian of {args.runs} runs, seconds:")
    print(
        f"  engine: score 2 cuts {median('score'):.3f}, consolidate and rank "
        f"{median('consolidate'):.3f}, allocate {median('allocate'):.4f}; "
        f"total {engine_total:.3f}"
    )
    print(
        f"  pandas baseline (vectorised float64 scoring, consolidation and ranks, no "
        f"explanations, no allocation): {pandas_median:.3f}"
    )
    print(
        f"  pandas / engine on the same work (scoring + consolidation): "
        f"{pandas_median / engine_scoring:.2f}x"
    )
    verdict = "yes" if engine_total < GOAL_SECONDS else "MISSED"
    print(f"  goal: engine total < {GOAL_SECONDS:.0f} s: {verdict}")

    assert ranking is not None and allocation is not None and table is not None
    results = {r.municipality.code: r for r in ranking.results}
    same_total = sum(
        abs(float(r.total) - table.at[code, "total"]) <= 0.011 for code, r in results.items()
    )
    same_eligible = sum(
        r.eligible == bool(table.at[code, "eligible"]) for code, r in results.items()
    )
    same_rank = sum(r.rank == int(table.at[code, "rank"]) for code, r in results.items())
    n = len(results)
    print(
        f"\nengine = pandas: totals (±0.01) {same_total} of {n}, eligibility "
        f"{same_eligible} of {n}, rank in category {same_rank} of {n}"
    )
    eligible = sum(r.eligible for r in ranking.results)
    money = [a.amount for a in allocation.awards if a.amount is not None]
    print(
        f"eligible {eligible} of {n}; awards {len(allocation.awards)} "
        f"({len(money)} with money); awarded {allocation.awarded} + remainder "
        f"{allocation.remainder} = fund {allocation.fund}: "
        f"{'OK' if sum(money, Decimal(0)) + allocation.remainder == allocation.fund else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
