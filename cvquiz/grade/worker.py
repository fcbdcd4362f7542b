"""The worker: a zygote started by exec that forks one confined child per job.

``python -m cvquiz.grade.worker POLICY`` is started by :class:`cvquiz.grade.executor.LocalExecutor`
(never forked from the grader). It enters a network namespace, imports torch and numpy, calls
``torch.set_num_threads(1)`` before any tensor op, and then serves jobs one at a time:

1. the parent sends a frame: a pickled ``(Job, result_path, output_path)`` -- plain data of the
   parent's making (the zygote trusts the parent, never the reverse);
2. the zygote empties its private folders (submission, support, work: the same folders for
   every job, so that one Landlock ruleset built at start serves every child), copies the
   submission and support modules in, opens the two files the parent named, and forks the student's process as PID 1 of a new PID namespace
   and the leader of a new session, so one ``killpg`` ends everything it started;
3. the student's process confines itself (:func:`cvquiz.grade.sandbox.confine`), imports the
   student's modules and makes each call, writing one record per call straight to the result
   file (see :func:`write_record`); the zygote never reads results, so a later child cannot find
   an earlier submission's answers in the zygote's memory;
4. the zygote watches a status pipe ("call i starts") and kills the process group when a call
   or the import runs past its limit, reaps it, removes the private folder and answers the
   parent with a JSON frame saying how the child ended.

Records are ``kind byte + u32 length + payload``: ``J`` a JSON object describing one call, ``A``
an array written by ``numpy.lib.format.write_array(..., allow_pickle=False)``. The parent reads
them with ``np.load(allow_pickle=False)`` and trusts nothing else.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from cvquiz.errors import SandboxError
from cvquiz.grade import sandbox
from cvquiz.grade.protocol import Arg, Call, Job

RESULT_FD, STATUS_FD, RULESET_FD = 3, 4, 5
SETUP_S = 10.0  # copying files and confining, before the first import starts
FRAME = struct.Struct("<I")
RECORD = struct.Struct("<cI")
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
                "uint8", "bool")
_MAX_DEPTH, _MAX_ITEMS = 4, 64  # of returned tuples/lists


# --------------------------------------------------------------------------- frames (zygote <-> parent)

def read_frame(fd: int) -> bytes | None:
    """One length-prefixed frame from ``fd``; None at end of file."""
    head = _read_exactly(fd, FRAME.size)
    if head is None:
        return None
    return _read_exactly(fd, FRAME.unpack(head)[0])


def write_frame(fd: int, payload: bytes) -> None:
    data = FRAME.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- the zygote

def main() -> None:  # pragma: no cover - runs in the exec'd zygote (tested through the executor)
    policy = sys.argv[1] if len(sys.argv) > 1 else "required"
    hidden = sys.argv[2] if len(sys.argv) > 2 else "[]"
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    netns = sandbox.enter_network_namespace() if policy != "unsafe" else False
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)  # before any op: a child forked after a threaded op can deadlock
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    _warm_up(torch)
    if not sandbox.readable_by_others(Path(sandbox.sysconfig.get_paths()["stdlib"])):
        _preload_stdlib()
    room = make_room(policy, tuple(Path(h) for h in json.loads(hidden)))
    write_frame(proto_out, json.dumps({"ready": True, "netns": netns, "pid": os.getpid()}).encode())
    try:
        while (frame := read_frame(proto_in)) is not None:
            job, result_path, output_path = pickle.loads(frame)
            try:
                reply = run_forked(job, Path(result_path), Path(output_path), policy, netns, room)
            except Exception as exc:  # noqa: BLE001 - the grader's problem, reported, not fatal
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            del job, frame
            write_frame(proto_out, json.dumps(reply).encode())
    finally:
        shutil.rmtree(room.root, ignore_errors=True)


def _warm_up(torch) -> None:
    """Run a few ops so that torch's lazy initialisation (CPU features, kernels, allocator)
    happens once here, not in every confined child (which may not read /proc/cpuinfo)."""
    for dtype in (torch.float32, torch.float64, torch.int64):
        x = torch.arange(16, dtype=dtype).reshape(4, 4)
        ((x + x) * x - x).sum().item()
        (x @ x).max().item()
        torch.sort(x.flatten(), descending=True)
    torch.nn.functional.softmax(torch.ones(4, 4), dim=-1).exp().log().sqrt()
    torch.backends.cpu.get_cpu_capability()


# Imported by the zygote when the student's uid (nobody) cannot read the standard library
# (e.g. a pyenv Python under /root): the modules student code commonly imports, never ones with
# side effects at import.
PRELOAD = (
    "abc", "argparse", "array", "base64", "bisect", "cmath", "collections", "collections.abc",
    "concurrent.futures", "contextlib", "copy", "csv", "ctypes", "dataclasses", "datetime",
    "decimal", "enum", "fnmatch", "fractions", "functools", "gc", "glob", "hashlib", "heapq",
    "inspect", "io", "itertools", "json", "logging", "math", "numbers", "operator", "os",
    "pathlib", "pickle", "pprint", "queue", "random", "re", "shutil", "signal", "socket",
    "statistics", "string", "struct", "subprocess", "tempfile", "textwrap", "threading", "time",
    "timeit", "traceback", "types", "typing", "unittest", "unittest.mock", "warnings", "weakref",
    "zlib", "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16",
    "encodings.utf_32", "encodings.cp1252", "encodings.unicode_escape", "encodings.punycode",
    "encodings.raw_unicode_escape", "encodings.hex_codec", "encodings.base64_codec",
)


def _preload_stdlib() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


@dataclass
class Room:
    """The zygote's private folders, emptied and refilled for each job, and the Landlock
    ruleset that grants them (rules bind to these folders' inodes, so one ruleset serves every
    child and no child pays for building it)."""

    root: Path
    submission: Path
    support: Path
    work: Path
    ruleset: int | None


def make_room(policy: str, hidden: tuple[Path, ...] = ()) -> Room:
    root = Path(tempfile.mkdtemp(prefix="cvquiz-zygote-"))
    os.chmod(root, 0o711)
    room = Room(root, root / "submission", root / "support", root / "work", None)
    room.submission.mkdir(mode=0o755)
    room.support.mkdir(mode=0o755)
    room.work.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(room.work, sandbox.NOBODY, sandbox.NOBODY)
    if policy != "unsafe":
        view = sandbox.python_view(sandbox.hidden_paths(hidden))
        view.read += [room.submission, room.support]
        view.write.append(room.work)
        room.ruleset = sandbox.landlock_ruleset(view)
    return room


def _empty(folder: Path) -> None:
    for entry in list(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def run_forked(job: Job, result_path: Path, output_path: Path, policy: str, netns: bool,
               room: Room) -> dict:
    """Run ``job`` in a confined child; return how it ended (plain JSON data)."""
    try:
        for folder in (room.submission, room.support, room.work):
            _empty(folder)
        _copy_readonly(job.submission_dir, room.submission)
        if job.support_dir is not None:
            _copy_readonly(job.support_dir, room.support, only_python=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        result_fd = os.open(result_path, flags, 0o600)
        output_fd = os.open(output_path, flags, 0o600)
        status_r, status_w = os.pipe()
        # The child is PID 1 of a fresh PID namespace; the zygote's own namespace is restored
        # for the next job right after the fork (unshare alone works only once per namespace).
        pidns = policy != "unsafe" and sandbox.unshare_pid_namespace()
        try:
            pid = os.fork()
        except OSError:
            if pidns:
                sandbox.restore_pid_namespace()
            raise
        if pid and pidns:
            sandbox.restore_pid_namespace()
        if pid == 0:
            os.close(status_r)
            _student(job, result_fd, output_fd, status_w, room, policy, netns)
        os.close(result_fd)
        os.close(output_fd)
        os.close(status_w)
        return _watch(job, pid, status_r)
    finally:
        for folder in (room.submission, room.support, room.work):
            _empty(folder)


MAX_COPY_BYTES = 256 << 20  # a submission (or support) folder larger than this is refused


def _copy_readonly(src: Path, dst: Path, only_python: bool = False) -> None:
    """Copy regular files and folders (never following links), readable by the student only;
    with ``only_python``, just the ``.py`` files (a support folder may hold assignment.yaml)."""
    dst.mkdir(mode=0o755, exist_ok=True)
    if not src.is_dir():
        return
    total = 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        for d in dirnames:
            if not os.path.islink(os.path.join(dirpath, d)):
                (dst / rel / d).mkdir(mode=0o755, exist_ok=True)
        for f in filenames:
            path = os.path.join(dirpath, f)
            if only_python and not f.endswith(".py"):
                continue
            if os.path.isfile(path) and not os.path.islink(path):
                total += os.path.getsize(path)
                if total > MAX_COPY_BYTES:
                    raise SandboxError(f"{src} holds more than {MAX_COPY_BYTES >> 20} MB")
                shutil.copyfile(path, dst / rel / f)
                os.chmod(dst / rel / f, 0o644)


def _student(job: Job, result_fd: int, output_fd: int, status_w: int, room: Room, policy: str,
             netns: bool) -> None:  # pragma: no cover - runs in the confined child
    try:
        os.setsid()  # one killpg ends the student's process and anything it started
        import fcntl

        # Move every fd above the ones we assign, so that no dup2 below overwrites another.
        keep = [result_fd, output_fd, status_w] + ([room.ruleset] if room.ruleset is not None else [])
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in keep]
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(high[1], 1)
        os.dup2(high[1], 2)
        os.dup2(high[0], RESULT_FD)
        os.dup2(high[2], STATUS_FD)
        ruleset = None
        if room.ruleset is not None:
            os.dup2(high[3], RULESET_FD)
            ruleset = RULESET_FD
        os.closerange(RULESET_FD + 1, 1 << 16)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False, errors="replace", buffering=1)
        sys.stderr = open(2, "w", closefd=False, errors="replace", buffering=1)
        try:
            layers = sandbox.confine(ruleset, room.work, job.limits, policy, netns)
        except SandboxError as exc:
            _status(f"R {exc}")
            os._exit(71)
        if ruleset is not None:
            os.close(ruleset)
        sandbox.set_parent_death_signal()
        _status("L " + json.dumps(layers))
        os.environ.clear()
        os.environ.update(HOME=str(room.work), TMPDIR=str(room.work), LANG="C.UTF-8")
        tempfile.tempdir = str(room.work)
        run_calls(job, room.submission, room.support)
        _status("D")
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def _status(line: str) -> None:
    os.write(STATUS_FD, line.encode()[:4000] + b"\n")


def _watch(job: Job, pid: int, status_r: int) -> dict:
    """Follow the child's status lines, enforce the time limits, kill and reap it."""
    start = time.monotonic()
    job_deadline = start + job.limits.wall_s
    deadline = start + SETUP_S
    phase, index, layers, refused = "setup", -1, None, ""
    timed_out = False
    status: int | None = None
    buf = b""
    # A pidfd turns readable when the child ends; without one (not Linux) poll every 50 ms.
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    open_fds = [status_r] + ([pidfd] if pidfd is not None else [])
    try:
        while True:
            now = time.monotonic()
            wait = min(deadline, job_deadline) - now
            if wait <= 0:
                timed_out = True
                break
            ready, _, _ = select.select(open_fds, [], [], wait if pidfd is not None
                                        else min(wait, 0.05))
            if pidfd is not None and pidfd in ready:
                break
            if pidfd is None:
                reaped, status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    break
                status = None
            if status_r in ready:
                chunk = os.read(status_r, 65536)
                if not chunk:
                    open_fds.remove(status_r)
                    continue
                buf += chunk
                *lines, buf = buf.split(b"\n")
                buf = buf[-8192:]
                for raw in lines:
                    line = raw.decode("utf-8", "replace")
                    kind, _, rest = line.partition(" ")
                    if kind == "L" and layers is None and phase == "setup":
                        try:
                            layers = json.loads(rest)
                        except ValueError:
                            layers = {}
                    elif kind == "R" and phase == "setup":
                        refused = rest
                    elif kind in ("M", "C") and rest.isdigit():
                        i = int(rest)
                        if i < len(job.calls) and (i > index or (i == index and phase == "import"
                                                                  and kind == "C")):
                            phase, index = ("import" if kind == "M" else "call"), i
                            limit = job.limits.import_s if kind == "M" else job.calls[i].time_limit_s
                            deadline = time.monotonic() + limit
                    elif kind == "D":
                        phase = "done"
                        deadline = time.monotonic() + 1.0
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)  # the student's process and anything it started
        except (ProcessLookupError, PermissionError):
            pass
        if status is None:
            _, status = os.waitpid(pid, 0)
        if pidfd is not None:
            os.close(pidfd)
        os.close(status_r)
    code = os.waitstatus_to_exitcode(status)
    return {"exit": code, "timed_out": timed_out, "phase": phase, "index": index,
            "layers": layers or {}, "refused": refused, "elapsed": time.monotonic() - start}


