"""The isolation layers hold: attack submissions score nothing and touch nothing.

Each attack runs through the real executor with the layers this machine offers; an attack whose
layer the probe reports off is skipped (never run unconfined). The hostile-fixture suite of issue
#15 builds on these. Every call has a short wall limit.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cvquiz.errors import SandboxError
from cvquiz.grade import executor as executor_module
from cvquiz.grade import sandbox
from cvquiz.grade.executor import LocalExecutor
from cvquiz.grade.protocol import Arg, Call, Job, JobResult, Limits

ROOT = Path(__file__).resolve().parents[2]
X = np.arange(4.0)
LAYERS = sandbox.probe()


def needs(*layers: str):
    off = [name for name in layers if not LAYERS[name]]
    return pytest.mark.skipif(bool(off), reason=f"isolation layer(s) off here: {', '.join(off)}")


@pytest.fixture(scope="module")
def executor():
    with LocalExecutor(workers=1, sandbox="available") as ex:
        yield ex


def attack(executor, tmp_path: Path, source: str, *args: Arg, time_limit_s: float = 2.0,
           limits: Limits | None = None, n: int = 1) -> JobResult:
    sub = tmp_path / "submission"
    sub.mkdir(exist_ok=True)
    (sub / "hw.py").write_text(textwrap.dedent(source))
    calls = tuple(Call(f"f[{k}]", "hw", "f", args or (Arg("numpy", X),), time_limit_s=time_limit_s)
                  for k in range(n))
    (result,) = list(executor.run([Job("attacker", sub, calls, limits=limits or Limits())]))
    return result


@pytest.fixture
def open_dir():
    """A folder any local user can reach (pytest's own tmp folders are 0700 for root):
    what is put here is hidden from the student by the sandbox alone."""
    folder = Path(tempfile.mkdtemp(prefix="cvquiz-test-open-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def secret_file(folder: Path, name: str = "secret.txt") -> Path:
    path = folder / name
    path.write_text("expected outputs")
    os.chmod(path, 0o644)
    return path


# --------------------------------------------------------------------------- the probe

def test_the_probe_reports_every_layer():
    assert set(LAYERS) == set(sandbox.LAYERS)
    assert LAYERS["process"] and LAYERS["rlimits"]


def test_the_probe_sees_layers_off_when_they_are_not_applied():
    bare = sandbox.probe(policy="unsafe")
    assert bare["process"] and bare["rlimits"]
    assert not bare["filesystem"] and not bare["no_fork"] and not bare["pid_namespace"]
    assert not bare["network"]


@needs(*sandbox.REQUIRED)
def test_this_machine_offers_every_required_layer():
    assert sandbox.missing(LAYERS) == []


@needs(*sandbox.REQUIRED)
def test_a_required_sandbox_grades_with_every_required_layer_on(tmp_path):
    with LocalExecutor(workers=1, sandbox="required") as strict:
        r = attack(strict, tmp_path, "def f(x):\n    return x * 2\n")
    assert r.calls[0].status == "ok" and not r.error
    assert sandbox.missing(dict(r.layers)) == []


def test_a_required_sandbox_refuses_to_start_when_a_layer_is_missing(monkeypatch):
    monkeypatch.setattr(executor_module, "_probe", lambda: dict(LAYERS, filesystem=False))
    with pytest.raises(SandboxError) as err:
        LocalExecutor(sandbox="required")
    assert "filesystem" in str(err.value) and "--unsafe-no-sandbox" in str(err.value)


def test_the_layers_are_described_on_and_off_with_the_required_ones_marked():
    text = sandbox.describe(dict.fromkeys(sandbox.LAYERS, True) | {"filesystem": False})
    lines = text.splitlines()
    assert len(lines) == len(sandbox.LAYERS)
    assert lines[sandbox.LAYERS.index("filesystem")].startswith("off  filesystem")
    assert lines[0].startswith("on   process") and lines[0].endswith("(required)")
    assert not lines[sandbox.LAYERS.index("no_fork")].endswith("(required)")


def test_each_result_names_the_layers_in_force(executor, tmp_path):
    r = attack(executor, tmp_path, "def f(x):\n    return x\n")
    assert r.calls[0].status == "ok"
    assert dict(r.layers) == LAYERS


# --------------------------------------------------------------------------- files

@needs("filesystem")
@pytest.mark.parametrize("target", ["reference/detection.py", "questions/syllabus.yaml",
                                    "cvquiz/grade/compare.py", "pyproject.toml"],
                         ids=["reference", "hidden tests", "the grader's source", "repository"])
def test_the_course_and_the_grader_are_out_of_view(executor, tmp_path, target):
    path = ROOT / target
    r = attack(executor, tmp_path, f"def f(x):\n    return len(open({str(path)!r}).read())\n")
    assert r.calls[0].status == "crash"
    assert "PermissionError" in r.calls[0].detail or "FileNotFoundError" in r.calls[0].detail


def test_only_the_python_files_of_the_support_folder_are_in_view(executor, tmp_path):
    support = tmp_path / "support"
    support.mkdir()
    (support / "helpers.py").write_text("SCALE = 3\n")
    (support / "assignment.yaml").write_text("hidden: tests\n")
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "hw.py").write_text(textwrap.dedent("""
        import os, helpers
        def f(x):
            here = os.path.dirname(helpers.__file__)
            return helpers.SCALE * len(os.listdir(here)) + os.path.exists(
                os.path.join(here, "assignment.yaml"))
        """))
    (r,) = executor.run([Job("s", sub, (Call("f", "hw", "f", (Arg("numpy", X),)),),
                             support_dir=support)])
    assert r.calls[0].status == "ok" and int(r.calls[0].value) == 3


INSTALLED_COURSE = Path(sandbox.sysconfig.get_paths()["purelib"]) / "cvquiz_course"


@needs("filesystem")
@pytest.mark.skipif(not (INSTALLED_COURSE / "reference").is_dir(),
                    reason="no cvquiz_course in site-packages here")
def test_an_installed_course_is_out_of_view_while_site_packages_stays_importable(executor,
                                                                                 tmp_path):
    target = next((INSTALLED_COURSE / "reference").glob("*.py"))
    r = attack(executor, tmp_path, f"""
        import os, scipy
        def f(x):
            assert "cvquiz_course" in os.listdir({str(INSTALLED_COURSE.parent)!r})
            return len(open({str(target)!r}).read())
        """)
    assert r.calls[0].status == "crash" and "PermissionError" in r.calls[0].detail


def test_a_hidden_path_is_carved_out_of_an_allowed_folder(tmp_path):
    (tmp_path / "lib" / "site" / "course" / "reference").mkdir(parents=True)
    (tmp_path / "lib" / "site" / "numpy").mkdir()
    (tmp_path / "lib" / "other").mkdir()
    (tmp_path / "lib" / "site" / "link").symlink_to(tmp_path / "lib" / "site" / "course")
    hidden = {tmp_path / "lib" / "site" / "course"}
    view = sandbox.View()
    sandbox._grant(tmp_path / "lib", hidden, view, set())
    assert sorted(view.list_only) == [tmp_path / "lib", tmp_path / "lib" / "site"]
    assert sorted(view.read) == [tmp_path / "lib" / "other", tmp_path / "lib" / "site" / "numpy"]


def test_the_engine_and_the_built_in_course_are_always_hidden():
    hidden = sandbox.hidden_paths()
    assert (ROOT / "cvquiz").resolve() in hidden and (ROOT / "reference").resolve() in hidden
    view = sandbox.python_view(hidden)
    for path in view.read:
        assert not any(h == path or h.is_relative_to(path) for h in hidden), path


@needs("filesystem")
def test_another_students_files_are_out_of_view(executor, tmp_path, open_dir):
    other = secret_file(open_dir, "other_student.py")
    r = attack(executor, tmp_path, f"""
        import os
        def f(x):
            return len(open({str(other)!r}).read())
        """)
    assert r.calls[0].status == "crash" and "PermissionError" in r.calls[0].detail


@needs("filesystem")
def test_the_parents_proc_entries_are_out_of_view(executor, tmp_path):
    r = attack(executor, tmp_path, f"""
        def f(x):
            return len(open("/proc/{os.getpid()}/cmdline", "rb").read())
        """)
    assert r.calls[0].status == "crash"


@needs("filesystem")
def test_a_file_written_outside_the_work_folder_never_appears(executor, tmp_path, open_dir):
    out = open_dir / "out"
    out.mkdir()
    os.chmod(out, 0o777)  # only the sandbox stands in the way
    r = attack(executor, tmp_path, f"""
        def f(x):
            open("results.json", "w").write("{{}}")  # its own work folder: allowed
            open({str(out / 'results.json')!r}, "w").write('{{"score": 100}}')
            return x
        """)
    assert r.calls[0].status == "crash" and "PermissionError" in r.calls[0].detail
    assert not (out / "results.json").exists()


def test_the_work_folder_temp_files_and_dev_null_are_usable(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os, tempfile
        def f(x):
            with open(os.devnull, "w") as null:
                print("quiet", file=null)
            with tempfile.NamedTemporaryFile("w+") as t:
                t.write("scratch")
                t.flush()
                t.seek(0)
                assert t.read() == "scratch"
            with open("notes.txt", "w") as fh:
                fh.write("mine")
            return len(os.listdir("."))
        """)
    assert r.calls[0].status == "ok" and int(r.calls[0].value) == 1


