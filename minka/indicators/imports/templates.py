"""`template_build`: the CSV or Excel file people download, fill in and upload again.

One row per data element × territory × period × disaggregation, with names for people and
empty value and comment columns; what it produces imports back with `values_import`
(format csv or xlsx): the column keys are `template_csv.TEMPLATE_COLUMNS`. A period that is
not of an element's period type gives that element no rows (a monthly element is not asked
for a year). In the workbook the code columns are locked (the sheet is protected without a
password: it prevents slips, not intent), codes are stored as text so leading zeros
survive, the value column checks the element's type where Excel can (whole numbers,
decimals, 0–100 for percentages, sí/no), and a second sheet explains it all in Spanish and
English, in both languages at once because the file travels between people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from minka.analytics.engine.periods import PeriodError, period_parse
from minka.indicators.importers.template_csv import TEMPLATE_KEYS
from minka.indicators.importers.template_xlsx import DATA_SHEET_TITLE
from minka.indicators.models import Combination, DataElement, ValueType
from minka.indicators.services import element_combination_keys
from minka.territories.models import Territory

FORMATS = ("csv", "xlsx")
INSTRUCTIONS_TITLE = "Instrucciones"
_CODE_COLUMNS = ("element", "country", "territory", "period", "disaggregation")

# (Spanish, English): the template speaks both languages on the same sheet.
INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("Plantilla de datos de Minka", "Minka data template"),
    ("Escriba cada valor en la columna «value» y, si hace falta, un comentario en «comment».",
     "Type each value in the 'value' column and, if needed, a comment in 'comment'."),
    ("No cambie las columnas de códigos (element, country, territory, period, "
     "disaggregation): dicen a qué dato, territorio, periodo y desagregación va el valor.",
     "Do not change the code columns (element, country, territory, period, disaggregation): "
     "they say which data element, territory, period and disaggregation the value is for."),
    ("Deje vacía la fila que no tenga dato: una fila vacía no borra nada. Vacío no es cero.",
     "Leave a row empty when there is no figure: an empty row deletes nothing. Empty is not "
     "zero."),
    ("Números sin separador de miles, con punto decimal (1234.5). Sí/no: sí o no (también "
     "1 o 0).",
     "Numbers without a thousands separator, with a decimal point (1234.5). Yes/no: sí or no "
     "(also 1 or 0)."),
    ("Sin fórmulas ni celdas combinadas: escriba el valor mismo.",
     "No formulas and no merged cells: type the value itself."),
    ("Suba el archivo en Minka (Datos > Importar) y revise primero la prueba (sin escribir).",
     "Upload the file in Minka (Data > Import) and check the dry run first (nothing written)."),
)


def _rows(
    elements: Sequence[DataElement], territories: Sequence[Territory], periods: Sequence[str]
) -> Iterator[list[str]]:
    parsed = []
    for text in periods:
        try:
            parsed.append(period_parse(text))
        except PeriodError as error:
            raise ValidationError(_("%(period)s is not a period.") % {"period": text}) from error
    names = dict(Combination.objects.values_list("key", "name_es"))
    for element in elements:
        keys = element_combination_keys(element)
        own = [p for p in parsed if p.type.value == element.period_type]
        for territory in territories:
            for period in own:
                for key in keys:
                    yield [
                        element.code, element.name, territory.country, territory.code,
                        territory.name, period.id, key, names.get(key, key) if key else "Total",
                        "", "",
                    ]


def template_build(
    *,
    elements: Sequence[DataElement],
    territories: Sequence[Territory],
    periods: Sequence[str],
    format: str,
) -> bytes:
    """The template's bytes: CSV (UTF-8 with a byte-order mark, so Excel reads accents) or
    an Excel workbook."""
    if format not in FORMATS:
        raise ValidationError(_("Unknown template format %(format)s.") % {"format": format})
    rows = list(_rows(elements, territories, periods))
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(TEMPLATE_KEYS)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    value_types = {e.code: e.value_type for e in elements}
    return _workbook(rows, value_types)


def _workbook(rows: list[list[str]], value_types: dict[str, str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET_TITLE
    sheet.append(list(TEMPLATE_KEYS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    value_column = TEMPLATE_KEYS.index("value") + 1
    comment_column = TEMPLATE_KEYS.index("comment") + 1
    code_columns = {TEMPLATE_KEYS.index(key) + 1 for key in _CODE_COLUMNS}
    grey = PatternFill("solid", fgColor="EEEEEE")
    validations: dict[str, DataValidation] = {
        ValueType.INTEGER: DataValidation(type="whole", operator="between",
                                          formula1="-999999999999", formula2="999999999999"),
        ValueType.NUMBER: DataValidation(type="decimal", operator="between",
                                         formula1="-1E+15", formula2="1E+15"),
        ValueType.PERCENTAGE: DataValidation(type="decimal", operator="between",
                                             formula1="0", formula2="100"),
        ValueType.BOOLEAN: DataValidation(type="list", formula1='"sí,no"'),
    }
    for number, row in enumerate(rows, start=2):
        sheet.append(row)
        for column in range(1, len(TEMPLATE_KEYS) + 1):
            cell = sheet.cell(row=number, column=column)
            if column in code_columns:
                cell.number_format = "@"
                cell.fill = grey
            if column in (value_column, comment_column):
                cell.protection = Protection(locked=False)
        validation = validations.get(value_types.get(row[0], ""))
        if validation is not None:
            validation.add(f"{get_column_letter(value_column)}{number}")
    for validation in validations.values():
        if validation.sqref:  # an empty one makes Excel "repair" the file
            validation.error = (
                "Valor no válido para este dato / Not a valid value for this element"
            )
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
    for column, width in enumerate((18, 40, 8, 12, 28, 10, 22, 28, 12, 30), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.autoFilter = False
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(TEMPLATE_KEYS))}{max(len(rows) + 1, 2)}"
    instructions = workbook.create_sheet(INSTRUCTIONS_TITLE)
    instructions.append(["Español", "English"])
    for cell in instructions[1]:
        cell.font = Font(bold=True)
    for spanish, english in INSTRUCTIONS:
        instructions.append([spanish, english])
    instructions.column_dimensions["A"].width = 80
    instructions.column_dimensions["B"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