# --------------------------------------------------------------------------- in the student's process

def run_calls(job: Job, sub: Path, support: Path) -> None:
    """Import the student's modules and make each call, writing one record per call."""
    import numpy as np
    import torch

    sys.dont_write_bytecode = True
    sys.path[:] = [str(sub), str(support)] + [p for p in sys.path if _is_system_path(p)]
    modules: dict[str, object] = {}
    for i, call in enumerate(job.calls):
        if call.module not in modules:
            _status(f"M {i}")
            modules[call.module] = _import_student(call.module, sub, support)
        module = modules[call.module]
        if isinstance(module, tuple):  # (status, detail) of a failed import
            write_record(i, module[0], detail=module[1])
            continue
        fn = getattr(module, call.function, None) if _has_attr(module, call.function) else None
        if not callable(fn):
            write_record(i, "missing_function",
                         detail=f"{call.module}.py has no function `{call.function}`")
            continue
        args = [_build(a, np, torch) for a in call.args]
        kwargs = {k: _build(a, np, torch) for k, a in call.kwargs}
        _status(f"C {i}")
        t0 = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - every student failure becomes a status
            elapsed = time.perf_counter() - t0
            status, detail = _failure(exc, sub, support, "called")
            write_record(i, status, detail=detail, elapsed=elapsed)
            continue
        elapsed = time.perf_counter() - t0
        try:
            selected = _select(value, call.output)
            structure, arrays, returned, tdtype = _convert(selected, np, torch, 0)
        except _BadOutput as bad:
            write_record(i, "bad_output", detail=str(bad), elapsed=elapsed)
            continue
        write_record(i, "ok", elapsed=elapsed, structure=structure, arrays=arrays,
                     returned_type=returned, torch_dtype=tdtype)


