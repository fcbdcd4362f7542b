"""Grading one assignment: inputs and reference outputs made once in the parent, jobs run in isolation.

:func:`prepare` draws every test input of an assignment from our own seeded generators
(:mod:`cvquiz.grade.inputs`), calls the reference function on each one in this (the parent's)
process, and keeps the expected outputs here: they never go to a worker. For a ``stable`` test
it also calls the reference on two copies of the input moved by a few rounding units, and draws a
new input when the answer changes (the input sat within rounding of a threshold or a tie).
The time limit of each call is ``factor`` × the reference's own time on that input, at least
``floor`` seconds.

:func:`job_for` turns a prepared submission into a :class:`~cvquiz.grade.protocol.Job` of plain
data; an :class:`~cvquiz.grade.protocol.Executor` runs it in isolation; :func:`score` compares
what came back (:mod:`cvquiz.grade.compare`) and makes the
:class:`~cvquiz.report.model.SubmissionResult` the reporters read. A function's points are
shared equally by its tests; a test passes only when every one of its seeded inputs passes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cvquiz.course import Course
from cvquiz.errors import CvquizError, ExitCode
from cvquiz.grade import feedback as fb
from cvquiz.grade.assignment import Assignment, Function, Test, fingerprint
from cvquiz.grade.compare import Output, compare, from_result, to_value
from cvquiz.grade.inputs import build_arg, seed_of
from cvquiz.grade.protocol import Arg, Call, Executor, Job, JobResult, Limits
from cvquiz.report.model import SubmissionResult, TestResult
from cvquiz.text import Text

#: How many inputs a stable test may draw before the assignment is declared at fault.
MAX_ATTEMPTS = 20
#: A job's own wall limit: the sum of its calls' limits plus this much for start-up and imports.
JOB_SLACK_S = 20.0
OUTPUT_CAP = 8000  # characters of a submission's printed output kept in its feedback


class AssignmentError(CvquizError):
    """The assignment cannot be graded: its reference fails on an input, or no stable input exists."""

    exit_code = ExitCode.COULD_NOT_RUN


@dataclass(frozen=True)
class Instance:
    """One seeded input of one test, with the reference's answer (kept in the parent)."""

    function: Function
    test: Test
    index: int
    seed: int
    args: tuple[Arg, ...]
    kwargs: tuple[tuple[str, Arg], ...]
    names: list[str]  # the parameter names of args then kwargs
    expected: Output
    time_limit_s: float
    reference_s: float

    @property
    def call_id(self) -> str:
        return f"{self.function.name}/{self.test.id}[{self.index}]"


@dataclass(frozen=True)
class Plan:
    """Everything needed to grade submissions of one assignment."""

    course: Course
    assignment: Assignment
    instances: tuple[Instance, ...]
    hidden: bool  # hidden tests included
    fingerprint: str
    limits: Limits = field(default_factory=Limits)

    @property
    def questions(self) -> tuple[tuple[str, float], ...]:
        return tuple((f.name, self.points_of(f)) for f in self.assignment.functions)

    def tests_of(self, f: Function) -> list[Test]:
        return [t for t in f.tests if t.visible or self.hidden]

    def points_of(self, f: Function) -> float:
        """The function's points counted in this plan (visible tests' share without hidden ones)."""
        return round(f.points * len(self.tests_of(f)) / len(f.tests), 6)


# --- preparing: inputs and expected outputs, in the parent --------------------------------------------

def prepare(course: Course, assignment: Assignment, *, hidden: bool, limits: Limits | None = None) -> Plan:
    """Draw every input and compute every expected output (imports the course's reference)."""
    import torch

    torch.set_num_threads(1)  # the same footing as the single-threaded worker
    modules = {m: course.reference(m) for m in sorted({f.reference_module for f in assignment.functions})}
    instances = []
    for f in assignment.functions:
        ref = getattr(modules[f.reference_module], f.reference_function, None)
        if ref is None:
            raise AssignmentError(f"reference/{f.reference_module}.py has no function {f.reference_function!r} "
                                  f"(named by {assignment.name}/{f.name})")
        for test in f.tests:
            if not (test.visible or hidden):
                continue
            for k in range(test.repeat):
                instances.append(make_instance(assignment, f, test, k, ref))
    return Plan(course, assignment, tuple(instances), hidden, fingerprint(course, assignment),
                limits or Limits())


