"""benchmarks/detection.py builds its rows in any environment; no timing is asserted here."""

from __future__ import annotations

import importlib.util

import torch

from benchmarks import detection as suite
from benchmarks.harness import Row


def test_detection_suite_builds_its_rows_and_a_missing_peer_says_which():
    rows = suite.rows("cpu", quick=True)
    assert rows and all(isinstance(r, Row) and callable(r.ours) for r in rows)
    assert [r.name for r in rows if r.gate] == ["nms 3k boxes, 1 thread", "COCO eval, 12 numbers, 100 images, 1 thread"]
    for r in rows:
        if r.peer is None:
            peer = "pycocotools" if "COCO" in r.name else "torchvision"
            assert r.missing == f"peer not installed: {peer}" and importlib.util.find_spec(peer) is None


def test_rows_run_on_one_thread_and_restore_the_setting():
    before = torch.get_num_threads()
    seen = []
    call = suite.one_thread(lambda: seen.append(torch.get_num_threads()))
    call()
    assert seen == [1] and torch.get_num_threads() == before
    assert suite.one_thread(None) is None


def test_coco_row_answers_agree_with_pycocotools_when_installed():
    row = next(r for r in suite.rows("cpu", quick=True) if "COCO" in r.name)
    ours = row.ours()
    assert ours.shape == (12,)
    if row.peer is not None:
        assert row.same(ours, row.peer())
