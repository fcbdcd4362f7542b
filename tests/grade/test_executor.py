"""The local executor: one submission per confined child, statuses and values as the protocol says.

Fixture submissions are written into tmp folders; each job runs through the real zygote.
"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cvquiz.grade.executor import LocalExecutor, read_records
from cvquiz.grade.protocol import Arg, Call, Job, JobResult, Limits
from cvquiz.grade.child import RECORD

X = np.array([[1.0, 2.0], [3.0, 4.0]])


@pytest.fixture(scope="module")
def executor():
    with LocalExecutor(workers=2, sandbox="available") as ex:
        yield ex


def submit(executor, tmp_path: Path, files: dict[str, str], calls, limits: Limits | None = None,
           support: dict[str, str] | None = None) -> JobResult:
    sub = tmp_path / "submission"
    sub.mkdir(exist_ok=True)
    for name, text in files.items():
        (sub / name).write_text(textwrap.dedent(text))
    support_dir = None
    if support:
        support_dir = tmp_path / "support"
        support_dir.mkdir(exist_ok=True)
        for name, text in support.items():
            (support_dir / name).write_text(textwrap.dedent(text))
    job = Job("student", sub, tuple(calls), support_dir=support_dir, limits=limits or Limits())
    (result,) = list(executor.run([job]))
    return result


def call(function: str, *args: Arg, module: str = "hw", test_id: str | None = None, **kw) -> Call:
    return Call(test_id or function, module, function, args, **kw)


def statuses(result: JobResult) -> list[str]:
    return [c.status for c in result.calls]


# --------------------------------------------------------------------------- values

def test_a_tensor_comes_back_as_a_plain_array_with_its_torch_dtype(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def double(x):
            return x * 2
        """}, [call("double", Arg("torch", X, dtype="float32"))])
    (c,) = r.calls
    assert c.status == "ok"
    assert type(c.value) is np.ndarray and c.value.dtype == np.float32
    np.testing.assert_array_equal(c.value, X * 2)
    assert c.returned_type == "torch.Tensor" and c.torch_dtype == "torch.float32"


def test_a_numpy_argument_is_an_ndarray_and_python_numbers_come_back_as_zero_d_arrays(
        executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import numpy as np
        def kind(x):
            return float(type(x) is np.ndarray)
        def total(x):
            return x.sum()
        def count(x, k=0):
            return int(x.size) + k
        """}, [call("kind", Arg("numpy", X)), call("total", Arg("numpy", X)),
               Call("count", "hw", "count", (Arg("numpy", X),), (("k", Arg("python", 5)),))])
    assert statuses(r) == ["ok", "ok", "ok"]
    assert r.calls[0].value == 1.0 and r.calls[0].returned_type == "float"
    assert r.calls[1].value == 10.0 and r.calls[1].returned_type == "numpy.float64"
    assert r.calls[2].value == 9 and r.calls[2].value.dtype == np.int64


def test_the_output_path_picks_one_element_of_a_tuple_and_ignores_the_cache(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def step(x):
            return x + 1, {"cache": object()}
        def pair(x):
            return x, (x * 2, 3)
        """}, [call("step", Arg("numpy", X), output=(0,)), call("step", Arg("numpy", X),
                                                                 test_id="whole"),
               call("pair", Arg("torch", X))])
    assert statuses(r) == ["ok", "bad_output", "ok"]
    np.testing.assert_array_equal(r.calls[0].value, X + 1)
    assert "dict" in r.calls[1].detail
    first, (second, third) = r.calls[2].value
    np.testing.assert_array_equal(second, X * 2)
    assert third == 3 and r.calls[2].returned_type == "tuple"


def test_each_call_gets_a_fresh_copy_of_its_arguments(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def clobber(x):
            x[...] = -1
            return x
        """}, [call("clobber", Arg("numpy", X), test_id="a"),
               call("clobber", Arg("numpy", X), test_id="b"), call("clobber", Arg("torch", X))])
    assert statuses(r) == ["ok"] * 3
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("body, words", [
    ("class Sub(np.ndarray): pass\n    return x.view(Sub)", "Sub"),
    ("return np.array([object()], dtype=object)", "dtype object"),
    ("return x.astype(complex)", "complex"),
    ("return [1, 2, 'three']", "str"),
    ("class Liar:\n        def __eq__(self, o): return True\n    return Liar()", "Liar"),
    ("return ((((((x,),),),),),)", "nested too deeply"),
], ids=["ndarray subclass", "object array", "complex", "string in list", "eq-always-true",
        "deep nesting"])
def test_anything_but_plain_numbers_is_bad_output(executor, tmp_path, body, words):
    r = submit(executor, tmp_path, {"hw.py": f"import numpy as np\ndef f(x):\n    {body}\n"},
               [call("f", Arg("numpy", X))])
    assert statuses(r) == ["bad_output"]
    assert words in r.calls[0].detail


def test_a_tensor_subclass_is_bad_output(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import torch
        class Lying(torch.Tensor):
            def __eq__(self, other):
                return True
        def f(x):
            return x.as_subclass(Lying)
        """}, [call("f", Arg("torch", X))])
    assert statuses(r) == ["bad_output"]
    assert "Lying" in r.calls[0].detail


