"""The parent's comparison: structure, type, shape, dtype, then values (exact, allclose, set, sorted)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cvquiz.grade.assignment import Compare
from cvquiz.grade.compare import Output, compare, from_result, to_value


def arr(x, dtype="float32", kind="torch.Tensor"):
    a = np.asarray(x, dtype=dtype)
    return Output(a, kind, f"torch.{dtype}" if kind == "torch.Tensor" else None)


ALLCLOSE, EXACT, SET, SORTED = Compare("allclose"), Compare("exact"), Compare("set"), Compare("sorted")


def test_values_within_the_float32_tolerance_pass():
    assert compare(arr([1.0, 2.00001]), arr([1.0, 2.0]), ALLCLOSE).passed


def test_a_wrong_value_names_the_first_index_what_was_got_and_what_was_expected():
    v = compare(arr([[1, 2], [3, 5]]), arr([[1, 2], [3, 4]]), ALLCLOSE)
    assert (v.passed, v.problem) == (False, "values")
    assert v.message.en == ("wrong values: 1 of 4 differ (within rtol=0.0001, atol=1e-05); first at index [1, 1]: "
                            "got 5, expected 4")
    assert "下标 [1, 1]" in v.message.zh


def test_exact_comparison_of_indices_fails_on_any_difference():
    assert compare(arr([2, 0, 1], "int64"), arr([2, 0, 1], "int64"), EXACT).passed
    v = compare(arr([2, 1, 0], "int64"), arr([2, 0, 1], "int64"), EXACT)
    assert "first at index [1]: got 1, expected 0" in v.message.en


def test_a_shape_mismatch_is_reported_before_values():
    v = compare(arr([1, 2, 3]), arr([[1, 2, 3]]), ALLCLOSE)
    assert (v.problem, v.message.en) == ("shape", "expected shape (1, 3), got (3,)")


def test_integers_where_floats_are_expected_is_a_dtype_problem():
    v = compare(arr([1, 2], "int64"), arr([1, 2], "float32"), ALLCLOSE)
    assert v.problem == "dtype"
    assert v.message.en == "expected floating-point values (torch.float32), got integers (torch.int64)"


def test_exact_dtype_rule_tells_float32_from_float64():
    spec = Compare("allclose", dtype="exact")
    assert compare(arr([1.0], "float64"), arr([1.0], "float32"), spec).problem == "dtype"
    assert compare(arr([1.0], "float64"), arr([1.0], "float32"), ALLCLOSE).passed


def test_a_numpy_array_where_a_tensor_is_expected_is_the_wrong_type():
    v = compare(arr([1.0], kind="numpy.ndarray"), arr([1.0]), ALLCLOSE)
    assert (v.problem, v.message.en) == ("type", "expected a torch.Tensor, got numpy.ndarray")


def test_a_python_number_for_a_scalar_tensor_is_accepted():
    assert compare(Output(np.asarray(0.5), "float"), arr(0.5), ALLCLOSE).passed


def test_nan_matches_nan_and_infinity_must_match_exactly():
    assert compare(arr([np.nan, np.inf, 1]), arr([np.nan, np.inf, 1]), ALLCLOSE).passed
    assert not compare(arr([np.nan, 1]), arr([np.nan, 1]), Compare("allclose", equal_nan=False)).passed
    v = compare(arr([1.0, -np.inf]), arr([1.0, np.inf]), ALLCLOSE)
    assert "first at index [1]: got -inf, expected inf" in v.message.en
    assert not compare(arr([np.nan]), arr([0.0]), ALLCLOSE).passed


def test_set_comparison_ignores_order_but_not_duplicates_or_missing_values():
    assert compare(arr([3, 1, 2], "int64"), arr([1, 2, 3], "int64"), SET).passed
    assert compare(arr([1, 1, 2], "int64"), arr([1, 2], "int64"), SET).message.en == \
        "wrong values: [1] appear more than once"
    assert compare(arr([1, 4], "int64"), arr([1, 2], "int64"), SET).message.en == \
        "wrong values (compared as a set, in any order): missing [2]; not expected [4]"


def test_sorted_comparison_sorts_rows_first():
    got = arr([[2, 0.5], [1, 0.25]])
    assert compare(got, arr([[1, 0.25], [2, 0.5]]), SORTED).passed


def test_tuples_are_compared_element_by_element_and_the_element_is_named():
    expected = to_value((np.zeros(2, np.float32), np.ones(3, np.float32)))
    got = from_result((np.zeros(2, np.float32), np.ones(2, np.float32)), "tuple", None)
    v = compare(got, expected, ALLCLOSE)
    assert v.message.en == "element [1] of the returned tuple: expected shape (3,), got (2,)"
    assert compare(from_result(np.zeros(2), "torch.Tensor", "torch.float64"), expected, ALLCLOSE).message.en == \
        "expected a tuple of 2 values, got torch.Tensor"


@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(-1e6, 1e6, width=32)))
def test_every_array_matches_itself_under_every_comparison(a):
    for spec in (ALLCLOSE, EXACT, SORTED):
        assert compare(arr(a, a.dtype.name), arr(a, a.dtype.name), spec).passed


@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1.0))
def test_allclose_fails_exactly_beyond_atol_plus_rtol_times_the_expected(x, step):
    spec = Compare("allclose", rtol=1e-3, atol=1e-4)
    bound = 1e-4 + 1e-3 * x
    assert compare(arr([x + 0.5 * bound], "float64"), arr([x], "float64"), spec).passed
    assert not compare(arr([x + (1 + step) * bound], "float64"), arr([x], "float64"), spec).passed
