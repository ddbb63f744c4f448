"""The messages of the DHIS2 metadata import, as English msgids (translated by the services).

Besides its params a message may use %(object)s: the object's type, name and uid.
"""

from __future__ import annotations

from minka.indicators.importers.rows import gettext_noop

# Reason code -> English message.
MESSAGES: dict[str, str] = {
    "invalid_json": gettext_noop("The file is not valid JSON: %(detail)s."),
    "not_utf8": gettext_noop("The file is not UTF-8 (byte %(byte)s at line %(line)s)."),
    "not_metadata": gettext_noop(
        "The file is not DHIS2 metadata: expected an object with lists such as "
        "\"dataElements\" or \"indicators\"."
    ),
    "not_an_object": gettext_noop("An entry of %(list)s is not a JSON object."),
    "missing_id": gettext_noop("An entry of %(list)s has no id."),
    "duplicate_code": gettext_noop(
        "%(object)s has code %(code)s, like %(other)s: codes must be unique."
    ),
    "unsupported_value_type": gettext_noop(
        "%(object)s has value type %(value)s, which Minka does not hold (it holds numbers, "
        "percentages and yes/no): left out."
    ),
    "true_only": gettext_noop(
        "%(object)s is TRUE_ONLY in DHIS2: imported as yes/no."
    ),
    "unsupported_period_type": gettext_noop(
        "%(object)s is collected %(value)s, a period type Minka does not use (it uses "
        "Yearly, SixMonthly, Quarterly, Monthly, Weekly): left out."
    ),
    "period_type_default": gettext_noop(
        "%(object)s is in no data set, so its period type is unknown: Monthly assumed."
    ),
    "period_type_several": gettext_noop(
        "%(object)s is in data sets of several period types (%(value)s): the finest, "
        "%(chosen)s, is used (it rolls up to the others)."
    ),
    "aggregation_approximated": gettext_noop(
        "%(object)s aggregates as %(value)s in DHIS2: imported as %(chosen)s."
    ),
    "unsupported_aggregation": gettext_noop(
        "%(object)s aggregates as %(value)s in DHIS2, which Minka does not do: imported as "
        "not aggregated."
    ),
    "unknown_category_combo": gettext_noop(
        "%(object)s uses category combination %(value)s, which is neither in the file nor "
        "known: left out."
    ),
    "unknown_category_option": gettext_noop(
        "%(object)s has option %(value)s, which is not in the file: left out."
    ),
    "unknown_category": gettext_noop(
        "%(object)s uses category %(value)s, which is not in the file: left out."
    ),
    "code_changed": gettext_noop(
        "%(object)s has code %(value)s, which a formula cannot name: it is %(chosen)s in "
        "Minka."
    ),
    "code_from_uid": gettext_noop("%(object)s has no code: its uid %(chosen)s is used."),
    "unsupported_expression": gettext_noop(
        "%(object)s: the %(side)s expression has %(value)s at position %(position)s, which "
        "Minka's formulas cannot express: left out."
    ),
    "empty_expression": gettext_noop("%(object)s: the %(side)s expression is empty: left out."),
    "unknown_reference": gettext_noop(
        "%(object)s: the %(side)s expression refers to data element %(value)s, which is "
        "neither in the file nor known: left out."
    ),
    "unknown_constant": gettext_noop(
        "%(object)s: the %(side)s expression refers to constant %(value)s, which is neither "
        "in the file nor known: left out."
    ),
    "unknown_combo_reference": gettext_noop(
        "%(object)s: the %(side)s expression refers to category option combination "
        "%(value)s, which is neither in the file nor known: left out."
    ),
    "combo_not_single_option": gettext_noop(
        "%(object)s: the %(side)s expression refers to %(value)s, a combination of several "
        "options; Minka's formulas name one option at a time: left out."
    ),
    "attribute_reference": gettext_noop(
        "%(object)s: the %(side)s expression names attribute option combination %(value)s; "
        "Minka has no attribute dimension: left out."
    ),
    "annualized": gettext_noop(
        "%(object)s is annualized in DHIS2; Minka's formula is not (the same for yearly "
        "figures)."
    ),
    "no_data_reference": gettext_noop(
        "%(object)s refers to no data element (formula %(value)s): imported as it is."
    ),
    "unknown_indicator_type": gettext_noop(
        "%(object)s has indicator type %(value)s, which is not in the file: factor 1 used."
    ),
    "unsupported_operator": gettext_noop(
        "%(object)s compares with %(value)s, which Minka's rules do not do: left out."
    ),
    "formula_rejected": gettext_noop(
        "%(object)s: its formula %(value)s was refused: %(detail)s: left out."
    ),
    "invalid_constant_value": gettext_noop(
        "%(object)s has value %(value)s, which is not a number: left out."
    ),
}
