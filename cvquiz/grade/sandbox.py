"""Isolation layers for student code, and a probe that checks each one by trying it.

Rules the grader relies on (measured on machines of this project's kind: Debian, Python 3.11,
running as root; every public grader that ran student code in its own process was beaten):

1. Student code never runs in the grader's process. It runs in a child forked from a preloaded
   "zygote" that was started by *exec* (never ``fork``) before any reference output, hidden input
   or bank was loaded: a forked child can read all of its parent's memory (``gc.get_objects()``
   found the expected outputs in a prototype), so the zygote never holds a secret, and never
   holds another submission's results (they go straight from the child to the grader).
2. The zygote imports torch and calls ``torch.set_num_threads(1)`` before any tensor op: a child
   forked after a multi-threaded op can deadlock.
3. Layers, each applied in the child before a line of student code runs:

   - ``rlimits``: RLIMIT_AS (torch itself needs about 768 MB), CPU, FSIZE, NOFILE, CORE 0,
     NPROC (root ignores NPROC, hence ``no_fork`` below);
   - ``uid``: setuid/setgid to ``nobody`` (65534) after setup, which needs a grader started as
     root (Docker, sudo); a grader running as a normal user runs student code as that same
     user, so this layer is off there (seccomp and Landlock still stop signals to the grader);
   - ``network``: a network namespace with no interface up (the zygote enters it at start, as
     root) and seccomp refusing ``socket``/``socketpair`` (Landlock does not cover UDP);
   - ``filesystem``: Landlock (ABI >= 1) grants reading only the Python installation, system
     library folders and private copies of the submission and support modules, and writing
     only a fresh private temporary working folder. ``reference/``, hidden tests, the output
     folder, other students' files and ``/proc`` (so ``/proc/<parent>``) stay out of view;
   - ``no_fork``: seccomp refuses fork, vfork, clone without CLONE_THREAD, execve, ptrace,
     process_vm_readv/writev, setsid/setpgid, unshare/setns/mount and similar, and signals to
     any process but itself;
   - ``pid_namespace``: the student's process is PID 1 of its own PID namespace, so
     ``kill(-1, 9)`` reaches nothing else and everything in it dies with it;
   - ``no_new_privs`` (PR_SET_NO_NEW_PRIVS) and ``not_dumpable`` (PR_SET_DUMPABLE 0);
   - ``signals_scoped``: Landlock ABI >= 6 also stops signals to processes outside the sandbox.

4. Traps: bubblewrap run as real root keeps its capabilities (the sandboxed code remounted ``/``
   read-write), so no bubblewrap here; root ignores RLIMIT_NPROC; torch needs RLIMIT_AS of at
   least ~768 MB; Landlock does not cover UDP (seccomp must).
5. Only the parent scores. It accepts from the child only ``np.load(..., allow_pickle=False)``
   arrays of a numeric dtype and compares them with expected values the child never sees. Exit
   codes and output are feedback, never parsed as results. Output files are written by the
   parent, after the child is reaped, into a folder the child cannot see.
6. Fail closed: :func:`probe` tries each layer in a fresh child; ``grade`` and ``check --all``
   refuse to run untrusted code when a layer of :data:`REQUIRED` is missing, unless the user
   explicitly accepts the risk (``--unsafe-no-sandbox``). A student's own ``check`` of visible
   tests may run with fewer layers and says which.

Seccomp is a raw BPF filter installed with ``prctl(PR_SET_SECCOMP)`` through ctypes (x86_64 and
aarch64); Landlock uses its three syscalls through ctypes. Neither needs a package.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import resource
import signal
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cvquiz.errors import SandboxError
from cvquiz.grade.protocol import Limits

# Every layer, in the order the probe reports them.
LAYERS = ("process", "rlimits", "uid", "network", "filesystem", "no_fork", "pid_namespace",
          "no_new_privs", "not_dumpable", "signals_scoped")
# What ``grade`` and ``check --all`` need (issue #15, "Fail closed").
REQUIRED = ("process", "rlimits", "uid", "network", "filesystem")

# "required": refuse when a required layer is missing; "available": use what works and say
# which layers are off (a student's own check); "unsafe": a separate process, rlimits and (for
# a root grader) the switch to nobody only.
Policy = Literal["required", "available", "unsafe"]

NOBODY = 65534

LINUX = sys.platform.startswith("linux")
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _prctl(*args: int) -> bool:
    """prctl(2); False where it does not exist (macOS: a student's own check has fewer layers)."""
    if not LINUX:
        return False
    return _libc.prctl(*[ctypes.c_ulong(a) if isinstance(a, int) else a for a in args]) == 0


PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000


def _errno_text() -> str:
    e = ctypes.get_errno()
    return f"{errno.errorcode.get(e, e)}: {os.strerror(e)}"


# --------------------------------------------------------------------------- namespaces

def enter_network_namespace() -> bool:
    """Move this process (the zygote) into a new network namespace with no interface up."""
    if not LINUX or os.geteuid() != 0:
        return False
    return _libc.unshare(CLONE_NEWNET) == 0


_OWN_PIDNS: int | None = None


def unshare_pid_namespace() -> bool:
    """The next child of this process becomes PID 1 of a new PID namespace.

    Call :func:`restore_pid_namespace` right after the fork: a process can unshare a PID
    namespace only while its children's namespace is its own.
    """
    global _OWN_PIDNS
    if not LINUX or os.geteuid() != 0:
        return False
    if _OWN_PIDNS is None:
        _OWN_PIDNS = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    return _libc.unshare(CLONE_NEWPID) == 0


def restore_pid_namespace() -> None:
    """Make this process's next children members of its own PID namespace again."""
    if _OWN_PIDNS is not None and _libc.setns(_OWN_PIDNS, CLONE_NEWPID) != 0:
        raise SandboxError(f"could not return to the worker's PID namespace: {_errno_text()}")


# --------------------------------------------------------------------------- rlimits

def apply_rlimits(limits: Limits) -> None:
    """Set the job's resource limits on this process (soft = hard, so the student cannot raise them)."""
    def setl(which: int, value: int) -> None:
        resource.setrlimit(which, (value, value))

    setl(resource.RLIMIT_AS, limits.memory_mb << 20)  # the whole process, torch's ~600 MB included
    # SIGXCPU at the soft limit would be catchable; soft = hard means SIGKILL.
    setl(resource.RLIMIT_CPU, max(1, int(limits.cpu_s)))
    setl(resource.RLIMIT_FSIZE, limits.file_size_mb << 20)
    setl(resource.RLIMIT_NOFILE, 64)
    setl(resource.RLIMIT_CORE, 0)
    # RLIMIT_NPROC is not used: root ignores it and for a normal user it counts every process
    # the user has; seccomp (``no_fork``) and the PID namespace stop forks instead.


# --------------------------------------------------------------------------- uid

def drop_privileges() -> bool:
    """Become ``nobody`` when root. True only when the uid changed: a grader that is not root
    runs student code as its own user, which is no dropped uid (seccomp and Landlock then keep
    the student from signalling the grader's processes)."""
    if os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    return os.getresuid() == (NOBODY,) * 3 and os.getresgid() == (NOBODY,) * 3


def set_no_new_privs() -> bool:
    return _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def set_not_dumpable() -> bool:
    return _prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def set_parent_death_signal() -> bool:
    return _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


# --------------------------------------------------------------------------- Landlock

_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446  # same numbers on every architecture
_LL_VERSION = 1
_LL_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE = 1 << 14
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | (1 << 15)
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_ALL = 0b11  # bind and connect TCP (ABI >= 4)
_SCOPE_ALL = 0b11  # abstract unix sockets and signals (ABI >= 6)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is unavailable."""
    if not LINUX:
        return 0
    v = _libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_LL_VERSION))
    return max(0, int(v))