# --------------------------------------------------------------------------- failures, most basic first

def test_a_missing_file_is_named_and_a_case_only_match_is_pointed_out(executor, tmp_path):
    r = submit(executor, tmp_path, {"Hw.py": "def f(x):\n    return x\n"},
               [call("f", Arg("numpy", X))])
    assert statuses(r) == ["missing_file"]
    assert "hw.py" in r.calls[0].detail and "Hw.py" in r.calls[0].detail


def test_a_syntax_error_gives_file_and_line(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "def f(x):\n    return x\n\ndef g(:\n"},
               [call("f", Arg("numpy", X)), call("g", Arg("numpy", X))])
    assert statuses(r) == ["syntax_error", "syntax_error"]
    assert r.calls[0].detail.startswith("hw.py:4: ")


def test_source_that_is_not_utf8_is_a_syntax_error(executor, tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "hw.py").write_bytes(b"def f(x):\n    return '\xff\xfe'\n")
    (r,) = executor.run([Job("s", sub, (call("f", Arg("numpy", X)),))])
    assert statuses(r) == ["syntax_error"]
    assert r.calls[0].detail.startswith("hw.py:")


def test_an_import_error_names_the_missing_module(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "import torchvisionx\ndef f(x):\n    return x\n"},
               [call("f", Arg("numpy", X))])
    assert statuses(r) == ["import_error"]
    assert "torchvisionx" in r.calls[0].detail


def test_standard_modules_and_installed_packages_import_in_the_sandbox(executor, tmp_path):
    # Where the Python installation is not readable by nobody (pyenv under /root), the zygote
    # must have preloaded what these need.
    r = submit(executor, tmp_path, {"hw.py": """
        import fractions, statistics, zoneinfo, email.utils, xml.etree.ElementTree, encodings.cp437
        import sympy
        import scipy.special
        def f(x):
            return float(sympy.Rational(1, 3) * 3) + float(fractions.Fraction(1, 2))
        """}, [call("f", Arg("numpy", X))])
    assert statuses(r) == ["ok"], r.calls[0].detail
    assert r.calls[0].value == 1.5


def test_a_support_module_is_importable(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        from layer_utils import affine
        def f(x):
            return affine(x)
        """}, [call("f", Arg("numpy", X))], support={"layer_utils.py": """
        def affine(x):
            return x * 10
        """})
    assert statuses(r) == ["ok"]
    np.testing.assert_array_equal(r.calls[0].value, X * 10)


def test_a_missing_function_is_named(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "nms = 3\ndef f(x):\n    return x\n"},
               [call("nms", Arg("numpy", X)), call("box_iou", Arg("numpy", X)),
                call("f", Arg("numpy", X))])
    assert statuses(r) == ["missing_function", "missing_function", "ok"]
    assert "box_iou" in r.calls[1].detail


def test_a_crash_shows_only_the_students_own_frames(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import numpy as np
        def f(x):
            return helper(x)
        def helper(x):
            return np.linalg.inv(np.zeros((2, 2)))
        """}, [call("f", Arg("numpy", X)), call("f", Arg("numpy", X), test_id="again")])
    assert statuses(r) == ["crash", "crash"]
    detail = r.calls[0].detail
    # (the source starts with a blank line)
    assert 'File "hw.py", line 4, in f' in detail and 'File "hw.py", line 6, in helper' in detail
    assert detail.endswith("LinAlgError: Singular matrix")
    assert "worker.py" not in detail and "site-packages" not in detail


def test_a_runaway_recursion_shows_the_repeated_frame_once_and_the_error_last(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def f(x):
            return down(0)
        def down(n):
            return down(n + 1) + 1
        """}, [call("f", Arg("numpy", X))])
    assert statuses(r) == ["crash"]
    lines = r.calls[0].detail.splitlines()
    assert lines[-1].startswith("RecursionError")
    assert lines[3] == '  File "hw.py", line 5, in down'
    assert lines[5].startswith("  [the frame above repeated ") and len(lines) == 7


def test_a_mutual_recursion_keeps_the_first_and_last_frames(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def ping(n):
            return pong(n + 1)
        def pong(n):
            return ping(n + 1)
        """}, [call("ping", Arg("python", 0))])
    detail = r.calls[0].detail
    assert statuses(r) == ["crash"] and detail.endswith("RecursionError: maximum recursion "
                                                        "depth exceeded")
    assert "more frames ...]" in detail and len(detail) < 4000


