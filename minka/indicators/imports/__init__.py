"""Imports of data values and metadata, data-entry templates, and data quality.

The public services (keyword-only; see each module):
- `values_import` (values.py): a CSV/Excel template, DHIS2 dataValueSets JSON or CSV, or
  the INEI ubigeo district figures; all or nothing, dry run first, row-level report;
- `metadata_import` (metadata.py): DHIS2 metadata into the catalogue, idempotent;
- `template_build` (templates.py): the CSV or Excel template to fill in;
- `quality_check`, `quality_flag_review`, `validation_rule_save` (quality.py).
"""

from minka.indicators.imports.metadata import metadata_import, metadata_summary_lines
from minka.indicators.imports.quality import (
    quality_check,
    quality_flag_review,
    validation_rule_save,
)
from minka.indicators.imports.summary import summary_lines
from minka.indicators.imports.templates import template_build
from minka.indicators.imports.values import value_parse, values_import

__all__ = [
    "metadata_import",
    "metadata_summary_lines",
    "quality_check",
    "quality_flag_review",
    "summary_lines",
    "template_build",
    "validation_rule_save",
    "value_parse",
    "values_import",
]