def make_instance(a: Assignment, f: Function, test: Test, k: int, ref: Any, label: str = "") -> Instance:
    """Input ``k`` of ``test`` (redrawn while unstable) with the reference's answer and the time limit.

    ``label`` draws from another stream of seeds (the smaller inputs of :mod:`cvquiz.grade.shrink`).
    """
    import numpy as np

    positional, keyword = f.split_args(test)
    specs = dict(test.args)
    where = f"{a.name}/{f.name}/{test.id}[{k}]"
    for attempt in range(MAX_ATTEMPTS if test.stable and test.generated else 1):
        seed = seed_of(a.seed, f.name, test.id, k, attempt, *((label,) if label else ()))
        argseed = {n: seed_of(seed, n) for n in specs}
        try:
            args = tuple(build_arg(specs[n], argseed[n], a.library) for n in positional)
            kwargs = tuple((n, build_arg(specs[n], argseed[n], a.library)) for n in keyword)
        except ValueError as exc:
            raise AssignmentError(f"{where}: cannot make the input: {exc}") from None
        expected, t_ref = _call_reference(ref, args, kwargs, f, where, seed, a.folder)
        times = [t_ref]
        stable = True
        if test.stable and test.generated:
            for j in range(2):
                rng = np.random.Generator(np.random.PCG64(seed_of(seed, "perturb", j)))
                p_args = tuple(build_arg(specs[n], argseed[n], a.library, rng) for n in positional)
                p_kwargs = tuple((n, build_arg(specs[n], argseed[n], a.library, rng)) for n in keyword)
                moved, t = _call_reference(ref, p_args, p_kwargs, f, where, seed, a.folder)
                times.append(t)
                if not compare(moved, expected, _stability_spec(f, expected)).passed:
                    stable = False
                    break
        if stable:
            t_min = min(times)
            limit = max(f.time.floor, f.time.factor * t_min)
            return Instance(f, test, k, seed, args, kwargs, positional + keyword, expected, limit, t_min)
    raise AssignmentError(f"{where}: no input among {MAX_ATTEMPTS} draws is clear of rounding (the reference's "
                          "answer changes when the input moves by a few rounding units); widen the generator's "
                          "parameters or set 'stable: false'")


def _stability_spec(f: Function, expected: Output) -> Any:
    """How a moved input's answer is held to the original: real-valued outputs move a little with their
    input, so they are compared within tolerance even under ``exact``; indices, counts and flags must not move."""
    import numpy as np

    values = expected.value if isinstance(expected.value, tuple) else (expected.value,)
    floats = any(np.asarray(v).dtype.kind == "f" for v in values if not isinstance(v, tuple))
    if f.compare.how == "exact" and floats:
        return replace(f.compare, how="allclose", dtype="any")
    return replace(f.compare, dtype="any")


def materialize(arg: Arg, support: Path | None = None) -> Any:
    """The argument as the student's function receives it (as the worker builds it).

    A ``factory`` argument calls the same function of the assignment's support module (in
    ``support``) that the worker calls: course code, imported here from the assignment folder.
    """
    import numpy as np

    if arg.kind == "python":
        if isinstance(arg.value, (tuple, list)):
            return type(arg.value)(materialize(x, support) if isinstance(x, Arg) else x for x in arg.value)
        return arg.value
    if arg.kind == "dict":
        return {k: materialize(x, support) for k, x in arg.value}
    if arg.kind == "factory":
        module, function, named = arg.value
        return getattr(support_module(support, module), function)(
            **{k: materialize(x, support) for k, x in named})
    array = np.array(arg.value, copy=True)
    if arg.kind == "numpy":
        return array
    import torch

    tensor = torch.from_numpy(array)
    return tensor.to(getattr(torch, arg.dtype)) if arg.dtype else tensor


_SUPPORT: dict[Path, Any] = {}


