"""Executors: run :class:`~cvquiz.grade.protocol.Job` objects in isolation, yield results.

:class:`LocalExecutor` keeps ``workers`` zygotes (:mod:`cvquiz.grade.worker`), each started by
exec with torch preloaded before the grader has loaded any secret, and sends each of them one
job at a time. A zygote forks one confined child per submission (:mod:`cvquiz.grade.sandbox`);
the child writes its answers to a file in a private folder of this process, which this process
reads after the child is reaped, accepting only ``np.load(..., allow_pickle=False)`` arrays of a
numeric dtype. Output the submission printed is kept (capped) for feedback and never parsed.

``sandbox`` is the policy: ``"required"`` (``grade``, ``check --all``) probes the layers first and
raises :class:`~cvquiz.errors.SandboxError` when one of :data:`~cvquiz.grade.sandbox.REQUIRED` is
missing; ``"available"`` (a student's own ``check``) uses what the machine offers and reports it
in :attr:`JobResult.layers`; ``"unsafe"`` (``--unsafe-no-sandbox``) keeps only the separate
process, the resource limits and (when the grader is root) the switch to ``nobody``.

A dask.distributed executor is a drop-in: jobs and results are plain, picklable dataclasses made
by the parent, and nothing here assumes a file system shared with the caller except
``job.submission_dir`` and ``job.support_dir``, which the zygote copies before the child starts.
A ``DaskExecutor(client)`` would keep one ``LocalExecutor(workers=1)`` per dask worker process
(created on first use, in a module global, so the zygote is started there by exec before any
task data arrives), submit one task per job that returns ``next(iter(local.run([job])))``, and
yield the results with ``distributed.as_completed``; a cluster without a shared disk ships the
submission folder as bytes in the task and unpacks it into a private folder first.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from cvquiz.errors import SandboxError
from cvquiz.grade import sandbox
from cvquiz.grade.protocol import Arg, CallResult, Job, JobResult
from cvquiz.grade.child import RECORD, TORCH_DTYPES
from cvquiz.grade.worker import read_frame, write_frame

START_TIMEOUT_S = 120.0  # a zygote importing torch on a loaded 2-core machine
_STATUSES = {"ok", "missing_file", "syntax_error", "import_error", "missing_function", "crash",
             "timeout", "memory", "bad_output"}
_MAX_META = 1 << 16


class LocalExecutor:
    """A pool of ``workers`` sandboxed zygotes on this machine.

    Use as a context manager; :meth:`run` yields one :class:`JobResult` per job as each
    finishes (in any order). A job whose zygote itself fails gets a result with ``error`` set
    and every call ``not_run``; the zygote is restarted for the next job.

    ``hidden``: more paths no student may read even where they lie inside the Python
    installation (a course directory, the output folder); the engine and the built-in course
    are always hidden (:func:`cvquiz.grade.sandbox.hidden_paths`). Everything outside the
    Python installation and system library folders is out of view anyway.

    >>> with LocalExecutor(workers=2, sandbox="required") as ex:  # doctest: +SKIP
    ...     for result in ex.run(jobs):
    ...         print(result.submission_id, [c.status for c in result.calls])
    """

    def __init__(self, workers: int = 1, sandbox: sandbox.Policy = "required",
                 start_timeout_s: float = START_TIMEOUT_S, hidden: Iterable[Path] = ()):
        if workers < 1:
            raise ValueError(f"workers: expected at least 1, got {workers}")
        if sandbox not in ("required", "available", "unsafe"):
            raise ValueError(f"sandbox: expected 'required', 'available' or 'unsafe', got {sandbox!r}")
        self.policy = sandbox
        self.workers = workers
        self.start_timeout_s = start_timeout_s
        # Kept out of the student's view even where they lie inside the Python installation
        # (the engine and the built-in course always are; see sandbox.hidden_paths).
        self.hidden = tuple(str(Path(h).resolve()) for h in hidden)
        self.layers: dict[str, bool] = {}
        if sandbox == "required":
            self.layers = _probe()
            gone = _missing(self.layers)
            if gone:
                raise SandboxError(
                    "refusing to grade untrusted code: this machine lacks the isolation layer(s) "
                    f"{', '.join(gone)} (see `cvquiz grade --check-sandbox`); pass "
                    "--unsafe-no-sandbox to run without them at your own risk.")
        self._zygotes: list[_Zygote] = []
        self._lock = threading.Lock()
        self._closed = False

    # The Executor protocol -------------------------------------------------------------------

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        if self._closed:
            raise SandboxError("this executor is closed")
        todo: queue.Queue = queue.Queue()
        count = 0
        for job in jobs:
            check_job(job)
            todo.put(job)
            count += 1
        if count == 0:
            return
        done: queue.Queue = queue.Queue()
        with self._lock:
            while len(self._zygotes) < min(self.workers, count):
                self._zygotes.append(_Zygote(self.policy, self.start_timeout_s, self.hidden))
            zygotes = self._zygotes[:min(self.workers, count)]
        threads = [threading.Thread(target=_serve, args=(z, todo, done), daemon=True)
                   for z in zygotes]
        for t in threads:
            t.start()
        for _ in range(count):
            yield done.get()
        for t in threads:
            t.join()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for z in self._zygotes:
                z.stop()
            self._zygotes.clear()

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_job(job: Job) -> None:
    """Refuse a job the worker could not run as plain data (a grader bug, not a student's):
    ``ValueError`` naming the call and the argument."""
    for call in job.calls:
        for where, arg in [(f"args[{i}]", a) for i, a in enumerate(call.args)] + \
                [(f"kwargs[{k!r}]", a) for k, a in call.kwargs]:
            _check_arg(arg, f"{job.submission_id}: {call.test_id}: {where}")


def _check_arg(arg: object, where: str) -> None:
    if not isinstance(arg, Arg):
        raise ValueError(f"{where}: expected an Arg, got {type(arg).__name__}")
    if arg.kind in ("torch", "numpy"):
        if type(arg.value) is not np.ndarray or arg.value.dtype.kind not in "biuf":
            raise ValueError(f"{where}: expected a numpy array of numbers, got "
                             f"{type(arg.value).__name__} {getattr(arg.value, 'dtype', '')}".rstrip())
        if arg.dtype is not None and (arg.kind != "torch" or arg.dtype not in TORCH_DTYPES):
            raise ValueError(f"{where}: dtype {arg.dtype!r} is not one of {', '.join(TORCH_DTYPES)}"
                             " (and only a torch argument takes one)")
    elif arg.kind == "python":
        if isinstance(arg.value, (tuple, list)):
            for i, item in enumerate(arg.value):
                if isinstance(item, Arg):
                    _check_arg(item, f"{where}[{i}]")
                elif not _plain(item):
                    raise ValueError(f"{where}[{i}]: expected a number, string, None or Arg, "
                                     f"got {type(item).__name__}")
        elif not _plain(arg.value):
            raise ValueError(f"{where}: expected a number, string, None or a tuple/list, got "
                             f"{type(arg.value).__name__}")
    elif arg.kind in ("dict", "factory"):
        named = arg.value
        if arg.kind == "factory":
            ok = type(named) is tuple and len(named) == 3 and all(
                type(x) is str and x.isidentifier() for x in named[:2])
            if not ok:
                raise ValueError(f"{where}: a factory is (module, function, named args) of plain names")
            named = named[2]
        if type(named) is not tuple or not all(type(p) is tuple and len(p) == 2 and type(p[0]) is str
                                                for p in named):
            raise ValueError(f"{where}: expected a tuple of (name, Arg) pairs")
        for name, item in named:
            _check_arg(item, f"{where}[{name!r}]")
    else:
        raise ValueError(f"{where}: kind {arg.kind!r} is not one of 'torch', 'numpy', 'python', 'dict', "
                         "'factory'")


def _plain(value: object) -> bool:
    return value is None or type(value) in (bool, int, float, str)


def _probe() -> dict[str, bool]:
    return sandbox.probe()


def _missing(layers: dict[str, bool]) -> list[str]:
    return sandbox.missing(layers)


def _serve(zygote: "_Zygote", todo: queue.Queue, done: queue.Queue) -> None:
    while True:
        try:
            job = todo.get_nowait()
        except queue.Empty:
            return
        try:
            done.put(zygote.run(job))
        except Exception as exc:  # noqa: BLE001 - a grader failure is reported, never raised here
            done.put(_failed(job, f"the grader could not run this submission: {exc}"))


class _Zygote:
    """One exec'd worker process and the private folder its children write answers into."""

    def __init__(self, policy: str, start_timeout_s: float, hidden: tuple[str, ...] = ()):
        self.policy = policy
        self.hidden = hidden
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.netns = False
        self.room: str | None = None  # the zygote's private folders, removed if it dies
        self.busy = threading.Lock()  # one job at a time, even if run() is called concurrently
        self.outbox = Path(tempfile.mkdtemp(prefix="cvquiz-results-"))  # 0700, never in a child's view

    def start(self) -> None:
        self.stop_process()
        self.errors = tempfile.TemporaryFile()
        argv = [sys.executable, "-m", "cvquiz.grade.worker", self.policy, json.dumps(self.hidden)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, env=sandbox.worker_environment(),
                                     close_fds=True, start_new_session=True, cwd="/")
        hello = self._reply(self.start_timeout_s)
        if hello is None or not json.loads(hello).get("ready"):
            raise SandboxError("the grading worker did not start: " + self._stderr())
        hello = json.loads(hello)
        self.netns = hello["netns"]
        self.room = hello.get("room")

    def run(self, job: Job) -> JobResult:
        with self.busy:
            return self._run(job)

    def _run(self, job: Job) -> JobResult:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.outbox))
        try:
            result_path, output_path = folder / "result", folder / "output"
            write_frame(self.proc.stdin.fileno(),
                        pickle.dumps((job, str(result_path), str(output_path))))
            raw = self._reply(job.limits.wall_s + 60.0)
            if raw is None:
                err = self._stderr()
                self.stop_process()
                return _failed(job, "the grading worker stopped unexpectedly" +
                               (f": {err}" if err else ""))
            ending = json.loads(raw)
            if ending.get("error"):
                return _failed(job, "the grader could not start this submission: "
                               + ending["error"])
            return _assemble(job, ending, result_path, output_path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _reply(self, timeout: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        box: list = []
        reader = threading.Thread(target=lambda: box.append(read_frame(fd)), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self.stop_process()
            reader.join(5)
            return None
        return box[0] if box else None

    def _stderr(self) -> str:
        try:
            self.errors.seek(0)
            text = self.errors.read()[-2000:].decode("utf-8", "replace").strip()
        except (OSError, AttributeError, ValueError):
            return ""
        return text.splitlines()[-1] if text else ""

    def stop_process(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        proc.stdout.close()
        room, self.room = self.room, None
        if room and Path(room).name.startswith("cvquiz-zygote-"):
            shutil.rmtree(room, ignore_errors=True)

    def stop(self) -> None:
        self.stop_process()
        shutil.rmtree(self.outbox, ignore_errors=True)


# --------------------------------------------------------------------------- reading answers

def _failed(job: Job, error: str) -> JobResult:
    calls = tuple(CallResult(c.test_id, "not_run") for c in job.calls)
    return JobResult(job.submission_id, calls, error=error)


def read_records(data: bytes, n_calls: int) -> dict[int, tuple[dict, object]]:
    """Parse the child's result file: ``{call index: (meta, value)}``; stops at the first
    malformed record (whatever follows it is ignored, the calls it would cover stay unanswered)."""
    out: dict[int, tuple[dict, object]] = {}
    pos = 0
    while pos + RECORD.size <= len(data):
        kind, size = RECORD.unpack_from(data, pos)
        pos += RECORD.size
        if kind != b"J" or size > _MAX_META or pos + size > len(data):
            break
        try:
            meta = json.loads(data[pos:pos + size])
        except ValueError:
            break
        pos += size
        if not _valid_meta(meta, n_calls) or meta["i"] in out:
            break
        arrays = []
        for _ in range(meta["arrays"]):
            if pos + RECORD.size > len(data):
                break
            kind, size = RECORD.unpack_from(data, pos)
            pos += RECORD.size
            if kind != b"A" or pos + size > len(data):
                break
            try:
                array = np.load(io.BytesIO(data[pos:pos + size]), allow_pickle=False)
            except (ValueError, OSError, EOFError):
                break
            pos += size
            if type(array) is not np.ndarray or array.dtype.kind not in "biuf":
                break
            arrays.append(array)
        if len(arrays) != meta["arrays"]:
            break
        value = _rebuild(meta["structure"], arrays) if meta["status"] == "ok" else None
        if meta["status"] == "ok" and value is None:
            break
        out[meta["i"]] = (meta, value)
    return out


def _valid_meta(meta: object, n_calls: int) -> bool:
    return (isinstance(meta, dict) and type(meta.get("i")) is int and 0 <= meta["i"] < n_calls
            and meta.get("status") in _STATUSES and isinstance(meta.get("detail"), str)
            and type(meta.get("arrays")) is int and 0 <= meta["arrays"] <= 1024
            and isinstance(meta.get("elapsed"), (int, float))
            and (meta.get("type") is None or isinstance(meta["type"], str))
            and (meta.get("torch_dtype") is None or isinstance(meta["torch_dtype"], str)))


def _rebuild(structure: object, arrays: list[np.ndarray], used: list[int] | None = None):
    """The value from its structure (an array index, or a list of structures = a tuple); None
    unless every array is used exactly once, in order."""
    top = used is None
    used = [] if top else used
    if type(structure) is int:
        if structure != len(used) or structure >= len(arrays):
            return None
        used.append(structure)
        value = arrays[structure]
    elif type(structure) is list:
        items = []
        for s in structure:
            item = _rebuild(s, arrays, used)
            if item is None:
                return None
            items.append(item)
        value = tuple(items)
    else:
        return None
    if top and len(used) != len(arrays):
        return None
    return value


def _assemble(job: Job, ending: dict, result_path: Path, output_path: Path) -> JobResult:
    """Combine the child's records with how the zygote saw it end."""
    try:
        data = result_path.read_bytes()
    except OSError:
        data = b""
    records = read_records(data, len(job.calls))
    try:
        with open(output_path, "rb") as f:
            output = f.read(job.limits.stdout_bytes).decode("utf-8", "replace")
    except OSError:
        output = ""
    layers = tuple((name, bool(ending.get("layers", {}).get(name, False)))
                   for name in sandbox.LAYERS)
    if ending.get("refused"):
        return JobResult(job.submission_id, tuple(CallResult(c.test_id, "not_run")
                                                  for c in job.calls),
                         output=output, layers=layers, error=ending["refused"])
    calls, stopped = [], False
    for i, call in enumerate(job.calls):
        if i in records and not stopped:
            meta, value = records[i]
            calls.append(CallResult(call.test_id, meta["status"], value=value,
                                    returned_type=meta.get("type"),
                                    torch_dtype=meta.get("torch_dtype"),
                                    detail=meta["detail"], elapsed_s=float(meta["elapsed"])))
        elif not stopped:
            status, detail = _ending_status(job, i, ending)
            calls.append(CallResult(call.test_id, status, detail=detail))
            stopped = True
        else:
            calls.append(CallResult(call.test_id, "not_run",
                                    detail="not run: an earlier call stopped the submission"))
    return JobResult(job.submission_id, tuple(calls), output=output, layers=layers)


def _ending_status(job: Job, i: int, ending: dict) -> tuple[str, str]:
    """Status of the first call the child did not answer."""
    call = job.calls[i]
    if ending.get("timed_out"):
        if ending.get("phase") == "import" and ending.get("index") == i:
            return "timeout", (f"importing {call.module}.py took longer than "
                               f"{job.limits.import_s:g} s")
        if ending.get("phase") == "call" and ending.get("index") == i:
            return "timeout", f"ran past its time limit of {call.time_limit_s:g} s"
        return "timeout", f"the submission ran past its total limit of {job.limits.wall_s:g} s"
    code = ending.get("exit")
    during = (f"while importing {call.module}.py" if ending.get("phase") == "import"
              and ending.get("index") == i else "during this call")
    if isinstance(code, int) and code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and _cpu_exhausted(job, ending)):
            return "timeout", f"used more than its CPU-time limit of {job.limits.cpu_s} s"
        if sig == signal.SIGXFSZ:
            return "killed", (f"wrote a file (or output) larger than the "
                              f"{job.limits.file_size_mb} MB limit")
        return "killed", f"the process was killed by {name} {during}"
    return "killed", f"the process ended (exit code {code}) {during}, without answering"


def _cpu_exhausted(job: Job, ending: dict) -> bool:
    return float(ending.get("elapsed", 0.0)) >= job.limits.cpu_s