def test_sys_exit_in_the_function_is_a_crash_and_the_next_call_still_runs(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import sys
        def f(x):
            sys.exit(0)
        def g(x):
            return x
        """}, [call("f", Arg("numpy", X)), call("g", Arg("numpy", X))])
    assert statuses(r) == ["crash", "ok"]
    assert "sys.exit(0)" in r.calls[0].detail


def test_sys_exit_at_import_is_an_import_error(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "import sys\nsys.exit(0)\n"},
               [call("f", Arg("numpy", X))])
    assert statuses(r) == ["import_error"]


def test_a_call_past_its_time_limit_times_out_and_stops_the_rest(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        def f(x):
            while True:
                pass
        def g(x):
            return x
        """}, [call("g", Arg("numpy", X)), call("f", Arg("numpy", X), time_limit_s=0.5),
               call("g", Arg("numpy", X), test_id="later")])
    assert statuses(r) == ["ok", "timeout", "not_run"]
    assert "0.5 s" in r.calls[1].detail


def test_a_sleeping_call_times_out(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "import time\ndef f(x):\n    time.sleep(3600)\n"},
               [call("f", Arg("numpy", X), time_limit_s=0.3)])
    assert statuses(r) == ["timeout"]


def test_an_endless_loop_at_import_times_out(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "while True:\n    pass\n"},
               [call("f", Arg("numpy", X)), call("g", Arg("numpy", X))],
               limits=Limits(import_s=0.5))
    assert statuses(r) == ["timeout", "not_run"]
    assert "importing hw.py" in r.calls[0].detail


