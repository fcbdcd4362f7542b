"""The built-in `sequence` assignment through one `cvquiz grade` class run and `cvquiz check`.

The class: an honest student's own sequence.py, a copy of reference/sequence.py, and two classic
bugs made by patching the honest file: a GRU that applies the reset gate before the hidden matmul
(the paper's convention, where PyTorch's is asked) and an LSTM that reads its gates in PyTorch's
order i, f, g, o where the lecture's i, f, o, g is asked.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.cli_helpers import run_cvquiz
from tests.grade.builtin import (assert_reference_signatures, check_json, failing, honest_dir, patched,
                                 private_course, write_submission)
from tests.grade.conftest import sandbox_flags

CLASSIC_BUGS = {
    "gru_reset_before_matmul": [(
        "n = torch.tanh(gx[:, 2 * H:] + r * (h @ W_hh[:, 2 * H:] + b_hh[2 * H:]))",
        "n = torch.tanh(gx[:, 2 * H:] + (r * h) @ W_hh[:, 2 * H:] + b_hh[2 * H:])")],
    "lstm_gates_ifgo": [("o = torch.sigmoid(a[:, 2 * H:3 * H])", "o = torch.sigmoid(a[:, 3 * H:4 * H])"),
                        ("g = torch.tanh(a[:, 3 * H:4 * H])", "g = torch.tanh(a[:, 2 * H:3 * H])")],
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return private_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    shutil.copytree(honest_dir("sequence"), subs / "honest")
    (subs / "reference_copy").mkdir()
    shutil.copyfile(course / "reference" / "sequence.py", subs / "reference_copy" / "sequence.py")
    for student, patches in CLASSIC_BUGS.items():
        write_submission(subs / student, "sequence", patched("sequence", patches))
    out = root / "out"
    result = run_cvquiz("--course", str(course), "grade", str(subs), "--assignment", "sequence", "--out", str(out),
                        "--workers", "2", *sandbox_flags(), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    return out, rows


def feedback(out, student: str) -> dict:
    return json.loads((out / "feedback" / f"{student}.json").read_text(encoding="utf-8"))


def test_the_honest_student_and_a_copy_of_the_reference_get_full_marks(graded):
    _, rows = graded
    for student in ("honest", "reference_copy"):
        assert (rows[student]["total"], rows[student]["max"], rows[student]["status"]) == ("17", "17", "graded")


@pytest.mark.parametrize("student, question, kept", [
    ("gru_reset_before_matmul", "gru_step", {"reset-before-the-matmul-when-asked"}),
    ("lstm_gates_ifgo", "lstm_step", set()),
])
def test_a_classic_bug_loses_only_the_tests_of_its_function(graded, student, question, kept):
    out, rows = graded
    tests = feedback(out, student)["tests"]
    lost = {t["test"] for t in tests if t["status"] != "passed"}
    assert lost == {t["test"] for t in tests if t["question"] == question} - kept
    assert float(rows[student]["total"]) < 17
    assert all(rows[student][q] == rows["honest"][q] for q in ("rnn_step", "rnn_forward", "clip_grad_norm")
               if q != question)


@pytest.mark.parametrize("student, test, words", [
    ("gru_reset_before_matmul", "gru_step/reset-after-the-matmul",
     "the reset gate multiplies (h W_hn + b_hn), after the matmul, as PyTorch's GRUCell does"),
    ("lstm_gates_ifgo", "lstm_step/gates-in-order-i-f-o-g", "the gates i, f, o, g in that order"),
])
def test_the_visible_edge_case_names_the_convention_the_bug_breaks(graded, student, test, words):
    out, _ = graded
    messages = {f"{t['question']}/{t['test']}": (t["status"], t["message"]["en"]) for t in feedback(out, student)["tests"]}
    status, message = messages[test]
    assert status == "values"
    assert words in message
    hidden = [t for t in feedback(out, student)["tests"] if not t["visible"]]
    assert {t["message"]["en"] for t in hidden} <= {"hidden test: passed", "hidden test: failed"}


def test_check_passes_the_honest_file_on_its_visible_tests_and_fails_the_gru_bug(course, tmp_path):
    code, report = check_json(course, honest_dir("sequence"), "sequence")
    assert (code, failing(report)) == (0, {})
    sub = write_submission(tmp_path / "gru", "sequence", patched("sequence", CLASSIC_BUGS["gru_reset_before_matmul"]))
    code, report = check_json(course, sub, "sequence")
    assert code == 1
    assert set(failing(report)) == {"gru_step/reset-after-the-matmul", "gru_step/random"}


def test_the_sequence_assignment_names_the_reference_functions_and_their_parameters():
    assert_reference_signatures("sequence")


def test_bptt_that_detaches_at_every_step_fails_on_the_named_gradient_key_while_its_loss_still_matches(
        course, tmp_path):
    sub = write_submission(tmp_path / "one_step_bptt", "sequence", patched(
        "sequence", [('h = rnn_step(x[:, t], h, leaves["W_xh"]', 'h = rnn_step(x[:, t], h.detach(), leaves["W_xh"]')]))
    code, report = check_json(course, sub, "sequence")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"truncated_bptt_grads/gradients-stop-at-chunk-boundaries",
                             "truncated_bptt_grads/loss-summed-over-time-averaged-over-batch"}
    status, message = problems["truncated_bptt_grads/gradients-stop-at-chunk-boundaries"]
    assert status == "values"
    # the loss (element 0) and W_hy's gradient agree; the first key that differs is named
    assert "element [1] of the returned tuple: key 'W_hh' of the returned dict:" in message
    assert "detached at every chunk boundary" in message


def test_greedy_decoding_that_sums_raw_logits_instead_of_log_probabilities_loses_the_greedy_tests(course, tmp_path):
    sub = write_submission(tmp_path / "raw_logits", "sequence", patched(
        "sequence", [("logp = torch.log_softmax(step_fn(tokens), dim=-1)", "logp = step_fn(tokens)")]))
    code, report = check_json(course, sub, "sequence")
    assert code == 1
    problems = failing(report)
    assert set(problems) == {"greedy_decode/argmax-each-step", "greedy_decode/finished-sequences-pad-with-eos-at-no-cost"}
    status, message = problems["greedy_decode/argmax-each-step"]
    assert status == "values"
    assert "element [1] of the returned tuple" in message  # the tokens agree; their log-probability does not
    assert "step_fn = decoders.make_step_fn(bigram=" in message
