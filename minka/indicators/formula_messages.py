"""Formula errors in the user's language.

The engine's messages are English with a 0-based `position`; people count characters from 1,
so the position shown is one more than the engine's.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from minka.analytics.engine.formula import FormulaError

_MESSAGES = {
    "empty": _("empty formula"),
    "too_long": _("formula is longer than %(limit)s characters"),
    "too_nested": _("formula nests more than %(limit)s levels deep at position %(position)s"),
    "too_complex": _(
        "formula has more than %(limit)s levels of operations at position %(position)s"
    ),
    "unexpected_character": _("unexpected character %(character)s at position %(position)s"),
    "unexpected_token": _("unexpected %(token)s at position %(position)s"),
    "unexpected_end": _("unexpected end of formula at position %(position)s"),
    "unexpected_name": _(
        "unexpected name '%(name)s' at position %(position)s: write data elements as "
        "#{CODE} and constants as C{NAME}"
    ),
    "single_equals": _("use '==' to compare, at position %(position)s"),
    "expected_digit": _("expected a digit after '.' at position %(position)s"),
    "expected_brace": _("expected '{' after '#' at position %(position)s"),
    "unclosed_reference": _("unclosed reference %(opening)s at position %(position)s"),
    "unclosed_parenthesis": _("unclosed '(' at position %(position)s"),
    "invalid_reference_character": _(
        "invalid character %(character)s in reference at position %(position)s"
    ),
    "empty_code": _("missing code in reference at position %(position)s"),
    "empty_disaggregation": _("missing disaggregation after '.' at position %(position)s"),
    "extra_dot": _(
        "a reference has at most one '.' (#{CODE.DISAGGREGATION}), at position %(position)s"
    ),
    "constant_with_dot": _("a constant has no disaggregation, at position %(position)s"),
    "invalid_offset": _("expected a period offset like [-1] at position %(position)s"),
    "positive_offset": _(
        "a period offset must be 0 or negative (an earlier period), at position %(position)s"
    ),
    "offset_too_far": _(
        "a period offset cannot reach back more than %(limit)s periods, at position %(position)s"
    ),
    "offset_without_reference": _(
        "a period offset [...] can only follow a reference #{...}, at position %(position)s"
    ),
    "unknown_function": _("unknown function '%(name)s' at position %(position)s"),
    "expected_call": _("expected '(' after %(name)s at position %(position)s"),
    "one_argument": _("expected 1 argument to %(name)s, got %(got)s at position %(position)s"),
    "argument_count": _(
        "expected %(expected)s arguments to %(name)s, got %(got)s at position %(position)s"
    ),
    "too_few_arguments": _(
        "expected at least %(expected)s arguments to %(name)s, got %(got)s at position %(position)s"
    ),
    "expected_comparison": _(
        "expected a comparison (<, <=, >, >=, ==, !=) as the condition of if, at position "
        "%(position)s"
    ),
    "comparison_outside_if": _(
        "a comparison is only allowed as the condition of if, at position %(position)s"
    ),
    "chained_comparison": _("comparisons cannot be chained, at position %(position)s"),
    "unknown_reference": _("unknown data element '%(code)s' at position %(position)s"),
    "unknown_disaggregation": _(
        "unknown disaggregation '%(disaggregation)s' of '%(code)s' at position %(position)s"
    ),
    "unknown_constant": _("unknown constant '%(name)s' at position %(position)s"),
}


def formula_error_text(error: FormulaError) -> str:
    """The translated message of a formula error, its position counted from 1."""
    params = {**error.params, "position": error.position + 1}
    return str(_MESSAGES[error.code]) % params
