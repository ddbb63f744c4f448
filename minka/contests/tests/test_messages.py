"""The engine's sentences: both languages say the same thing; money the Peruvian way."""

from __future__ import annotations

import string
from decimal import Decimal

from minka.contests.engine.messages import CATALOGUE, Money, money_format, msg, number_format


def test_every_sentence_has_both_languages_with_the_same_parameters() -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for code, (spanish, english) in CATALOGUE.items():
        assert spanish and english, code
        assert fields(spanish) == fields(english), code


def test_money_is_written_the_peruvian_way_in_both_languages() -> None:
    assert money_format(Decimal("1500000")) == "S/ 1 500 000,00"
    assert money_format(Decimal("214285.72")) == "S/ 214 285,72"
    assert money_format(Decimal("999")) == "S/ 999,00"
    assert money_format(Decimal("0.5")) == "S/ 0,50"
    assert money_format(Decimal("-1000.01")) == "-S/ 1 000,01"
    message = msg("remainder_returned", amount=Money(Decimal("1234.5")))
    assert "S/ 1 234,50" in message.text("es") and "S/ 1 234,50" in message.text("en")


def test_other_numbers_use_the_language_decimal_mark() -> None:
    assert number_format(Decimal("2.50"), "es") == "2,50"
    assert number_format(Decimal("2.50"), "en") == "2.50"
    assert number_format(Decimal("1E+1"), "en") == "10"
    assert number_format(7, "es") == "7"
