"""Build minka/demo/demo_data/cusco.json, the demo's territories and 2025 census figures.

Usage: .venv/bin/python scripts/build_demo_data.py [DATA_DIR] [--output PATH]
DATA_DIR defaults to ../shared/data beside the project (see its PROVENANCE.md).

Why a committed file: `minka seed_demo` must work on a machine with nothing but the project,
so the Cusco region is extracted once from the INEI files, through the same parsers (and the
same checks) as `minka import_territories` and `minka import_population`, and the result is
committed. Run the script again only when the source files change.

The output format, "minka.territories.demo/1" (read by
minka.territories.importers.demo.demo_rows):

    {
      "format": "minka.territories.demo/1",
      "country": "PE",
      "year": 2025,                       # the population figures' year
      "territory_source": "...",          # attribution, shown in reports
      "population_source": "...",         # stored as Population.source
      "territories": [                    # parents before children, one per line
        {"code": "08", "level": "region", "parent": "PE", "name": "CUSCO",
         "capital": "Cusco", "aliases": {"inei6": "080000", "reniec": "070000"},
         "population": {"total": 1379167, "male": 681322, "female": 697845}},
        ...
      ]
    }

Codes are INEI's short ubigeo ("08", "0801", "080101"); `aliases` are TerritoryAlias codes by
scheme; the root "PE" is not listed (the load service creates it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minka.territories.importers import census_population_parse, peru_ubigeo_parse
from minka.territories.importers.demo import demo_document

PROJECT = Path(__file__).resolve().parents[1]
REGION = "08"  # Cusco
YEAR = 2025
CENSUS_FILE = "cusco_censo2025_poblacion.csv"
TERRITORY_SOURCE = (
    "INEI ubigeo, via github.com/jmcastagnetto/ubigeo-peru-aumentado "
    "(commit a783fa66, MIT)"
)
POPULATION_SOURCE = "INEI, Censos Nacionales 2025, cuadro INDDEM06"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path,
                        default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--output", type=Path,
                        default=PROJECT / "minka" / "demo" / "demo_data" / "cusco.json")
    args = parser.parse_args(argv)

    territories = peru_ubigeo_parse(args.data_dir)
    population = census_population_parse(args.data_dir / CENSUS_FILE, year=YEAR)
    errors = territories.errors + population.errors
    if errors:
        for issue in errors:
            print(f"{issue.file}:{issue.line}: {issue.reason} {issue.column} {issue.value}",
                  file=sys.stderr)
        return 1
    region = [row for row in territories.rows
              if row.level != "country" and row.code.startswith(REGION)]
    codes = {row.code for row in region}
    cells = [cell for cell in population.rows if cell.code in codes]
    missing = codes - {cell.code for cell in cells}
    if missing or len(cells) != 3 * len(region):
        print(f"census figures missing for {sorted(missing)}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(demo_document(
        country="PE", year=YEAR, territory_source=TERRITORY_SOURCE,
        population_source=POPULATION_SOURCE, territories=region, population=cells,
    ), encoding="utf-8")
    levels = {level: sum(1 for r in region if r.level == level)
              for level in ("region", "province", "district")}
    print(f"{args.output}: {levels}, {len(cells)} population cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