@needs("filesystem")
def test_the_submission_folder_cannot_be_changed(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os
        def f(x):
            os.remove(__file__)
            return x
        """)
    assert r.calls[0].status == "crash"
    assert (tmp_path / "submission" / "hw.py").exists()


# --------------------------------------------------------------------------- network

@needs("network")
def test_a_tcp_connection_to_localhost_fails(executor, tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.2)
        port = server.getsockname()[1]
        r = attack(executor, tmp_path, f"""
            import socket
            def f(x):
                s = socket.create_connection(("127.0.0.1", {port}), timeout=1)
                s.sendall(b"hidden tests")
                return x
            """)
        assert r.calls[0].status == "crash"
        with pytest.raises(socket.timeout):
            server.accept()


@needs("network")
def test_a_udp_datagram_to_localhost_never_arrives(executor, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(0.2)
        port = server.getsockname()[1]
        r = attack(executor, tmp_path, f"""
            import socket
            def f(x):
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {port}))
                return x
            """)
        assert r.calls[0].status == "crash"
        with pytest.raises(socket.timeout):
            server.recv(16)


# --------------------------------------------------------------------------- processes

@needs("no_fork")
@pytest.mark.parametrize("body", [
    "os.fork()",
    "subprocess.run(['true'])",
    "os.execv('/bin/true', ['true'])",
], ids=["fork", "subprocess", "exec"])
def test_the_student_cannot_start_processes(executor, tmp_path, body):
    r = attack(executor, tmp_path, f"import os, subprocess\ndef f(x):\n    {body}\n    return x\n")
    assert r.calls[0].status == "crash"
    assert "PermissionError" in r.calls[0].detail


@needs("no_fork")
def test_os_system_runs_nothing(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os
        def f(x):
            return os.system("echo pwned > pwned.txt")
        """)
    assert r.calls[0].status == "ok" and r.calls[0].value != 0


