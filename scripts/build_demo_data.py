"""Build the demo's data files: minka/demo/demo_data/cusco.json (territories and 2025 census
figures) and minka/demo/demo_data/indicators.json (district figures and synthetic records).

Usage: .venv/bin/python scripts/build_demo_data.py [DATA_DIR] [--output PATH]
                                                  [--indicators-output PATH]
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

indicators.json ("minka.demo.indicators/1", read by minka.demo.indicator_data) holds:
- the four real district figures of peru_ubigeo_distrito.csv for Cusco's districts (total
  and extreme poverty %, INEI poverty map 2018; IDH, PNUD 2019; MIDIS' food vulnerability
  index IVIA, whose year the source does not state: stored as 2018, the year and the element
  code minka.indicators.importers.ubigeo_figures uses too), rounded to the 6 decimals data
  values are stored with; "S.I."/"NA" cells are left out (missing, not zero);
- synthetic monthly counts 2019-01..2025-12 (minka.demo.synthetic, fixed seed), drawn from
  each district's census population and real poverty rate.
Both files are deterministic: running the script again on the same inputs rewrites them
byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import sys
from decimal import Decimal
from pathlib import Path

from minka.demo.indicator_data import FigureSeries, figure_decimal, indicator_document
from minka.demo.synthetic import SYNTHETIC_SEED, DistrictProfile, synthetic_monthly
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
DISTRICT_FILE = "peru_ubigeo_distrito.csv"
_VIA = "github.com/jmcastagnetto/ubigeo-peru-aumentado (commit a783fa66, MIT)"
# (element, csv column, period, source) of the real district figures.
DISTRICT_FIGURES = [
    ("POBREZA_TOTAL_PCT", "pct_pobreza_total", "2018",
     f"INEI, Mapa de pobreza monetaria provincial y distrital 2018, via {_VIA}"),
    ("POBREZA_EXTREMA_PCT", "pct_pobreza_extrema", "2018",
     f"INEI, Mapa de pobreza monetaria provincial y distrital 2018, via {_VIA}"),
    ("IDH", "idh_2019", "2019", f"PNUD, Índice de Desarrollo Humano 2019, via {_VIA}"),
    ("IVIA", "indice_vulnerabilidad_alimentaria", "2018",
     "MIDIS, Índice de vulnerabilidad a la inseguridad alimentaria (IVIA; año no indicado "
     f"en la fuente, registrado como 2018), via {_VIA}"),
]
SYNTHETIC_SOURCE = (
    "Datos sintéticos de demostración (HIS/SIEN simulados, semilla fija); "
    "no son mediciones reales"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path,
                        default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--output", type=Path,
                        default=PROJECT / "minka" / "demo" / "demo_data" / "cusco.json")
    parser.add_argument("--indicators-output", type=Path,
                        default=PROJECT / "minka" / "demo" / "demo_data" / "indicators.json")
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

    districts = sorted(row.code for row in region if row.level == "district")
    figures = district_figures(args.data_dir / DISTRICT_FILE, districts)
    poverty = {code: float(value) for code, value in figures[0].values.items()}
    totals = {cell.code: cell.value for cell in cells if cell.sex == "total"}
    periods, series = synthetic_monthly(
        [DistrictProfile(code=code, population=totals[code], poverty=poverty.get(code))
         for code in districts],
        seed=SYNTHETIC_SEED,
    )
    text = indicator_document(
        country="PE", figures=figures, synthetic_source=SYNTHETIC_SOURCE,
        seed=SYNTHETIC_SEED, periods=periods, series=series,
    )
    args.indicators_output.write_text(text, encoding="utf-8")
    real = {figure.element: len(figure.values) for figure in figures}
    synthetic = sum(1 for item in series for column in item.values.values()
                    for value in column if value is not None)
    print(f"{args.indicators_output}: real figures {real}, {synthetic} synthetic values "
          f"({len(periods)} months), {len(text.encode()) // 1024} KiB")
    return 0


def district_figures(path: Path, districts: list[str]) -> list[FigureSeries]:
    """The real figures of these districts, joined on the INEI code (never on names)."""
    wanted = set(districts)
    values: dict[str, dict[str, Decimal]] = {element: {} for element, *_ in DISTRICT_FIGURES}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["inei"].strip()
            if code not in wanted:
                continue
            for element, column, _period, _source in DISTRICT_FIGURES:
                value = figure_decimal(row[column])
                if value is not None:
                    values[element][code] = value
    return [FigureSeries(element=element, period=period, source=source, values=values[element])
            for element, _column, period, source in DISTRICT_FIGURES]


if __name__ == "__main__":
    sys.exit(main())