def support_module(folder: Path | None, name: str) -> Any:
    """``<folder>/<name>.py`` of an assignment, loaded once under a private module name."""
    import importlib.util

    if folder is None:
        raise AssignmentError(f"a factory argument names {name}.py but the assignment has no support folder")
    path = (Path(folder) / f"{name}.py").resolve()
    if path not in _SUPPORT:
        if not path.is_file():
            raise AssignmentError(f"no support module {path}")
        spec = importlib.util.spec_from_file_location(f"_cvquiz_support_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _SUPPORT[path] = module
    return _SUPPORT[path]


def _call_reference(ref: Any, args: tuple[Arg, ...], kwargs: tuple[tuple[str, Arg], ...], f: Function,
                    where: str, seed: int, support: Path | None = None) -> tuple[Output, float]:
    try:
        a = [materialize(x, support) for x in args]
        kw = {n: materialize(x, support) for n, x in kwargs}
    except AssignmentError:
        raise
    except Exception as exc:  # a support factory failing: the assignment's fault
        raise AssignmentError(f"{where} (seed {seed}): building an argument raised {type(exc).__name__}: {exc}") \
            from None
    start = time.perf_counter()
    try:
        out = ref(*a, **kw)
    except Exception as exc:  # the course's reference failing on its own input: the assignment's fault
        raise AssignmentError(f"{where} (seed {seed}): the reference {f.reference} raised "
                              f"{type(exc).__name__}: {exc}") from None
    elapsed = time.perf_counter() - start
    try:
        for i in f.compare.part:  # select before converting: the rest (a cache) may be anything
            if not isinstance(out, (tuple, list)) or i >= len(out):
                raise IndexError(f"compare.part {list(f.compare.part)}: the reference returned "
                                 f"{type(out).__name__}, not a tuple of at least {i + 1}")
            out = out[i]
        return to_value(out), elapsed
    except (TypeError, IndexError) as exc:
        raise AssignmentError(f"{where}: {exc}") from None


# --- running: jobs and scores -----------------------------------------------------------------------

def job_for(plan: Plan, submission_id: str, submission_dir: Path) -> Job:
    """The job of one prepared submission: every instance as one call of plain data."""
    calls = tuple(Call(test_id=i.call_id, module=i.function.module, function=i.function.name, args=i.args,
                       kwargs=i.kwargs, output=i.function.compare.part, time_limit_s=i.time_limit_s)
                  for i in plan.instances)
    wall = min(sum(c.time_limit_s for c in calls) + JOB_SLACK_S, 3600.0)
    limits = Limits(memory_mb=plan.limits.memory_mb, cpu_s=int(wall) + 1, wall_s=wall,
                    file_size_mb=plan.limits.file_size_mb, stdout_bytes=plan.limits.stdout_bytes,
                    processes=plan.limits.processes)
    support = plan.assignment.folder if plan.assignment.support else None
    return Job(submission_id=submission_id, submission_dir=submission_dir, calls=calls, support_dir=support,
               limits=limits)


def score(plan: Plan, result: JobResult, *, problems: dict[str, Text] | None = None,
          submission_hash: str = "", smaller: dict[tuple[str, str], Instance] | None = None) -> SubmissionResult:
    """Compare each call's value with the expected one and gather tests, points and feedback.

    ``problems`` maps a student file name to why it could not be handed over (several candidates,
    a notebook instead of a .py): every test of that file fails with that message. ``smaller``
    maps (function, test) of a failing visible test to a smaller input that fails the same way.
    """
    problems = problems or {}
    smaller = smaller or {}
    by_id = {c.test_id: c for c in result.calls}
    tests: list[TestResult] = []
    for f in plan.assignment.functions:
        chosen = plan.tests_of(f)
        share = f.points / len(f.tests)
        for test in chosen:
            instances = [i for i in plan.instances if i.function is f and i.test is test]
            status, message, elapsed = "passed", Text("", ""), 0.0
            for inst in instances:
                s, m, t = _judge(plan, inst, by_id.get(inst.call_id), problems.get(f.file), result.error)
                elapsed += t
                if s != "passed":
                    status, message = s, m
                    if test.visible:
                        seed = inst.seed if test.generated else None
                        message = fb.join(m, test.about, fb.describe_input(inst.args, inst.kwargs, inst.names, seed))
                        small = smaller.get((f.name, test.id))
                        if small is not None:
                            message = fb.join(message, fb.smaller_input(small.args, small.kwargs, small.names))
                    break
            if not test.visible:
                message = fb.hidden_message(status == "passed")
            tests.append(TestResult(question=f.name, test=test.id, visible=test.visible,
                                    score=share if status == "passed" else 0.0, max_score=share, status=status,
                                    message=message, seeds=tuple(i.seed for i in instances), elapsed_s=elapsed))
    return SubmissionResult(student=result.submission_id, assignment=plan.assignment.name,
                            status="error" if result.error else "graded", tests=tuple(tests),
                            questions=plan.questions, output=result.output[-OUTPUT_CAP:], layers=result.layers,
                            message=Text(result.error, result.error) if result.error else Text("", ""),
                            fingerprint=plan.fingerprint, submission_hash=submission_hash)


def _judge(plan: Plan, inst: Instance, call: Any, problem: Text | None, error: str) -> tuple[str, Text, float]:
    f = inst.function
    if problem is not None:
        return "missing_file", problem, 0.0
    if call is None:
        text = error or "no result came back for this call"
        return "error", Text(f"the grader could not run this test: {text}", f"评分程序无法运行此测试：{text}"), 0.0
    if call.status != "ok":
        size = fb.input_size(inst.args, inst.kwargs, inst.names)
        return call.status, fb.call_message(call, module_file=f.file, function=f.name,
                                            time_limit_s=inst.time_limit_s, input_size=size,
                                            memory_mb=plan.limits.memory_mb), call.elapsed_s
    got = from_result(call.value, call.returned_type, call.torch_dtype)
    verdict = compare(got, inst.expected, f.compare)
    if verdict.passed:
        return "passed", Text("", ""), call.elapsed_s
    return verdict.problem, verdict.message, call.elapsed_s


def _test_of(call_id: str) -> str:
    return call_id.rsplit("[", 1)[0]


def failing_visible(plan: Plan, result: JobResult, problems: dict[str, Text]) -> list[tuple[Instance, str]]:
    """The first failing input of each failing visible test with generated inputs, and how it failed."""
    from cvquiz.grade.shrink import SHRINKABLE

    by_id = {c.test_id: c for c in result.calls}
    out, seen = [], set()
    for inst in plan.instances:
        key = (inst.function.name, inst.test.id)
        if key in seen or not (inst.test.visible and inst.test.generated):
            continue
        status, _, _ = _judge(plan, inst, by_id.get(inst.call_id), problems.get(inst.function.file), result.error)
        if status != "passed":
            seen.add(key)
            if status in SHRINKABLE:
                out.append((inst, status))
    return out


def run_all(executor: Executor, plan: Plan, prepared: Iterable[Any], *, shrink: bool = True) -> Iterator[SubmissionResult]:
    """Grade prepared submissions (:class:`cvquiz.grade.submissions.Prepared`), yielding as each finishes.

    A timeout or a death ends a worker, and the calls after it come back ``not_run``: they are sent
    again in a fresh job (round after round, each settling at least the call that failed), so one
    slow function costs only its own tests. With ``shrink``, a failing visible test then gets a
    smaller failing input from one extra job (:mod:`cvquiz.grade.shrink`).
    """
    from cvquiz.grade.shrink import shrink_job

    by_id = {p.student: p for p in prepared}
    pending = {sid: job_for(plan, sid, p.folder) for sid, p in by_id.items()}
    settled: dict[str, dict[str, Any]] = {sid: {} for sid in by_id}
    first: dict[str, JobResult] = {}
    merged_of: dict[str, JobResult] = {}
    shrinking: dict[str, tuple[str, dict]] = {}  # shrink job id -> (student, call id -> owners)
    while pending:
        jobs, pending = list(pending.values()), {}
        for result in executor.run(jobs):
            jid = result.submission_id
            if jid in shrinking:
                sid, owners = shrinking.pop(jid)
                p = by_id[sid]
                yield score(plan, merged_of.pop(sid), problems=p.problems, submission_hash=p.digest,
                            smaller=_smallest_failures(plan, result, owners))
                continue
            sid = jid
            first.setdefault(sid, result)
            calls = settled[sid]
            for c in result.calls:
                if c.status != "not_run" or c.test_id not in calls:
                    calls[c.test_id] = c
            job = next(j for j in jobs if j.submission_id == sid)
            # A test fails with its first failing input: the rest of that test need not run again.
            failed_tests = {_test_of(t) for t, c in calls.items() if c.status not in ("ok", "not_run")}
            rest = tuple(c for c in job.calls if (calls.get(c.test_id) is None or calls[c.test_id].status == "not_run")
                         and _test_of(c.test_id) not in failed_tests)
            progressed = len(rest) < len(job.calls)
            if rest and progressed and not result.error:
                pending[sid] = replace(job, calls=rest)
                continue
            p = by_id[sid]
            merged = replace(first[sid], calls=tuple(calls.values()),
                             output=first[sid].output if first[sid] is result else first[sid].output + result.output,
                             error=result.error)
            made = None
            if shrink and not merged.error:
                failing = failing_visible(plan, merged, p.problems)
                made = shrink_job(plan, job_for(plan, sid, p.folder), failing) if failing else None
            if made is not None:
                extra, owners = made
                shrinking[extra.submission_id] = (sid, owners)
                merged_of[sid] = merged
                pending[extra.submission_id] = extra
                continue
            yield score(plan, merged, problems=p.problems, submission_hash=p.digest)


def _smallest_failures(plan: Plan, result: JobResult, owners: dict) -> dict[tuple[str, str], Instance]:
    """For each failing test, its smallest candidate that fails the same way (by number of input values)."""
    out: dict[tuple[str, str], tuple[int, Instance]] = {}
    for call in result.calls:
        owner = owners.get(call.test_id)
        if owner is None:
            continue
        inst, cand, status = owner
        got, _, _ = _judge(plan, cand, call, None, result.error)
        if got != status:
            continue
        size = sum(int(getattr(a.value, "size", 1)) for a in (*cand.args, *(x for _, x in cand.kwargs)))
        key = (inst.function.name, inst.test.id)
        if key not in out or size < out[key][0]:
            out[key] = (size, cand)
    return {k: v for k, (_, v) in out.items()}
