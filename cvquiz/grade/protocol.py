"""The contract between the grader (trusted parent) and the worker that runs student code.

Everything that crosses the boundary is plain data:

- to the worker: a :class:`Job` -- the submission folder, the support modules it may import,
  resource limits and a list of :class:`Call` whose arguments are numeric numpy arrays, Python
  scalars, ``None``, or lists/tuples of those (an :class:`Arg` says whether an array is handed to
  the student as a ``torch.Tensor`` or a ``numpy.ndarray``);
- back to the parent: a :class:`JobResult` whose values are numeric numpy arrays read with
  ``np.load(..., allow_pickle=False)`` -- never a pickle, never an object the student made.

The worker converts what the student's function returned before anything leaves it: a
``torch.Tensor`` or ``numpy.ndarray`` whose type is *exactly* that class (subclasses are
refused), a bool/int/float, or a tuple/list of those; anything else is ``bad_output``. The parent
alone decides pass or fail by comparing with expected values the worker never sees
(:mod:`cvquiz.grade.compare`). Exit codes and stdout of the worker are feedback, never parsed
as results.

Executors (:mod:`cvquiz.grade.executor`) implement :class:`Executor`; the local one forks
submissions from a preloaded, sandboxed worker (:mod:`cvquiz.grade.sandbox`), and a
dask.distributed one can run the same :class:`Job` objects on a cluster, since jobs and results
are plain, picklable dataclasses of the *parent's* making.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, Union

import numpy as np

# How the parent hands one argument to the student's function.
ArgKind = Literal["torch", "numpy", "python", "dict", "factory"]


@dataclass(frozen=True)
class Arg:
    """One argument: a numeric array (given as a torch tensor or a numpy array) or a scalar.

    ``value`` is a numpy array of a numeric or bool dtype for ``torch``/``numpy``; for
    ``python`` it is an int, float, bool, str, ``None``, or a tuple/list of :class:`Arg`.

    ``dict``: ``value`` is a tuple of ``(name, Arg)`` pairs, handed over as a ``dict``.
    ``factory``: ``value`` is ``(module, function, ((name, Arg), ...))``; the worker imports
    ``<module>.py`` from the job's ``support_dir`` (the assignment's own helper modules, never the
    submission) and hands the student what ``function(**plain args)`` returns -- e.g. a list of
    expert callables built from seeded weight arrays. Only these names and plain data cross.
    """

    kind: ArgKind
    value: object
    # For ``torch``: the torch dtype name to build the tensor with ("float32", "float64",
    # "float16", "bfloat16", "int64", "bool", ...); default: the array's own dtype.
    dtype: str | None = None


# Which part of a return value is compared: () for the whole value, (0,) for the first
# element of a tuple such as ``(next_h, cache)``, (1, 0) for nested tuples.
OutputPath = tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """One call of a student's function inside the worker."""

    test_id: str  # unique within the job, e.g. "nms/random-small[2]"
    module: str  # the student's module (file stem), e.g. "detection" for detection.py
    function: str
    args: tuple[Arg, ...] = ()
    kwargs: tuple[tuple[str, Arg], ...] = ()
    output: OutputPath = ()
    time_limit_s: float = 1.0  # wall-clock limit of this one call


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (the whole job)."""

    memory_mb: int = 1024  # RLIMIT_AS; torch needs at least ~768 MB
    cpu_s: int = 60  # RLIMIT_CPU for the whole job
    wall_s: float = 120.0  # the whole job; each call also has its own limit
    import_s: float = 5.0  # wall-clock limit of importing each student module (an import-time loop)
    file_size_mb: int = 64  # RLIMIT_FSIZE
    stdout_bytes: int = 1 << 20  # captured stdout/stderr kept, the rest dropped
    processes: int = 1  # the student may not fork (seccomp / pids cgroup / RLIMIT_NPROC)


@dataclass(frozen=True)
class Job:
    """One submission to run: its files, what it may import, and the calls to make."""

    submission_id: str
    submission_dir: Path  # a private copy of the student's files (already extracted)
    calls: tuple[Call, ...]
    # The assignment's helper modules, importable read-only: only its ``.py`` files are copied
    # into the child's view (an assignment.yaml beside them stays out of sight).
    support_dir: Path | None = None
    limits: Limits = field(default_factory=Limits)


# What happened to one call, most basic first (the order feedback is given in).
CallStatus = Literal[
    "ok",  # returned a value of an accepted type; the parent still has to compare it
    "missing_file",  # the module file is not in the submission
    "syntax_error",  # the module does not compile (detail: file:line)
    "import_error",  # importing the module raised (detail names the missing module, if any)
    "missing_function",  # the module has no such function
    "crash",  # the function raised (detail: traceback trimmed to the student's own frames)
    "timeout",  # the call ran past its time limit
    "memory",  # the memory limit was hit (MemoryError or the allocation failed)
    "bad_output",  # the return value is not a plain tensor/array/number (detail says what)
    "killed",  # the worker died (signal, os._exit, segfault) before answering
    "not_run",  # an earlier failure (timeout, death) stopped the job before this call
]


Value = Union[np.ndarray, tuple["Value", ...]]


@dataclass(frozen=True)
class CallResult:
    test_id: str
    status: CallStatus
    # For "ok": the selected output as a numeric numpy array, or a tuple of them when the
    # function returned a tuple or list and ``Call.output`` is () (a Python or numpy number
    # becomes a 0-d array; a bfloat16 tensor a float32 array). The original type is kept in
    # ``returned_type`` ("torch.Tensor", "numpy.ndarray", "int", "float", "bool",
    # "numpy.float32", ..., "tuple", "list", "dict"; a returned dict travels as the tuple of its
    # values in sorted-key order, its keys appended as ``;<path>=k1,k2``). ``elapsed_s`` is measured inside the child:
    # feedback only, never a score.
    value: Value | None = None
    returned_type: str | None = None
    torch_dtype: str | None = None  # e.g. "torch.float32" when a tensor was returned
    detail: str = ""  # student-facing text: trimmed traceback, file:line, what was wrong
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class JobResult:
    submission_id: str
    calls: tuple[CallResult, ...]
    output: str = ""  # what the submission printed (capped), for feedback only
    layers: tuple[tuple[str, bool], ...] = ()  # isolation layers in force, e.g. ("landlock", True)
    error: str = ""  # a problem of the grader itself (could not start a worker), not the student's


class Executor(Protocol):
    """Runs jobs in isolation. Implementations: a local pool; later dask.distributed."""

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """Run ``jobs`` and yield each result as it completes (in any order)."""
        ...

    def close(self) -> None:
        """Stop every worker this executor started."""
        ...

    def __enter__(self) -> "Executor": ...

    def __exit__(self, *exc: object) -> None: ...
