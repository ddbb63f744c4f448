"""The seal contest's pure engine: rules and readings in, points, ranking and awards out.

No Django and no database (DESIGN, Conventions 2): plain frozen dataclasses and `Decimal`,
tested without a database in `minka/contests/tests/`. The modules:

- `model`: the rules (components, criteria, categories, eligibility, tiers, tie-breakers,
  remainder policy) and the readings of a cut (evidence reviews, frozen indicator values);
- `scoring`: `cut_score` (points per municipality and criterion at a cut, each with its
  explanation), `consolidate` / `ranking_build` (component scores, total, eligibility and
  rank within category);
- `awards`: `awards_allocate` (tiers filled in rank order; the fund to the cent);
- `messages`: every sentence as a code with parameters, rendered in Spanish or English;
- `files`: RULES.json and SCORES.csv for simulations, all or nothing with problems.
"""
