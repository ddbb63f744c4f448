"""Exact sums (exact.py): fixed point, so totals do not depend on the order of their terms."""

from __future__ import annotations

import numpy as np

from minka.analytics.engine.exact import Fixed, fixed, fixed_product, weight_scale


def test_six_decimal_values_sum_exactly_in_any_order():
    values = np.array([0.1, 0.2, 0.3])
    # Left to right in floating point: 0.1 + 0.2 = 0.30000000000000004, + 0.3 =
    # 0.6000000000000001. As integers of 10⁻⁶: 100000 + 200000 + 300000 = 600000 -> 0.6.
    assert 0.1 + 0.2 + 0.3 != 0.6
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        units = fixed(values[order])
        total = Fixed(np.array([units.units.sum()]), units.scale)
        assert total.doubles()[0] == 0.6


def test_sums_beyond_int64_fall_back_to_python_integers_and_stay_exact():
    # 4e12 at 10⁻⁶ is 4e18 units; three of them (1.2e19) no longer fit an int64.
    values = np.array([4e12, 4e12, 4e12 + 0.5])
    units = fixed(values)
    assert units.units.dtype == object
    total = Fixed(np.array([sum(units.units)], dtype=object), units.scale)
    assert total.doubles()[0] == 12_000_000_000_000.5


def test_the_double_of_a_large_exact_sum_is_the_nearest_one():
    # 2^53 + 1 units of 10⁻⁶ do not fit a double: int64 -> double would round once and
    # dividing would round again; the result must be the double nearest 9007199254.740993.
    units = Fixed(np.array([2**53 + 1], dtype=np.int64), 10**6)
    assert units.doubles()[0] == (2**53 + 1) / 10**6


def test_products_of_values_and_whole_weights_are_exact():
    values = fixed(np.array([0.1, 0.7]))
    weights = fixed(np.array([3.0, 1000.0]), weight_scale(np.array([3.0, 1000.0])))
    assert weights.scale == 1
    product = fixed_product(values, weights)
    # 0.1 x 3 = 0.3 and 0.7 x 1000 = 700, exactly (in floating point 0.1 * 3 is
    # 0.30000000000000004).
    assert list(product.doubles()) == [0.3, 700.0]
    assert weight_scale(np.array([2.5])) == 10**6