def _is_system_path(p: str) -> bool:
    import sysconfig

    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return any(p == r or p.startswith(r + os.sep) for r in roots) or p.endswith(".zip")


def _has_attr(module: object, name: str) -> bool:
    try:
        return name in vars(module)
    except TypeError:
        return False


def _import_student(name: str, sub: Path, support: Path):
    """The student's module, or ``(status, detail)`` when it cannot be imported."""
    import importlib.util

    path = sub / f"{name}.py"
    if not path.is_file():
        near = [p.name for p in sub.iterdir() if p.name.lower() == path.name.lower()]
        hint = f" (found {near[0]}: file names are case-sensitive)" if near else ""
        return ("missing_file", f"the submission has no {path.name}{hint}")
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = _relative(exc.filename or str(path), sub, support)
        return ("syntax_error", f"{where}:{exc.lineno}: {exc.msg}")
    except BaseException as exc:  # noqa: BLE001
        status, detail = _failure(exc, sub, support, "imported")
        return ("memory" if status == "memory" else "import_error", detail)
    return module


def _failure(exc: BaseException, sub: Path, support: Path, doing: str) -> tuple[str, str]:
    """(status, student-facing detail) for an exception the student's code raised."""
    if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and _is_oom(exc)):
        return "memory", "ran out of memory (the limit is on the whole process)"
    if isinstance(exc, SystemExit):
        return "crash", f"called sys.exit({exc.code!r}) when {doing}"
    if isinstance(exc, ModuleNotFoundError) and doing == "imported":
        top = (exc.name or "").split(".")[0]
        if top in getattr(sys, "stdlib_module_names", ()):
            return "import_error", (f"imports the standard module `{exc.name}`, which the "
                                    "sandbox cannot read on this grader (its Python is not "
                                    "readable by other users; see cvquiz.grade.worker.PRELOAD)")
        return "import_error", f"imports the module `{exc.name}`, which the grader does not have"
    return "crash", _trimmed_traceback(exc, sub, support)


