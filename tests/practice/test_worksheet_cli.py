"""`cvquiz generate` worksheets: several kinds or a topic in one run, seeded per kind, with a key."""

from __future__ import annotations

import re

from click.testing import CliRunner

from cvquiz.cli import main
from cvquiz.problems.registry import registry


def generate(*args):
    result = CliRunner().invoke(main, ["generate", *args])
    assert result.exit_code == 0, result.output
    return result.output


def headings(text):
    return re.findall(r"^\d+\. (\w+) \(v\d+, seed ([0-9a-f]+)\)", text, flags=re.M)


def test_a_topic_is_a_worksheet_of_all_its_kinds_with_a_key_after_the_questions():
    out = generate("detection", "--seed", "7", "--key")
    kinds = sorted(g.kind for g in registry().values() if g.topic == "detection")
    sheet, key = out.split("\nKey\n===\n")
    assert [k for k, _ in headings(sheet)] == kinds
    assert [k for k, _ in headings(key)] == kinds
    assert "Solution:" not in sheet and key.count("Solution:") == len(kinds)


def test_each_kind_is_seeded_from_the_worksheet_seed_and_its_kind_alone():
    both = dict(headings(generate("iou", "nms", "--seed", "7")))
    alone = dict(headings(generate("nms", "iou", "detection", "--seed", "7")))
    assert both["iou"] == alone["iou"] and both["nms"] == alone["nms"]
    other = dict(headings(generate("iou", "nms", "--seed", "8")))
    assert other["iou"] != both["iou"]


def test_an_unknown_kind_or_topic_suggests_the_nearest():
    result = CliRunner().invoke(main, ["generate", "iou", "detectoin"])
    assert result.exit_code != 0
    assert "unknown problem kind or topic 'detectoin'; did you mean 'detection'?" in result.output
