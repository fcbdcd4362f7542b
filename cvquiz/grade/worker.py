"""The worker: a zygote started by exec that forks one confined child per job.

``python -m cvquiz.grade.worker POLICY HIDDEN_JSON`` is started by
:class:`cvquiz.grade.executor.LocalExecutor` (never forked from the grader). It enters a network
namespace, imports torch and numpy, calls ``torch.set_num_threads(1)`` before any tensor op,
builds its Landlock ruleset, and then serves jobs one at a time:

1. the parent sends a frame: a pickled ``(Job, result_path, output_path)`` -- plain data of the
   parent's making (the zygote trusts the parent, never the reverse);
2. the zygote empties its private folders (submission, support, work: the same folders for
   every job, so that one Landlock ruleset built at start serves every child), copies the
   submission and support modules in, opens the two files the parent named, and forks the
   student's process as PID 1 of a new PID namespace and the leader of a new session, so one
   ``killpg`` ends everything it started;
3. the student's process confines itself (:func:`cvquiz.grade.sandbox.confine`), then
   :func:`cvquiz.grade.child.run_calls` imports the student's modules and makes each call,
   writing one record per call straight to the result file; the zygote never reads results, so
   a later child cannot find an earlier submission's answers in the zygote's memory;
4. the zygote watches a status pipe ("call i starts") and kills the process group when a call
   or the import runs past its limit, kills the process group anyway when the child ends,
   reaps it, empties the private folders and answers the parent with a JSON frame saying how
   the child ended.
"""

from __future__ import annotations

import gc
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
from dataclasses import dataclass
from pathlib import Path

from cvquiz.errors import SandboxError
from cvquiz.grade import sandbox
from cvquiz.grade.child import RESULT_FD, RULESET_FD, STATUS_FD, run_calls, status as _status
from cvquiz.grade.protocol import Job

SETUP_S = 10.0  # copying files and confining, before the first import starts
FRAME = struct.Struct("<I")


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
    import numpy  # noqa: F401 - preloaded for every child
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
    # Everything loaded so far is shared with every child: keep the cyclic GC off it, so a
    # collection in a child does not touch (and copy) every page of the zygote's heap.
    gc.collect()
    gc.freeze()
    hello = {"ready": True, "netns": netns, "pid": os.getpid(), "room": str(room.root)}
    write_frame(proto_out, json.dumps(hello).encode())
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
    # torch.broadcast_shapes imports sympy (and mpmath, which needs stdlib modules a child may not
    # be able to read) on its first call, ~1.5 s: done here, not inside a student's time limit.
    torch.broadcast_shapes((2, 1), (1, 3))


# When the student's uid (nobody) cannot read the standard library (e.g. a pyenv Python under
# /root), the zygote imports it beforehand, so that a child finds it in sys.modules: every
# top-level stdlib module except these (side effects at import, terminals, GUIs, tests), every
# codec, and the submodules that student code and its libraries (sympy, scipy) commonly use.
PRELOAD_SKIP = frozenset({
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "ensurepip", "venv",
    "test", "lib2to3", "pdb", "webbrowser", "readline", "rlcompleter",
    "curses", "tty", "pty", "getpass", "crypt", "nis", "spwd", "ossaudiodev", "distutils",
    "asynchat", "asyncore", "smtpd", "imp", "cgi", "cgitb", "audioop", "aifc", "chunk", "sunau",
    "sndhdr", "imghdr", "mailcap", "nntplib", "pipes", "telnetlib", "uu", "xdrlib", "msilib",
    "winsound", "msvcrt", "nt", "winreg",
})
PRELOAD_SUBMODULES = (
    "collections.abc", "concurrent.futures", "concurrent.futures.thread", "email.message",
    "email.parser", "email.utils", "html.parser", "http.client", "importlib.metadata",
    "importlib.resources", "importlib.util", "json.decoder", "logging.handlers",
    "multiprocessing.pool", "os.path", "unittest.mock", "urllib.parse", "urllib.request",
    "xml.dom.minidom", "xml.etree.ElementTree",
)


def _preload_stdlib() -> None:
    import contextlib
    import encodings
    import importlib
    import io
    import pkgutil
    import warnings

    names = sorted(n for n in getattr(sys, "stdlib_module_names", ())
                   if not n.startswith("_") and n not in PRELOAD_SKIP)
    names += [m.name for m in pkgutil.iter_modules(encodings.__path__, "encodings.")]
    names += list(PRELOAD_SUBMODULES)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - not on this platform (mbcs, dbm.gnu, ...)
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


if __name__ == "__main__":  # pragma: no cover
    main()