@needs("uid", "pid_namespace")
def test_killing_the_parent_or_the_worker_hurts_nobody(executor, tmp_path):
    zygote = executor._zygotes[0].proc.pid if executor._zygotes else 0
    r = attack(executor, tmp_path, f"""
        import os, signal
        def f(x):
            for pid in (os.getppid(), {os.getpid()}, {zygote}):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return x
        """)
    assert r.calls[0].status == "ok"
    again = attack(executor, tmp_path, "def f(x):\n    return x + 1\n")
    np.testing.assert_array_equal(again.calls[0].value, X + 1)


@needs("no_fork")
def test_the_student_cannot_signal_the_grader(executor, tmp_path):
    r = attack(executor, tmp_path, f"""
        import os
        def f(x):
            os.kill({os.getpid()}, 0)  # signal 0: only the permission check
            return x
        """)
    assert r.calls[0].status == "crash" and "PermissionError" in r.calls[0].detail


def test_the_student_may_still_signal_itself(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os, signal
        def f(x):
            signal.signal(signal.SIGUSR1, lambda *a: None)
            os.kill(os.getpid(), signal.SIGUSR1)
            signal.raise_signal(signal.SIGUSR1)
            return x
        """)
    assert r.calls[0].status == "ok"


# Run only where the probe confirmed a PID namespace and a dropped uid (never unconfined).
@needs("pid_namespace", "uid")
def test_kill_minus_one_reaches_nothing_outside_the_submission(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os, signal
        def f(x):
            os.kill(-1, signal.SIGKILL)
            return x
        """)
    assert r.calls[0].status in ("ok", "crash", "killed")
    again = attack(executor, tmp_path, "def f(x):\n    return x * 3\n")
    np.testing.assert_array_equal(again.calls[0].value, X * 3)


