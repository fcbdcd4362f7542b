"""questions/syllabus.yaml carries every concept id of the course syllabus."""

from __future__ import annotations

import re

import pytest

from cvquiz.bank.syllabus import load_syllabus
from cvquiz.course import TOPICS
from cvquiz.errors import BankError
from tests.cli_helpers import ROOT

SHARED_SYLLABUS = ROOT.parent / "shared" / "syllabus.md"


def test_the_syllabus_has_the_five_topics_in_order(course):
    syllabus = load_syllabus(course.syllabus_path)
    assert [t.id for t in syllabus.topics] == list(TOPICS)


@pytest.mark.skipif(not SHARED_SYLLABUS.is_file(), reason="shared/syllabus.md not beside the checkout")
def test_every_concept_id_of_the_shared_syllabus_is_in_the_course(course):
    wanted = re.findall(r"^- (\w+\.\w+) — ", SHARED_SYLLABUS.read_text(encoding="utf-8"), flags=re.M)
    have = load_syllabus(course.syllabus_path).concepts
    assert sorted(wanted) == sorted(have)


def test_every_problem_of_a_broken_syllabus_is_reported_with_its_line(tmp_path):
    path = tmp_path / "syllabus.yaml"
    path.write_text(
        "topics:\n"
        "  - id: points\n"
        "    title: {en: 3D, zh: 三维}\n"
        "    concepts:\n"
        "      - id: points.fps\n"
        "        title: {en: FPS, zh: 最远点采样}\n"
        "        summary: {en: Pick far points., zh: 选最远的点。}\n"
        "        neds: [algo]\n"
        "      - id: other.thing\n"
        "        title: {en: Other, zh: 其他}\n"
        "        summary: {en: Other., zh: 其他。}\n",
        encoding="utf-8",
    )
    with pytest.raises(BankError) as info:
        load_syllabus(path)
    assert info.value.problems == [
        f"{path}:8: topics[0].concepts[0].neds: unknown key; did you mean 'needs'?",
        f"{path}:9: topics[0].concepts[1].id: expected 'points.<name>', got 'other.thing'",
    ]


def test_invalid_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "syllabus.yaml"
    path.write_text("topics:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(BankError, match=rf"{path}:\d+: invalid YAML"):
        load_syllabus(path)
