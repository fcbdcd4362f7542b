"""The parent's side of grading without a worker: inputs, reference outputs, stability, scoring, feedback.

Job results are made by hand here (the executor's own tests cover the worker), so each status's
message, the hidden-test rule and the points are tested in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cvquiz.course import find_course
from cvquiz.grade.assignment import load_assignment
from cvquiz.grade.inputs import GENERATORS, ArgSpec, build_arg, make_array, seed_of, with_defaults
from cvquiz.grade.protocol import CallResult, JobResult
from cvquiz.grade.runner import job_for, prepare, score


@pytest.fixture(scope="module")
def plan():
    course = find_course()
    return prepare(course, load_assignment(course, "detection"), hidden=True)


def result_for(plan, overrides: dict[str, CallResult], error: str = "") -> JobResult:
    """Every call answered with the expected value, except ``overrides`` (by call id prefix)."""
    calls = []
    for inst in plan.instances:
        hit = next((v for k, v in overrides.items() if inst.call_id.startswith(k)), None)
        if hit is not None:
            calls.append(CallResult(inst.call_id, hit.status, hit.value, hit.returned_type, hit.torch_dtype,
                                    hit.detail))
        else:
            e = inst.expected
            calls.append(CallResult(inst.call_id, "ok", e.value, e.returned_type, e.torch_dtype))
    return JobResult("alice", tuple(calls), error=error)


def test_the_same_assignment_draws_the_same_inputs_every_time(plan):
    again = prepare(plan.course, plan.assignment, hidden=True)
    for a, b in zip(plan.instances, again.instances):
        assert a.seed == b.seed
        for x, y in zip(a.args, b.args):
            if x.kind != "python":
                np.testing.assert_array_equal(x.value, y.value)


def test_visible_only_plans_leave_hidden_inputs_out(plan):
    visible = prepare(plan.course, plan.assignment, hidden=False)
    assert all(i.test.visible for i in visible.instances)
    assert {f: p for f, p in visible.questions} != {f: p for f, p in plan.questions}


def test_no_scored_nms_input_has_an_iou_within_rounding_of_the_threshold(plan):
    import torch

    reference = plan.course.reference("detection")
    for inst in plan.instances:
        if inst.function.name != "nms" or not inst.test.generated:
            continue
        boxes = torch.from_numpy(inst.args[0].value).double()
        iou = reference.box_iou(boxes, boxes)
        off_diagonal = iou[~torch.eye(len(boxes), dtype=torch.bool)]
        assert (off_diagonal - inst.args[2].value).abs().min() > 1e-6


def test_generated_scores_never_tie():
    gen = GENERATORS["scores"]
    for seed in range(50):
        s = make_array(ArgSpec("gen", gen="scores", params=(("n", 300),)), seed)
        assert len(np.unique(s.astype(np.float16))) == 300


def test_every_generator_makes_its_documented_shape_from_a_seed():
    rng_seed = seed_of("test")
    shapes = {"boxes": (7, 4), "rois": (3, 5), "feature_map": (1, 2, 4, 5), "points": (6, 3), "covariance": (3, 3),
              "weights": (4, 2), "sequence": (1, 5, 2), "labels": (7,), "scores": (7,), "permutation": (7,)}
    params = {"boxes": {"n": 7}, "rois": {"k": 3, "height": 10, "width": 10},
              "feature_map": {"channels": 2, "height": 4, "width": 5}, "points": {"n": 6}, "covariance": {"dim": 3},
              "weights": {"rows": 4, "cols": 2}, "sequence": {"length": 5, "width": 2}, "labels": {"n": 7, "classes": 3},
              "scores": {"n": 7}, "permutation": {"n": 7}}
    for name, shape in shapes.items():
        spec = ArgSpec("gen", gen=name, params=tuple(params[name].items()))
        a = make_array(spec, rng_seed)
        assert a.shape == shape, name
        np.testing.assert_array_equal(a, make_array(spec, rng_seed))
    mask = make_array(ArgSpec("gen", gen="causal_mask", params=(("length", 4),)), 1)
    assert mask.dtype == bool and mask[3, 0] and not mask[0, 3] and mask.sum() == 10
    cov = make_array(ArgSpec("gen", gen="covariance", params=(("dim", 4),)), 1)
    assert np.allclose(cov, cov.T) and np.linalg.eigvalsh(cov).min() > 0
    boxes = make_array(ArgSpec("gen", gen="boxes", params=(("n", 50),)), 2)
    assert (boxes[:, 2] > boxes[:, 0]).all() and boxes.min() >= 0 and boxes.max() <= 100
    assert set(with_defaults(GENERATORS["boxes"], {"n": 3})) == {"n", "size", "min_side", "max_side", "format"}


def test_perturbation_moves_real_numbers_by_rounding_units_and_keeps_whole_numbers():
    spec = ArgSpec("gen", gen="rois", params=(("k", 20), ("batch", 3), ("height", 50), ("width", 50)))
    plain = build_arg(spec, 5, "torch").value
    moved = build_arg(spec, 5, "torch", np.random.Generator(np.random.PCG64(0))).value
    np.testing.assert_array_equal(plain[:, 0], moved[:, 0])  # batch indices
    assert 0 < np.abs(moved[:, 1:] - plain[:, 1:]).max() < 1e-3


def test_a_correct_result_scores_every_point(plan):
    r = score(plan, result_for(plan, {}))
    assert (r.total, r.max_score, r.passed) == (18, 18, True)


@pytest.mark.parametrize("status, detail, words", [
    ("missing_file", "", "detection.py was not found in the submission"),
    ("syntax_error", 'detection.py:3: invalid syntax', "detection.py does not compile: detection.py:3"),
    ("import_error", "No module named 'torchvison'", "importing detection.py failed: No module named 'torchvison'"),
    ("missing_function", "", "detection.py defines no function nms()"),
    ("crash", 'File "detection.py", line 9\nZeroDivisionError', "nms() raised an exception:"),
    ("timeout", "", "nms() took longer than 1 s on an input of boxes (40, 4), scores (40,)"),
    ("memory", "", "nms() ran out of memory"),
    ("killed", "signal 9", "the process running nms() died before answering: signal 9"),
])
def test_each_status_gives_its_message_with_the_visible_input(plan, status, detail, words):
    r = score(plan, result_for(plan, {"nms/random[": CallResult("", status, detail=detail)}))
    (t,) = [t for t in r.tests if t.name == "nms/random"]
    assert (t.status, t.score) == (status, 0.0)
    assert words in t.message.en
    assert "input (seed" in t.message.en and "boxes = <tensor of shape (40, 4), float32>" in t.message.en
    assert t.message.zh and t.message.zh != t.message.en


def test_a_hidden_failure_says_only_that_it_failed(plan):
    r = score(plan, result_for(plan, {"nms/random-crowded": CallResult("", "timeout")}))
    (t,) = [t for t in r.tests if t.name == "nms/random-crowded"]
    assert (t.status, t.message.en, t.message.zh) == ("timeout", "hidden test: failed", "隐藏测试：未通过")
    assert r.total == 17


def test_a_test_fails_when_any_of_its_seeded_inputs_fails(plan):
    r = score(plan, result_for(plan, {"nms/random[3]": CallResult("", "crash", detail="boom")}))
    assert [t.name for t in r.tests if not t.passed] == ["nms/random"]


def test_a_file_problem_found_when_copying_fails_every_test_of_that_file(plan):
    from cvquiz.text import Text

    r = score(plan, result_for(plan, {}), problems={"detection.py": Text("several files named detection.py", "x")})
    assert r.total == 0 and {t.status for t in r.tests} == {"missing_file"}


def test_a_job_has_one_call_per_input_each_with_its_time_limit(plan, tmp_path):
    job = job_for(plan, "alice", tmp_path)
    assert [c.test_id for c in job.calls] == [i.call_id for i in plan.instances]
    assert all(c.time_limit_s == i.time_limit_s >= 1.0 for c, i in zip(job.calls, plan.instances))
    assert job.limits.wall_s >= sum(c.time_limit_s for c in job.calls)
    assert job.support_dir is None  # the detection assignment has no helper modules


def test_smaller_inputs_scale_counts_and_first_axes_together():
    from cvquiz.grade.shrink import scaled

    boxes = ArgSpec("gen", gen="boxes", params=(("n", 40), ("size", 100.0)))
    flags = ArgSpec("gen", gen="bernoulli", params=(("shape", [40, 3]),))
    assert dict(scaled(boxes, 1 / 8).params) == {"n": 5, "size": 100.0}
    assert dict(scaled(flags, 1 / 8).params) == {"shape": [5, 3]}
    assert scaled(ArgSpec("python", 0.5), 1 / 8) == ArgSpec("python", 0.5)


def test_smaller_candidates_have_their_own_reference_answers_and_stay_visible_only(plan):
    from cvquiz.grade.shrink import candidates

    inst = next(i for i in plan.instances if i.call_id == "nms/random[0]")
    cands = candidates(plan, inst)
    assert cands and all(c.args[0].value.shape[0] < 40 for c in cands)
    assert len({c.call_id for c in cands}) == len(cands)
    assert all(c.seed not in {i.seed for i in plan.instances} for c in cands)
    literal = next(i for i in plan.instances if i.call_id.startswith("nms/iou-exactly"))
    assert candidates(plan, literal) == []
