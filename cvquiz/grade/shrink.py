"""A smaller failing input for a failing visible test: feedback only, never scored.

When a visible test with generated inputs fails with wrong values, a wrong shape, dtype, type or
structure, a crash or an unreadable output, the grader draws smaller inputs of the same test —
every count (``n``, ``k``, ``length``) and the first axis of every ``shape`` scaled by 1/8, 1/4
and 1/2 together, so arguments that had equal sizes still agree — from our own seeded
generators, computes their reference answers here in the parent (dropping any the reference
rejects or that sit within rounding of a threshold), and runs them in one extra job of at most
:data:`MAX_CALLS` calls. The smallest that fails the same way is shown with the message. Scores
come only from the test's own inputs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from cvquiz.grade.inputs import ArgSpec
from cvquiz.grade.protocol import Call, Job

#: Failures a smaller input helps to understand (a timeout or a missing function would not).
SHRINKABLE = ("values", "shape", "dtype", "type", "structure", "crash", "bad_output")
FACTORS = (1 / 8, 1 / 4, 1 / 2)
SEEDS = 3  # draws per factor
MAX_TESTS = 3  # failing tests shrunk per submission
MAX_CALLS = 50  # calls in the extra job
_COUNTS = ("n", "k", "length")
FIRST_INDEX = 1000  # candidate call ids are "<function>/<test>[1000]", ... (never a scored index)


def scaled(spec: ArgSpec, factor: float) -> ArgSpec:
    """``spec`` with its counts and the first axis of its shape scaled by ``factor`` (at least 1)."""
    if spec.source == "list":
        return replace(spec, items=tuple(scaled(i, factor) for i in spec.items))
    if spec.source != "gen":
        return spec
    params = []
    for name, value in spec.params:
        if name in _COUNTS and isinstance(value, int) and value > 1:
            value = max(1, math.ceil(value * factor))
        elif name == "shape" and isinstance(value, list) and value and value[0] > 1:
            value = [max(1, math.ceil(value[0] * factor)), *value[1:]]
        params.append((name, value))
    return replace(spec, params=tuple(params))


def candidates(plan: Any, inst: Any) -> list[Any]:
    """Smaller instances of ``inst``'s test, smallest first (reference answers computed here)."""
    from cvquiz.grade.runner import AssignmentError, make_instance

    if not inst.test.generated:
        return []
    f, test = inst.function, inst.test
    ref = getattr(plan.course.reference(f.reference_module), f.reference_function)
    out = []
    j = 0
    for factor in FACTORS:
        specs = tuple((name, scaled(spec, factor)) for name, spec in test.args)
        if specs == test.args:
            continue
        for s in range(SEEDS):
            try:
                out.append(make_instance(plan.assignment, f, replace(test, args=specs), FIRST_INDEX + j, ref,
                                         label=f"smaller-{factor}-{s}"))
            except AssignmentError:  # the reference rejects this size, or no stable draw: skip it
                pass
            j += 1
    return out


def shrink_job(plan: Any, job: Job, failing: list[tuple[Any, str]]) -> tuple[Job, dict[str, tuple[Any, Any, str]]] | None:
    """The extra job for ``failing`` [(instance, status)], and call id → (failing instance, candidate, status)."""
    calls, owners = [], {}
    for inst, status in failing[:MAX_TESTS]:
        for cand in candidates(plan, inst):
            if len(calls) >= MAX_CALLS:
                break
            calls.append(Call(test_id=cand.call_id, module=cand.function.module, function=cand.function.name,
                              args=cand.args, kwargs=cand.kwargs, output=cand.function.compare.part,
                              time_limit_s=cand.time_limit_s))
            owners[cand.call_id] = (inst, cand, status)
    if not calls:
        return None
    wall = sum(c.time_limit_s for c in calls) + 20.0
    limits = replace(job.limits, wall_s=wall, cpu_s=int(wall) + 1)
    return replace(job, submission_id=job.submission_id + "\x00smaller", calls=tuple(calls), limits=limits), owners
