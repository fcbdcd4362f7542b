"""The JSON contract of `cvquiz generate --format json`, held by the shipped JSON Schema, for every kind."""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest
import sympy

from cvquiz.answers.check import agrees
from cvquiz.problems.export import answer_string, answer_value, schema, to_json
from cvquiz.problems.registry import make, registry
from tests.cli_helpers import ROOT

VALIDATOR = jsonschema.Draft202012Validator


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_inside_the_package():
    VALIDATOR.check_schema(schema())
    assert (ROOT / "cvquiz" / "problems" / "variant.schema.json").is_file()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "cvquiz" in wheel["packages"]  # hatch ships every file under cvquiz/, the schema included


@pytest.mark.parametrize("kind", sorted(registry()))
def test_every_kind_produces_json_that_validates_and_reads_back_exactly(kind):
    variants = [make(kind, format(1000 + i, "x")) for i in range(5)]
    data = json.loads(to_json(variants))
    VALIDATOR(schema()).validate(data)
    for v, item in zip(variants, data):
        assert item["kind"] == kind and item["seed"] == v.seed and item["version"] == v.version
        assert item["prompt"]["en"] and item["prompt"]["zh"]
        if v.answer_kind in ("number", "vector", "indices", "shape"):
            back = sympy.sympify(item["answer"])
            back = list(back) if isinstance(back, (list, tuple, sympy.Tuple)) else back
            assert agrees(v.answer_kind, v.answer, back, None), f"{kind}: {item['answer']!r} does not read back"
        assert item["answer_value"] == json.loads(json.dumps(answer_value(v.answer)))
        assert [m["answer"] for m in item["mistakes"]] == [answer_string(m.answer) for m in v.mistakes]


def test_the_schema_rejects_a_variant_that_breaks_the_contract():
    (item,) = json.loads(to_json([make("iou", "2a")]))
    VALIDATOR(schema()).validate([item])
    for broken in ({**item, "seed": "not hex"}, {**item, "prompt": {"en": "only English"}},
                   {**item, "params": {**item["params"], "format": "xywh"}},
                   {k: v for k, v in item.items() if k != "answer"}, {**item, "tolerance": {"rel": 0.01}}):
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR(schema()).validate([broken])


def test_named_fields_hold_for_iou_nms_ap11_fid_and_elbo():
    by_kind = {k: json.loads(to_json([make(k, "77")]))[0] for k in ("iou", "nms", "ap11", "fid", "elbo")}
    assert by_kind["iou"]["params"]["format"] in ("xyxy", "cxcywh") and len(by_kind["iou"]["params"]["box_a"]) == 4
    assert all(isinstance(i, int) for i in by_kind["nms"]["answer_value"]) and by_kind["nms"]["tolerance"] is None
    ap = by_kind["ap11"]["params"]
    assert len(ap["scores"]) == len(ap["is_tp"]) and all(isinstance(b, bool) for b in ap["is_tp"])
    assert isinstance(ap["num_gt"], int) and by_kind["ap11"]["figure"]["type"] == "pr_curve"
    fid = by_kind["fid"]["params"]
    assert len(fid["sigma1"]) == 2 and all(len(row) == 2 for row in fid["sigma1"] + fid["sigma2"])
    elbo = by_kind["elbo"]
    assert set(elbo["params"]) >= {"mu", "sigma", "recon_log_likelihood"}
    assert elbo["answer_value"]["elbo"] < elbo["params"]["recon_log_likelihood"]
    assert elbo["part_tolerances"] == {"elbo": {"abs": 0.05, "rel": None, "sig_figs": None}}


@pytest.mark.parametrize("value,text", [
    (sympy.Rational(3, 7), "3/7"), ([0, 2, 5], "[0, 2, 5]"), ((2, 8, 64), "(2, 8, 64)"),
    ({"q": (2, 4, 8)}, "{'q': (2, 4, 8)}"), (sympy.sqrt(2) / 2, "sqrt(2)/2"), (True, "True"),
], ids=["rational", "indices", "shape", "mapping", "surd", "bool"])
def test_answer_strings_are_sympy_parsable_and_exact(value, text):
    assert answer_string(value) == text
    back = sympy.sympify(text)
    assert back == (sympy.Tuple(*value) if isinstance(value, tuple) else value) or str(back) == str(value)
