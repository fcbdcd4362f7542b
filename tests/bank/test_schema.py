"""The editors' JSON Schema is made from the question models, and the banks satisfy it."""

from __future__ import annotations

import dataclasses

import jsonschema
import pytest

from cvquiz.bank import schema as S
from cvquiz.bank.load import bank_files
from cvquiz.bank.yamltree import plain, read_tree
from cvquiz.course import find_course
from tests.bank.conftest import GOOD_BANK, write


@pytest.fixture(scope="module")
def validator():
    schema = S.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_lists_for_each_kind_exactly_the_keys_the_loader_reads():
    rules = S.json_schema()["properties"]["questions"]["items"]["allOf"]
    for rule in rules:
        kind = rule["if"]["properties"]["kind"]["const"]
        cls = S.QUESTION_TYPES[kind]
        table = S.question_keys(cls)
        assert set(rule["then"]["properties"]) == {"kind", *table}
        assert set(rule["then"]["required"]) == {"kind", *(n for n, (_, k) in table.items() if k.required)}
    assert sorted(r["if"]["properties"]["kind"]["const"] for r in rules) == sorted(S.KINDS)


def test_every_yaml_key_is_a_field_of_its_model():
    for cls in S.QUESTION_TYPES.values():
        names = {f.name for f in dataclasses.fields(cls)}
        for attr, _ in S.question_keys(cls).values():
            assert attr in names


def test_a_valid_bank_satisfies_the_schema(tmp_path, validator):
    validator.validate(plain(read_tree(write(tmp_path / "b.yaml", GOOD_BANK))))


@pytest.mark.parametrize("change,path", [
    (("explanation:", "explaination:"), ["questions", 0]),
    (("difficulty: 2", "difficulty: 4"), ["questions", 0, "difficulty"]),
    (("kind: choice", "kind: chioce"), ["questions", 0, "kind"]),
    (("prompt: {en: P", "prompt: {fr: P"), ["questions", 0, "prompt"]),
    (("correct: true", "correct: yes"), ["questions", 0, "choices", 0, "correct"]),
    (("    explanation:", "    follows: Same model\n    explanation:"), ["questions", 0, "follows"]),
], ids=["misspelt-key", "difficulty", "kind", "language", "correct-as-text", "follows-not-an-id"])
def test_the_schema_rejects_what_the_loader_rejects(tmp_path, validator, change, path):
    text = ("topic: detection\nquestions:\n  - id: detection.q\n    kind: choice\n    concepts: [detection.nms]\n"
            "    difficulty: 2\n    prompt: {en: P, zh: 问}\n    choices:\n      - text: {en: A, zh: 甲}\n"
            "        correct: true\n      - text: {en: B, zh: 乙}\n        feedback: {en: F, zh: 反馈}\n"
            "    explanation: {en: E, zh: 解}\n")
    data = plain(read_tree(write(tmp_path / "ok.yaml", text)))
    validator.validate(data)
    broken = plain(read_tree(write(tmp_path / "broken.yaml", text.replace(*change))))
    errors = list(validator.iter_errors(broken))
    assert errors
    assert any(list(e.absolute_path)[:len(path)] == path for e in errors)


def test_the_schema_documents_follows_on_every_kind(validator):
    rules = S.json_schema()["properties"]["questions"]["items"]["allOf"]
    for rule in rules:
        follows = rule["then"]["properties"]["follows"]
        assert follows["pattern"] == S.ID_PATTERN and "continues" in follows["description"]
        assert "follows" not in rule["then"]["required"]


def test_every_built_in_bank_satisfies_the_schema(validator):
    files = bank_files(find_course())
    if not files:
        pytest.skip("the built-in course has no banks yet")
    for path in files:
        errors = sorted(validator.iter_errors(plain(read_tree(path))), key=lambda e: list(e.absolute_path))
        assert not errors, f"{path}: {[(list(e.absolute_path), e.message) for e in errors[:5]]}"