@dataclass
class View:
    """What the student's process may see of the file system."""

    read: list[Path] = field(default_factory=list)  # folders or files, read (and list) only
    list_only: list[Path] = field(default_factory=list)  # folders whose names may be listed
    write: list[Path] = field(default_factory=list)  # folders with full access (the work folder)


def landlock_ruleset(view: View) -> int | None:
    """A Landlock ruleset fd granting ``view`` (built once, in the zygote); None without Landlock.

    Rules bind to inodes, so a zygote reuses one ruleset for every child by refilling the same
    submission, support and work folders; each child applies it with :func:`restrict_self`.
    """
    abi = landlock_abi()
    if abi < 1:
        return None
    fs = _FS_BY_ABI[max(k for k in _FS_BY_ABI if k <= abi)]
    attr = struct.pack("=QQQ", fs, _NET_ALL if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    buf = ctypes.create_string_buffer(attr[:size], size)
    rfd = int(_libc.syscall(_LL_CREATE, buf, ctypes.c_size_t(size), ctypes.c_uint32(0)))
    if rfd < 0:
        return None
    rights = [(p, _FS_READ_FILE | _FS_READ_DIR | _FS_EXECUTE) for p in view.read]
    rights += [(p, _FS_READ_DIR) for p in view.list_only]
    rights += [(p, fs) for p in view.write]
    for path, access in rights:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a folder that does not exist here grants nothing
        try:
            if not os.path.isdir(path):
                access &= _FS_FILE_RIGHTS
            rule = ctypes.create_string_buffer(struct.pack("=Qi", access & fs, pfd), 12)
            if _libc.syscall(_LL_ADD_RULE, ctypes.c_int(rfd), ctypes.c_int(_LL_RULE_PATH_BENEATH),
                             rule, ctypes.c_uint32(0)) != 0:
                os.close(rfd)
                raise SandboxError(f"Landlock refused a rule for {path}: {_errno_text()}")
        finally:
            os.close(pfd)
    return rfd


def restrict_self(ruleset_fd: int | None) -> tuple[bool, bool]:
    """Apply a ruleset to this process; returns (filesystem restricted, signals scoped)."""
    if ruleset_fd is None:
        return False, False
    if _libc.syscall(_LL_RESTRICT, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)) != 0:
        return False, False
    return True, landlock_abi() >= 6