def test_a_huge_allocation_hits_the_memory_limit(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import numpy as np, torch
        def f(x):
            return np.ones((50 << 30) // 8)
        def g(x):
            return torch.ones((50 << 30) // 4)
        """}, [call("f", Arg("numpy", X)), call("g", Arg("numpy", X))])
    assert statuses(r) == ["memory", "memory"]


def test_os_exit_is_reported_as_killed(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "import os\ndef f(x):\n    os._exit(0)\n"},
               [call("f", Arg("numpy", X)), call("f", Arg("numpy", X), test_id="after")])
    assert statuses(r) == ["killed", "not_run"]
    assert "exit code 0" in r.calls[0].detail


def test_os_exit_at_import_is_reported_as_killed_while_importing(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "import os\nos._exit(3)\n"},
               [call("f", Arg("numpy", X)), call("f", Arg("numpy", X), test_id="after")])
    assert statuses(r) == ["killed", "not_run"]
    assert r.calls[0].detail == ("the process ended (exit code 3) while importing hw.py, "
                                 "without answering")


def test_a_ctypes_segfault_is_reported_as_killed(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        import ctypes
        def f(x):
            return ctypes.string_at(0)
        """}, [call("f", Arg("numpy", X))])
    assert statuses(r) == ["killed"]
    assert "SIGSEGV" in r.calls[0].detail


def test_printed_text_is_kept_capped_and_never_taken_as_a_result(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": """
        print("All tests passed")
        print('{"score": 100, "max_score": 100}')
        def f(x):
            print("x" * 5000)
            return None
        """}, [call("f", Arg("numpy", X))], limits=Limits(stdout_bytes=1000))
    assert statuses(r) == ["bad_output"]
    assert r.output.startswith("All tests passed\n")
    assert len(r.output) == 1000


def test_results_are_plain_picklable_data(executor, tmp_path):
    r = submit(executor, tmp_path, {"hw.py": "def f(x):\n    return x, 2\n"},
               [call("f", Arg("torch", X))])
    again = pickle.loads(pickle.dumps(r))
    assert again.calls[0].status == "ok" and again.calls[0].value[1] == 2


def test_several_workers_grade_several_submissions(executor, tmp_path):
    jobs = []
    for k in range(6):
        sub = tmp_path / f"s{k}"
        sub.mkdir()
        (sub / "hw.py").write_text(f"def f(x):\n    return x + {k}\n")
        jobs.append(Job(f"s{k}", sub, (call("f", Arg("numpy", X)),)))
    results = {r.submission_id: r for r in executor.run(jobs)}
    assert sorted(results) == [f"s{k}" for k in range(6)]
    for k in range(6):
        np.testing.assert_array_equal(results[f"s{k}"].calls[0].value, X + k)


@pytest.mark.parametrize("arg, words", [
    (Arg("torch", np.array(["a"])), "numpy array of numbers"),
    (Arg("numpy", [1.0, 2.0]), "numpy array of numbers"),
    (Arg("torch", X, dtype="complex128"), "dtype 'complex128'"),
    (Arg("numpy", X, dtype="float32"), "only a torch argument"),
    (Arg("python", object()), "got object"),
    (Arg("python", (Arg("numpy", X), {"a": 1})), "args[0][1]"),
    (Arg("tensor", X), "kind 'tensor'"),
], ids=["string array", "list for numpy", "complex dtype", "dtype on numpy", "object",
        "dict in tuple", "unknown kind"])
def test_a_job_the_worker_could_not_run_is_refused_before_it_starts(executor, tmp_path, arg,
                                                                     words):
    job = Job("s", tmp_path, (Call("t[0]", "hw", "f", (arg,)),))
    with pytest.raises(ValueError) as err:
        list(executor.run([job]))
    assert words in str(err.value) and "s: t[0]: args[0]" in str(err.value)


def test_a_worker_that_dies_mid_job_fails_that_job_only_and_is_replaced(tmp_path):
    import os
    import signal
    import threading

    for name in "abc":
        (tmp_path / name).mkdir()
    with LocalExecutor(workers=1, sandbox="available") as ex:
        warm = submit(ex, tmp_path / "a", {"hw.py": "def f(x):\n    return x\n"},
                      [call("f", Arg("numpy", X))])
        assert statuses(warm) == ["ok"]
        zygote = ex._zygotes[0].proc.pid
        room = Path(ex._zygotes[0].room)
        assert room.is_dir()
        killer = threading.Timer(0.5, os.kill, (zygote, signal.SIGKILL))
        killer.start()
        lost = submit(ex, tmp_path / "b", {"hw.py": "import time\ndef f(x):\n    time.sleep(3)\n"},
                      [call("f", Arg("numpy", X))])
        killer.join()
        assert statuses(lost) == ["not_run"] and "stopped unexpectedly" in lost.error
        assert not room.exists()  # the dead worker's private folders are removed by the parent
        again = submit(ex, tmp_path / "c", {"hw.py": "def f(x):\n    return x + 1\n"},
                       [call("f", Arg("numpy", X))])
        assert statuses(again) == ["ok"] and ex._zygotes[0].proc.pid != zygote


# --------------------------------------------------------------------------- the result file

def _rec(kind: bytes, payload: bytes) -> bytes:
    return RECORD.pack(kind, len(payload)) + payload


def _npy(array) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _meta(i: int, **kw) -> bytes:
    import json

    meta = {"i": i, "status": "ok", "detail": "", "elapsed": 0.0, "structure": 0, "type": "int",
            "torch_dtype": None, "arrays": 1}
    meta.update(kw)
    return json.dumps(meta).encode()


def test_the_parent_reads_well_formed_records():
    data = _rec(b"J", _meta(0)) + _rec(b"A", _npy(np.arange(3)))
    data += _rec(b"J", _meta(1, structure=[0, [1]], arrays=2)) + _rec(b"A", _npy(np.ones(2)))
    data += _rec(b"A", _npy(np.array(2.5)))
    out = read_records(data, 2)
    np.testing.assert_array_equal(out[0][1], np.arange(3))
    assert out[1][1][1][0] == 2.5


@pytest.mark.parametrize("data", [
    _rec(b"J", _meta(0)) + _rec(b"A", _npy(np.array([object()], dtype=object))),
    _rec(b"J", _meta(0)) + _rec(b"A", b"\x93NUMPY garbage"),
    _rec(b"J", _meta(5)) + _rec(b"A", _npy(np.arange(3))),
    _rec(b"J", _meta(0, status="passed")) + _rec(b"A", _npy(np.arange(3))),
    _rec(b"J", _meta(0, structure=[0, 0], arrays=1)) + _rec(b"A", _npy(np.arange(3))),
    _rec(b"J", b"{not json") + _rec(b"A", _npy(np.arange(3))),
    _rec(b"A", _npy(np.arange(3))),
    _rec(b"J", _meta(0))[:-3],
], ids=["object array", "broken npy", "index out of range", "unknown status", "array used twice",
        "broken json", "array without header", "truncated"])
def test_the_parent_refuses_malformed_or_forged_records(data):
    assert read_records(data, 1) == {}