@needs("pid_namespace", "uid", "no_fork")
def test_a_fork_bomb_is_stopped_at_the_first_fork(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import os
        def f(x):
            while True:
                os.fork()
        """, time_limit_s=1.0)
    assert r.calls[0].status == "crash" and "PermissionError" in r.calls[0].detail


def test_threads_left_running_do_not_outlive_the_job(executor, tmp_path):
    r = attack(executor, tmp_path, """
        import threading, time
        def spin():
            while True:
                time.sleep(0.01)
        def f(x):
            threading.Thread(target=spin).start()
            return x
        """, n=2)
    assert [c.status for c in r.calls] == ["ok", "ok"]


@needs("no_fork")
def test_nothing_the_submission_started_is_left_behind(executor, tmp_path):
    before = _nobody_processes()
    attack(executor, tmp_path, """
        import os, threading, time
        def f(x):
            threading.Thread(target=time.sleep, args=(60,), daemon=False).start()
            return x
        """)
    assert _nobody_processes() <= before


def _nobody_processes() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == sandbox.NOBODY:
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


# --------------------------------------------------------------------------- memory and secrets

# Held by the grader (this process) before any worker starts: a zygote forked from here would
# carry it into every child; one started by exec cannot.
GRADER_SECRET = {"expected": [np.full(32, 13579.2468), b"expected-output-" + b"7" * 16]}

# Student code that counts objects reachable from the GC's containers holding a float64 array
# with MARKER or bytes containing the marker text (arrays and bytes are not tracked themselves).
SEARCH = """
import gc, numpy as np
KEEP = []
def count(marker, text):
    text = text.encode()
    hits = 0
    for obj in gc.get_objects():
        for item in gc.get_referents(obj):
            if type(item) is np.ndarray and item.dtype == np.float64 and (item == marker).any():
                hits += 1
            elif type(item) is bytes and text in item:
                hits += 1
    return hits
def f(x, marker, text):
    return count(marker, text)
def plant(x, marker, text):
    KEEP.append([np.full(8, marker), b"<" + text.encode() + b">"])
    return count(marker, text)
"""


def search(executor, tmp_path, function: str, marker: float, text: bytes) -> int:
    sub = tmp_path / "submission"
    sub.mkdir(exist_ok=True)
    (sub / "hw.py").write_text(SEARCH)
    args = (Arg("numpy", X), Arg("python", marker), Arg("python", text.decode()))
    (r,) = executor.run([Job("searcher", sub, (Call("f", "hw", function, args),))])
    assert r.calls[0].status == "ok", r.calls[0].detail
    return int(r.calls[0].value)


def test_the_memory_search_finds_what_the_submission_itself_holds(executor, tmp_path):
    # The control for the two tests below: the search does see planted values.
    assert search(executor, tmp_path, "plant", 24680.1357, b"planted-") >= 2


def test_the_student_finds_nothing_of_the_graders_memory(tmp_path):
    with LocalExecutor(workers=1, sandbox="available") as fresh:
        assert search(fresh, tmp_path, "f", 13579.2468, b"expected-output-7777") == 0


def test_a_later_submission_finds_nothing_of_an_earlier_ones_answers(executor, tmp_path):
    marker = 987654.321
    first = attack(executor, tmp_path, f"""
        import numpy as np
        def f(x):
            return np.full(64, {marker}), (np.full(3, {marker}),)
        """)
    assert first.calls[0].status == "ok"
    assert search(executor, tmp_path, "f", marker, b"never-there") == 0


@needs("rlimits")
def test_a_huge_file_on_disk_is_stopped_by_the_file_size_limit(executor, tmp_path):
    r = attack(executor, tmp_path, """
        def f(x):
            with open("big.bin", "wb") as fh:
                for _ in range(8):
                    fh.write(b"0" * (1 << 20))
            return x
        """, limits=Limits(file_size_mb=4))
    assert r.calls[0].status in ("crash", "killed")