SYSTEM_READ = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64", "/etc/ld.so.cache",
               "/etc/localtime", "/dev/null", "/dev/urandom", "/dev/zero")


def hidden_paths(extra: tuple[Path, ...] = ()) -> set[Path]:
    """What no student may read even where it lies inside an allowed folder: the engine, the
    built-in course (a checkout's ``reference/`` and ``questions/``, or ``cvquiz_course`` in
    site-packages), editable-install hooks, and ``extra`` (a course, hidden tests, the output
    folder, the submissions folder)."""
    engine = Path(__file__).resolve().parent.parent
    found = {engine, engine.parent / "reference", engine.parent / "questions"}
    paths = sysconfig.get_paths()
    for key in ("purelib", "platlib"):
        site = Path(paths[key])
        if site.is_dir():
            for entry in site.iterdir():
                if entry.name.split(".")[0].split("-")[0] in _HIDDEN_PACKAGES or \
                        entry.name.startswith(("_editable_impl_cvquiz", "__editable__")):
                    found.add(entry)
    found |= {Path(p) for p in extra}
    return {_resolved(p) for p in found}


def python_view(hidden: set[Path] | None = None) -> View:
    """The Python installation and system libraries, minus every ``hidden`` path.

    An allowed folder that contains a hidden path is not granted whole: its names may be listed
    and each of its entries is granted on its own, down to the hidden path, which is left out.
    """
    hidden = hidden_paths() if hidden is None else hidden
    paths = sysconfig.get_paths()
    roots = [Path(p) for p in SYSTEM_READ]
    roots += [Path(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    roots.append(Path(sys.executable).resolve().parent)
    view = View(write=[Path("/dev/null")])  # students silence output by writing there
    seen: set[Path] = set()
    for root in roots:
        _grant(_resolved(root), hidden, view, seen)
    return view


def _grant(path: Path, hidden: set[Path], view: View, seen: set[Path]) -> None:
    if path in seen or path in hidden or not os.path.lexists(path):
        return
    seen.add(path)
    inside = [h for h in hidden if path in h.parents]
    if not inside:
        view.read.append(path)
        return
    view.list_only.append(path)
    for child in sorted(path.iterdir()):
        target = _resolved(child)
        if target != child and (target in hidden or any(target in h.parents for h in hidden)):
            continue  # a link into (or above) something hidden
        _grant(child, hidden, view, seen)


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:
        return Path(path)


_HIDDEN_PACKAGES = {"cvquiz", "cvquiz_course"}


def readable_by_others(path: Path) -> bool:
    """True when a user other than the owner (``nobody``) can reach and read ``path``."""
    path = Path(path).resolve()
    try:
        for folder in [*reversed(path.parents), path]:
            if not os.stat(folder).st_mode & 0o001:
                return False
        return bool(os.stat(path).st_mode & 0o004)
    except OSError:
        return False


# --------------------------------------------------------------------------- seccomp

_ARCH = {
    # machine: (AUDIT_ARCH, syscall numbers by name)
    "x86_64": (0xC000003E, dict(
        socket=41, socketpair=53, fork=57, vfork=58, execve=59, execveat=322, ptrace=101,
        process_vm_readv=310, process_vm_writev=311, unshare=272, setns=308, mount=165,
        umount2=166, pivot_root=155, chroot=161, bpf=321, perf_event_open=298, keyctl=250,
        add_key=248, request_key=249, userfaultfd=323, setsid=112, setpgid=109, kexec_load=246,
        init_module=175, finit_module=313, reboot=169, io_uring_setup=425, kcmp=312,
        open_by_handle_at=304, pidfd_getfd=438, pidfd_open=434, pidfd_send_signal=424,
        tkill=200, rt_sigqueueinfo=129, rt_tgsigqueueinfo=297, clone=56, clone3=435, kill=62,
        tgkill=234)),
    "aarch64": (0xC00000B7, dict(
        socket=198, socketpair=199, execve=221, execveat=281, ptrace=117,
        process_vm_readv=270, process_vm_writev=271, unshare=97, setns=268, mount=40,
        umount2=39, pivot_root=41, chroot=51, bpf=280, perf_event_open=241, keyctl=219,
        add_key=217, request_key=218, userfaultfd=282, setsid=157, setpgid=154, kexec_load=104,
        init_module=105, finit_module=273, reboot=142, io_uring_setup=425, kcmp=272,
        open_by_handle_at=265, pidfd_getfd=438, pidfd_open=434, pidfd_send_signal=424,
        tkill=130, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240, clone=220, clone3=435, kill=129,
        tgkill=131)),
}
_RET_KILL, _RET_ALLOW = 0x80000000, 0x7FFF0000
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(pid: int) -> list[tuple[int, int, int, int]] | None:
    """The BPF program: kill on a foreign architecture, EPERM for every process-making,
    network or privilege syscall, ENOSYS for clone3 (so threads fall back to clone), allow
    clone only with CLONE_THREAD, and signals only to the process itself (``kill`` to ``pid``
    or its own group 0, ``tgkill`` to ``pid``). None on an architecture this module does not
    know."""
    arch = _ARCH.get(platform.machine())
    if arch is None or not LINUX:
        return None
    audit, nr = arch
    eperm, enosys = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    prog = [(_LD_ABS, 0, 0, 4), (_JEQ, 1, 0, audit), (_RET, 0, 0, _RET_KILL), (_LD_ABS, 0, 0, 0)]
    if platform.machine() == "x86_64":
        prog += [(_JGE, 0, 1, 0x40000000), (_RET, 0, 0, _RET_KILL)]  # the x32 ABI
    for name, number in nr.items():
        if name in ("clone", "clone3", "kill", "tgkill"):
            continue
        prog += [(_JEQ, 0, 1, number), (_RET, 0, 0, eperm)]
    prog += [(_JEQ, 0, 1, nr["clone3"]), (_RET, 0, 0, enosys)]
    # kill(pid | 0, sig) and tgkill(pid, tid, sig) only; the low 32 bits of arg 0 hold the pid.
    prog += [(_JEQ, 0, 5, nr["kill"]), (_LD_ABS, 0, 0, 16), (_JEQ, 2, 0, pid), (_JEQ, 1, 0, 0),
             (_RET, 0, 0, eperm), (_RET, 0, 0, _RET_ALLOW), (_LD_ABS, 0, 0, 0)]
    prog += [(_JEQ, 0, 4, nr["tgkill"]), (_LD_ABS, 0, 0, 16), (_JEQ, 1, 0, pid),
             (_RET, 0, 0, eperm), (_RET, 0, 0, _RET_ALLOW), (_LD_ABS, 0, 0, 0)]
    prog += [(_JEQ, 0, 4, nr["clone"]), (_LD_ABS, 0, 0, 16), (_JSET, 0, 1, CLONE_THREAD),
             (_RET, 0, 0, _RET_ALLOW), (_RET, 0, 0, eperm)]
    prog += [(_RET, 0, 0, _RET_ALLOW)]
    return prog


def install_seccomp(pid: int) -> bool:
    """Install the filter on this (single-threaded) process ``pid``; needs no_new_privs first."""
    prog = seccomp_program(pid)
    if prog is None:
        return False
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), ctypes.cast(filters, ctypes.POINTER(_SockFilter)))
    return _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)