def _is_oom(exc: BaseException) -> bool:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        return False
    return "can't allocate memory" in text or "not enough memory" in text


def _trimmed_traceback(exc: BaseException, sub: Path, support: Path) -> str:
    """The traceback restricted to frames in the student's own files."""
    lines = ["Traceback (your code only):"]
    try:
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.startswith((str(sub) + os.sep, str(support) + os.sep)):
                lines.append(f'  File "{_relative(frame.filename, sub, support)}", line '
                             f"{frame.lineno}, in {frame.name}")
                if frame.line:
                    lines.append(f"    {frame.line}")
        lines += [s.rstrip("\n") for s in traceback.format_exception_only(type(exc), exc)]
    except Exception:  # noqa: BLE001 - a hostile __str__ must not hide the crash
        lines.append(type(exc).__name__)
    return "\n".join(lines)[:4000]


def _relative(filename: str, sub: Path, support: Path) -> str:
    for base in (sub, support):
        if filename.startswith(str(base) + os.sep):
            return filename[len(str(base)) + 1:]
    return Path(filename).name


def _build(arg: Arg, np, torch):
    """The argument as the student receives it: a fresh tensor, array or Python value."""
    if arg.kind == "python":
        if isinstance(arg.value, (tuple, list)):
            return type(arg.value)(_build(a, np, torch) if isinstance(a, Arg) else a
                                   for a in arg.value)
        return arg.value
    array = np.array(arg.value, copy=True)
    if arg.kind == "numpy":
        return array
    tensor = torch.from_numpy(array)
    if arg.dtype is not None:
        if arg.dtype not in TORCH_DTYPES:
            raise SandboxError(f"argument dtype {arg.dtype!r} is not one of {TORCH_DTYPES}")
        tensor = tensor.to(getattr(torch, arg.dtype))
    return tensor


