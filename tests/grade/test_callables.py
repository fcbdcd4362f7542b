"""Callable, dict-valued arguments and dict return values: the loader's messages, the worker's
conversion, and the key-by-key comparison (the built-in assignments test them end to end)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cvquiz.grade import child
from cvquiz.grade.assignment import Compare
from cvquiz.grade.compare import compare, from_result, to_value
from cvquiz.grade.inputs import ArgSpec, build_arg
from cvquiz.grade.protocol import Arg
from cvquiz.grade.runner import materialize
from tests.grade.test_assignment import GOOD, course, problems_of  # noqa: F401 - the fixture

HELPERS = "def make(W):\n    return lambda x: x @ W\n"

WITH_CALL = GOOD.replace("functions:\n", "support: [helpers.py]\nfunctions:\n", 1).replace(
    "          iou_threshold: 0.5\n      - id: random",
    "          iou_threshold: {call: helpers.make, args: {W: {gen: normal, shape: [2, 2]}}}\n      - id: random", 1)


def _write_helpers(course):
    (course / "questions" / "assignments" / "tiny" / "helpers.py").write_text(HELPERS, encoding="utf-8")


def test_a_call_argument_naming_a_support_factory_reads_into_a_call_spec(course, monkeypatch):
    _write_helpers(course)
    assert problems_of(course, WITH_CALL, monkeypatch) == []


def test_a_call_to_a_module_not_listed_under_support_is_refused_with_file_and_line(course, monkeypatch):
    _write_helpers(course)
    text = WITH_CALL.replace("support: [helpers.py]\n", "")
    (problem,) = problems_of(course, text, monkeypatch)
    assert problem.startswith("questions/assignments/tiny/assignment.yaml:17: "
                              "functions[0].tests[0].args.iou_threshold.call: helpers.py is not a support module")


def test_a_call_to_a_function_the_support_module_lacks_suggests_the_near_name(course, monkeypatch):
    _write_helpers(course)
    (problem,) = problems_of(course, WITH_CALL.replace("helpers.make,", "helpers.mak,"), monkeypatch)
    assert "helpers.py defines no function 'mak'; did you mean 'make'?" in problem


def test_a_dict_argument_with_a_bad_entry_names_the_entry(course, monkeypatch):
    text = GOOD.replace("iou_threshold: 0.5\n      - id: random",
                        "iou_threshold: {dict: {W: {gen: nromal, shape: [2]}}}\n      - id: random", 1)
    (problem,) = problems_of(course, text, monkeypatch)
    assert "functions[0].tests[0].args.iou_threshold.dict.W.gen: unknown generator 'nromal'" in problem


def test_dict_and_factory_specs_become_plain_args_and_the_parent_builds_the_same_callable(tmp_path):
    (tmp_path / "helpers.py").write_text(HELPERS, encoding="utf-8")
    w = ArgSpec("gen", gen="normal", params=(("shape", [2, 2]),))
    arg = build_arg(ArgSpec("call", value="helpers.make", items=(w,), names=("W",)), 7, "torch")
    assert arg.kind == "factory" and arg.value[:2] == ("helpers", "make")
    assert isinstance(arg.value[2][0][1].value, np.ndarray)  # only arrays travel
    fn = materialize(arg, tmp_path)
    x = torch.ones(1, 2)
    assert torch.equal(fn(x), x @ torch.from_numpy(arg.value[2][0][1].value))
    d = build_arg(ArgSpec("dict", items=(w,), names=("W",)), 7, "numpy")
    assert d.kind == "dict" and set(materialize(d)) == {"W"}


def test_the_worker_builds_the_factory_from_the_support_folder_not_from_a_student_file(tmp_path):
    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "helpers.py").write_text(HELPERS, encoding="utf-8")
    arg = Arg("factory", ("helpers", "make", (("W", Arg("torch", np.eye(2), dtype="float64")),)))
    fn = child._build(arg, np, torch, tmp_path / "support")
    assert torch.equal(fn(torch.ones(1, 2, dtype=torch.float64)), torch.ones(1, 2, dtype=torch.float64))
    with pytest.raises(child._SupportFailed, match="no support module nothere.py"):
        child._build(Arg("factory", ("nothere", "make", ())), np, torch, tmp_path / "support")


def _roundtrip(value):
    """What the parent reads back from the worker's conversion of ``value``."""
    dicts: list = []
    structure, arrays, returned, tdtype = child._convert(value, np, torch, 0, (), dicts)
    returned += "".join(";" + ".".join(map(str, w)) + "=" + ",".join(k) for w, k in dicts)

    def rebuild(s):
        return arrays[s] if isinstance(s, int) else tuple(rebuild(x) for x in s)

    return from_result(rebuild(structure), returned, tdtype)


def test_a_dict_nested_in_a_returned_tuple_comes_back_with_its_keys():
    got = _roundtrip((torch.tensor(1.0), {"b": torch.zeros(2), "a": torch.ones(3)}))
    assert got.items[1].keys == ("a", "b")
    assert got.items[1].items[0].value.shape == (3,)


def test_a_dict_compared_key_by_key_names_the_wrong_key_and_the_missing_key():
    expected = to_value((torch.tensor(1.0), {"W": torch.ones(2), "b": torch.zeros(2)}))
    good = _roundtrip((torch.tensor(1.0), {"b": torch.zeros(2), "W": torch.ones(2)}))
    assert compare(good, expected, Compare()).passed
    wrong = compare(_roundtrip((torch.tensor(1.0), {"W": torch.ones(2), "b": torch.ones(2)})), expected, Compare())
    assert not wrong.passed and "element [1] of the returned tuple: key 'b' of the returned dict:" in wrong.message.en
    assert "返回字典的键 'b'" in wrong.message.zh
    missing = compare(_roundtrip((torch.tensor(1.0), {"W": torch.ones(2)})), expected, Compare())
    assert missing.problem == "structure" and "has no key 'b'" in missing.message.en
    only_w = compare(_roundtrip((torch.tensor(1.0), {"W": torch.ones(2)})), expected, Compare(keys=("W",)))
    assert only_w.passed


def test_a_dict_with_keys_that_are_not_names_is_a_bad_output():
    with pytest.raises(child._BadOutput, match="keys are not all names"):
        child._convert({1: torch.ones(1)}, np, torch, 0, (), [])