# --------------------------------------------------------------------------- all together

def confine(ruleset_fd: int | None, workdir: Path, limits: Limits, policy: Policy,
            netns: bool) -> dict[str, bool]:
    """Apply every layer to this process (a fresh child, single-threaded, still root if the
    grader is). ``ruleset_fd`` is the zygote's Landlock ruleset (:func:`landlock_ruleset`);
    ``netns`` says whether the zygote entered its own network namespace. Returns
    which layers are on; raises :class:`SandboxError` when ``policy`` is "required" and one of
    :data:`REQUIRED` could not be applied."""
    on = dict.fromkeys(LAYERS, False)
    on["process"] = True
    on["pid_namespace"] = os.getpid() == 1
    on["network"] = netns
    os.chdir(workdir)
    apply_rlimits(limits)
    on["rlimits"] = True
    if policy != "unsafe":
        on["no_new_privs"] = set_no_new_privs()
        on["filesystem"], on["signals_scoped"] = restrict_self(ruleset_fd)
    on["uid"] = drop_privileges()
    if policy != "unsafe":
        on["not_dumpable"] = set_not_dumpable()
        on["no_fork"] = on["no_new_privs"] and install_seccomp(os.getpid())
        on["network"] = on["network"] or on["no_fork"]  # the same filter refuses sockets
    if policy == "required":
        gone = [name for name in REQUIRED if not on[name]]
        if gone:
            raise SandboxError("refusing to run student code: isolation layer(s) missing: "
                               + ", ".join(gone))
    return on