class _BadOutput(Exception):
    pass


def _describe(value: object) -> str:
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


def _select(value: object, path: tuple[int, ...]) -> object:
    for depth, i in enumerate(path):
        if type(value) not in (tuple, list):
            raise _BadOutput(f"expected a tuple whose element {list(path[:depth + 1])} is the "
                             f"answer, got {_describe(value)}")
        if not 0 <= i < len(value):
            raise _BadOutput(f"expected a tuple of at least {i + 1} elements, got {len(value)}")
        value = value[i]
    return value


def _convert(value: object, np, torch, depth: int):
    """(structure, arrays, returned type, torch dtype) of an accepted value, else _BadOutput."""
    t = type(value)
    if t is torch.Tensor:
        if value.layout != torch.strided or value.is_complex() or value.is_quantized \
                or value.is_nested or value.device.type == "meta":
            raise _BadOutput(f"returned a {value.dtype} tensor with layout {value.layout} on "
                             f"{value.device}; expected a plain dense real tensor")
        t_cpu = value.detach().cpu().resolve_conj().resolve_neg()
        dtype = str(value.dtype)
        if t_cpu.dtype == torch.bfloat16:
            t_cpu = t_cpu.float()
        return 0, [np.ascontiguousarray(t_cpu.numpy())], "torch.Tensor", dtype
    if t is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise _BadOutput(f"returned an array of dtype {value.dtype}; expected numbers")
        return 0, [np.ascontiguousarray(value)], "numpy.ndarray", None
    if t in (bool, int, float) or (t.__module__ == "numpy" and t in _numpy_scalars(np)):
        if t is int and not -(2 ** 63) <= value < 2 ** 63:
            raise _BadOutput("returned an integer too large for int64")
        return 0, [np.asarray(value)], t.__qualname__ if t.__module__ == "builtins" else \
            f"numpy.{t.__name__}", None
    if t in (tuple, list):
        if depth >= _MAX_DEPTH or len(value) > _MAX_ITEMS:
            raise _BadOutput(f"returned a {t.__name__} nested too deeply or longer than "
                             f"{_MAX_ITEMS} elements")
        structure, arrays = [], []
        for item in value:
            s, a, _, _ = _convert(item, np, torch, depth + 1)
            structure.append(_shift(s, len(arrays)))
            arrays += a
        return structure, arrays, t.__name__, None
    raise _BadOutput(f"returned {_describe(value)}; expected a torch.Tensor, a numpy.ndarray, "
                     "a number, or a tuple of those (subclasses are not accepted)")


def _numpy_scalars(np) -> tuple:
    return (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
            np.uint64, np.float16, np.float32, np.float64)


def _shift(structure, offset: int):
    if isinstance(structure, int):
        return structure + offset
    return [_shift(s, offset) for s in structure]


def write_record(index: int, status: str, *, detail: str = "", elapsed: float = 0.0,
                 structure=None, arrays=(), returned_type=None, torch_dtype=None) -> None:
    """Append one call's record (a JSON header, then its arrays) to the result file."""
    from numpy.lib.format import write_array

    meta = {"i": index, "status": status, "detail": detail[:4000], "elapsed": elapsed,
            "structure": structure, "type": returned_type, "torch_dtype": torch_dtype,
            "arrays": len(arrays)}
    out = [_record(b"J", json.dumps(meta).encode())]
    for array in arrays:
        buf = io.BytesIO()
        write_array(buf, array, allow_pickle=False)
        out.append(_record(b"A", buf.getvalue()))
    data = b"".join(out)
    while data:
        data = data[os.write(RESULT_FD, data):]


def _record(kind: bytes, payload: bytes) -> bytes:
    return RECORD.pack(kind, len(payload)) + payload


if __name__ == "__main__":  # pragma: no cover
    main()