def missing(layers: dict[str, bool]) -> list[str]:
    """The required layers that are off."""
    return [name for name in REQUIRED if not layers.get(name, False)]


LAYER_TEXT = {
    "process": "each submission runs in a process of its own, never the grader's",
    "rlimits": "limits on memory, CPU time, file size and open files; no core dumps",
    "uid": "runs as nobody, not as the grader's user (needs a grader started as root)",
    "network": "no network: a network namespace and/or seccomp refusing sockets",
    "filesystem": "sees only Python, its own files and a private work folder (Landlock)",
    "no_fork": "cannot start processes or programs, trace or read other processes (seccomp)",
    "pid_namespace": "PID 1 of its own PID namespace: sees and signals no other process",
    "no_new_privs": "cannot gain privileges (no_new_privs)",
    "not_dumpable": "its memory cannot be read through /proc (not dumpable)",
    "signals_scoped": "cannot signal processes outside its sandbox (Landlock ABI 6)",
}


def describe(layers: dict[str, bool]) -> str:
    """One line per layer, ``on``/``off`` and what it does; required layers are marked."""
    lines = []
    for name in LAYERS:
        state = "on " if layers.get(name) else "off"
        need = " (required)" if name in REQUIRED else ""
        lines.append(f"{state}  {name:<15} {LAYER_TEXT[name]}{need}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- probe

_PROBE_CACHE: dict[str, dict[str, bool]] = {}


def probe(refresh: bool = False, policy: Policy = "available") -> dict[str, bool]:
    """Try every layer in a fresh child started by exec; report each as on or off.

    The child confines itself exactly as a student's process is confined, then *attempts* what
    each layer forbids: connect over TCP and send over UDP to listeners this process opened on
    127.0.0.1, read a file outside its view and ``/proc/1/status``, fork; a layer is on only if
    the attempt failed. The result is cached for the life of the process. ``policy`` is the
    confinement the child applies: "available" (what a job gets) or "unsafe" (none, so that a
    test can see the probe report layers off).
    """
    if policy in _PROBE_CACHE and not refresh:
        return dict(_PROBE_CACHE[policy])
    with tempfile.TemporaryDirectory(prefix="cvquiz-probe-") as tmp, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        secret = Path(tmp) / "secret.txt"
        secret.write_text("not for students")
        os.chmod(tmp, 0o755)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(1)
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        code = "from cvquiz.grade.sandbox import _probe_child; _probe_child()"
        argv = [sys.executable, "-c", code, str(secret), str(tcp.getsockname()[1]),
                str(udp.getsockname()[1]), policy]
        try:
            out = subprocess.run(argv, capture_output=True, timeout=30, env=worker_environment(),
                                 text=True)
            found = json.loads(out.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError, OSError):
            found = {}
        try:
            udp.recv(16)
            found["network"] = False  # a datagram got through
        except OSError:
            pass
    _PROBE_CACHE[policy] = {name: bool(found.get(name, False)) for name in LAYERS}
    return dict(_PROBE_CACHE[policy])


def worker_environment() -> dict[str, str]:
    """The environment of an exec'd worker: cvquiz importable, nothing of the grader's own."""
    engine = str(Path(__file__).resolve().parent.parent.parent)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": engine,
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONHASHSEED": "0"}
    return env


def _attempt(fn) -> bool:
    """True when ``fn`` raised OSError (the layer held)."""
    try:
        fn()
    except OSError:
        return True
    return False


def _probe_child() -> None:  # pragma: no cover - runs in the exec'd probe process
    secret, tcp_port, udp_port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    policy = sys.argv[4]
    netns = enter_network_namespace() if policy != "unsafe" else False
    r, w = os.pipe()
    pidns = policy != "unsafe" and unshare_pid_namespace()
    pid = os.fork()
    if pid and pidns:
        restore_pid_namespace()
    if pid == 0:
        os.close(r)
        try:
            os.setsid()
            grader_uid = os.getuid()
            work = secret.parent / "work"
            work.mkdir()
            os.chown(work, NOBODY if os.geteuid() == 0 else os.getuid(), -1)
            view = python_view()
            view.write.append(work)
            ruleset = landlock_ruleset(view) if policy != "unsafe" else None
            on = confine(ruleset, work, Limits(), policy, netns)
            seen = {
                "process": on["process"],
                "rlimits": resource.getrlimit(resource.RLIMIT_AS)[1] == Limits().memory_mb << 20,
                "uid": os.getuid() != grader_uid and os.geteuid() != grader_uid,
                "network": _attempt(lambda: _tcp(tcp_port)) and _attempt(lambda: _udp(udp_port)),
                "filesystem": _attempt(secret.read_text) and _attempt(
                    lambda: Path("/proc/1/status").read_text()),
                "no_fork": _attempt(_fork),
                "pid_namespace": os.getpid() == 1,
                "no_new_privs": on["no_new_privs"],
                "not_dumpable": on["not_dumpable"],
                "signals_scoped": on["signals_scoped"],
            }
            os.write(w, json.dumps(seen).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    print(data.decode() or "{}")


def _tcp(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(("127.0.0.1", port))


def _udp(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"x", ("127.0.0.1", port))


def _fork() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
