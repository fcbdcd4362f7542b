"""What runs inside the student's (confined) process: imports, calls, return values, records.

:func:`run_calls` imports each student module from the private submission copy, builds every
argument afresh (a ``torch.Tensor`` or ``numpy.ndarray`` copy, or a Python value), makes the call,
and converts what came back *here*, before anything leaves the process: only a ``torch.Tensor``
or ``numpy.ndarray`` whose type is exactly that class (``.detach().cpu()``), a bool/int/float or
numpy number, or a tuple/list of those, with a bool, integer or real dtype; a ``dict`` with name
keys (at any depth) goes back as the tuple of its values in sorted-key order, its keys appended to
the returned type as ``;<path>=k1,k2`` (``dict;=a,b``, ``tuple;1=W_hh,W_xh``); anything else is ``bad_output``. Failures become statuses (:data:`cvquiz.grade.protocol.CallStatus`) with a
student-facing detail: ``file:line`` for a syntax error, the missing module for an import error,
a traceback trimmed to the student's own frames for a crash.

Before each import and each call a status line goes to the zygote (``M i`` / ``C i``), which
enforces the time limits from outside. Results go to the result file as records:
``kind byte + u32 length + payload``, ``J`` a JSON object describing one call, ``A`` an array
written by ``numpy.lib.format.write_array(..., allow_pickle=False)``. The parent reads them with
``np.load(allow_pickle=False)`` and trusts nothing else: student code runs in this same process
and could write records of its own, which is no more than returning those numbers.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import time
import traceback
from pathlib import Path

# Bound when the zygote imports this module, before any student code runs: a student module
# named like a package (``numpy.py``) cannot change what writes the answers.
from numpy.lib.format import write_array as _write_array

from cvquiz.errors import SandboxError
from cvquiz.grade.protocol import Arg, Job

RESULT_FD, STATUS_FD, RULESET_FD = 3, 4, 5  # the fds the zygote hands the child
RECORD = struct.Struct("<cI")
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
                "uint8", "bool")
_MAX_DEPTH, _MAX_ITEMS = 4, 64  # of returned tuples/lists


def status(line: str) -> None:
    """One status line to the zygote (it reads only the first few thousand bytes of each)."""
    os.write(STATUS_FD, line.encode()[:4000] + b"\n")


def run_calls(job: Job, sub: Path, support: Path) -> None:
    """Import the student's modules and make each call, writing one record per call."""
    import numpy as np
    import torch

    sys.dont_write_bytecode = True
    sys.path[:] = [str(sub), str(support)] + _system_paths()
    modules: dict[str, object] = {}
    for i, call in enumerate(job.calls):
        if call.module not in modules:
            status(f"M {i}")
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
        try:
            args = [_build(a, np, torch, support) for a in call.args]
            kwargs = {k: _build(a, np, torch, support) for k, a in call.kwargs}
        except _SupportFailed as exc:
            write_record(i, "crash", detail=str(exc))
            continue
        status(f"C {i}")
        t0 = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - every student failure becomes a status
            elapsed = time.perf_counter() - t0
            kind, detail = _failure(exc, sub, support, "called")
            write_record(i, kind, detail=detail, elapsed=elapsed)
            continue
        elapsed = time.perf_counter() - t0
        try:
            selected = _select(value, call.output)
            dicts: list = []
            structure, arrays, returned, tdtype = _convert(selected, np, torch, 0, (), dicts)
            returned += "".join(";" + ".".join(map(str, where)) + "=" + ",".join(keys) for where, keys in dicts)
        except _BadOutput as bad:
            write_record(i, "bad_output", detail=str(bad), elapsed=elapsed)
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. a tensor that cannot be copied to the CPU
            write_record(i, "bad_output", detail=f"the returned value could not be read: "
                         f"{type(exc).__name__}", elapsed=elapsed)
            continue
        write_record(i, "ok", elapsed=elapsed, structure=structure, arrays=arrays,
                     returned_type=returned, torch_dtype=tdtype)


def _system_paths() -> list[str]:
    """The entries of ``sys.path`` inside the Python installation (no checkout, no engine)."""
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return [p for p in sys.path if p.endswith(".zip")
            or any(p == r or p.startswith(r + os.sep) for r in roots)]


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
        kind, detail = _failure(exc, sub, support, "imported")
        return ("memory" if kind == "memory" else "import_error", detail)
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
                                    "readable by other users; see cvquiz.grade.worker.PRELOAD_SUBMODULES)")
        return "import_error", f"imports the module `{exc.name}`, which the grader does not have"
    return "crash", _trimmed_traceback(exc, sub, support)


def _is_oom(exc: BaseException) -> bool:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        return False
    return "can't allocate memory" in text or "not enough memory" in text


_HEAD_RUNS, _TAIL_RUNS = 12, 6  # runs of the student's own frames kept in a traceback


def _trimmed_traceback(exc: BaseException, sub: Path, support: Path) -> str:
    """The traceback restricted to frames in the student's own files, a run of identical frames
    (a runaway recursion) shown once with its count, and the exception line always last."""
    import linecache

    prefixes = (str(sub) + os.sep, str(support) + os.sep)
    runs: list[list] = []  # [(file, line, function), count], consecutive repeats merged
    skipped = 0
    tb = exc.__traceback__
    while tb is not None:  # walked by hand: a deep recursion has a million frames
        code = tb.tb_frame.f_code
        if code.co_filename.startswith(prefixes):
            frame = (code.co_filename, tb.tb_lineno, code.co_name)
            if runs and runs[-1][0] == frame:
                runs[-1][1] += 1
            else:
                runs.append([frame, 1])
                if len(runs) > _HEAD_RUNS + _TAIL_RUNS:
                    skipped += runs.pop(_HEAD_RUNS)[1]
        tb = tb.tb_next
    lines = ["Traceback (your code only):"]
    for k, ((filename, lineno, name), count) in enumerate(runs):
        if skipped and k == _HEAD_RUNS:
            lines.append(f"  [... {skipped} more frames ...]")
        lines.append(f'  File "{_relative(filename, sub, support)}", line {lineno}, in {name}')
        source = linecache.getline(filename, lineno).strip()
        if source:
            lines.append(f"    {source[:200]}")
        if count > 1:
            lines.append(f"  [the frame above repeated {count - 1} more times]")
    text = "\n".join(lines)[:3000]
    try:
        last = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    except Exception:  # noqa: BLE001 - a hostile __str__ must not hide the crash
        last = type(exc).__name__
    return text + "\n" + last[:800]


def _relative(filename: str, sub: Path, support: Path) -> str:
    for base in (sub, support):
        if filename.startswith(str(base) + os.sep):
            return filename[len(str(base)) + 1:]
    return Path(filename).name


class _SupportFailed(Exception):
    """A factory of the assignment's support modules failed (the assignment's fault, reported)."""


_support_modules: dict[str, object] = {}


def _support_module(name: str, support: Path):
    """``support/<name>.py``, loaded from the support folder itself (a student file of the same
    name cannot stand in for it) under a private module name."""
    import importlib.util

    if name not in _support_modules:
        path = support / f"{name}.py"
        if not path.is_file():
            raise _SupportFailed(f"the grader could not build an argument: the assignment has no support "
                                 f"module {name}.py")
        spec = importlib.util.spec_from_file_location(f"_cvquiz_support_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _support_modules[name] = module
    return _support_modules[name]


def _build(arg: Arg, np, torch, support: Path | None = None):
    """The argument as the student receives it: a fresh tensor, array or Python value, a dict of
    them, or what a support module's factory makes of them."""
    if arg.kind == "python":
        if isinstance(arg.value, (tuple, list)):
            return type(arg.value)(_build(a, np, torch, support) if isinstance(a, Arg) else a
                                   for a in arg.value)
        return arg.value
    if arg.kind == "dict":
        return {str(k): _build(a, np, torch, support) for k, a in arg.value}
    if arg.kind == "factory":
        module, function, given = arg.value
        plain = {str(k): _build(a, np, torch, support) for k, a in given}
        try:
            factory = getattr(_support_module(str(module), support or Path(".")), str(function))
            return factory(**plain)
        except _SupportFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as the grader's problem, not the student's
            raise _SupportFailed(f"the grader could not build an argument: {module}.{function} raised "
                                 f"{type(exc).__name__}: {exc}") from None
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


def _convert(value: object, np, torch, depth: int, path: tuple = (), dicts: list | None = None):
    """(structure, arrays, returned type, torch dtype) of an accepted value, else _BadOutput.

    A dict with name keys becomes the tuple of its values in sorted-key order; ``dicts`` collects
    (path of indices, sorted keys) of each, so the parent can name the keys again."""
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
    if t is dict:
        keys = list(value)
        if not all(type(k) is str and k.isidentifier() for k in keys) or len(keys) > _MAX_ITEMS:
            raise _BadOutput(f"returned a dict whose keys are not all names (or more than {_MAX_ITEMS})")
        keys.sort()
        if dicts is not None:
            dicts.append((path, keys))
        if depth >= _MAX_DEPTH:
            raise _BadOutput("returned a dict nested too deeply")
        structure, arrays = [], []
        for index, k in enumerate(keys):
            try:
                s, a, _, _ = _convert(value[k], np, torch, depth + 1, path + (index,), dicts)
            except _BadOutput as bad:
                raise _BadOutput(f"in the returned dict at key {k!r}: {bad}") from None
            structure.append(_shift(s, len(arrays)))
            arrays += a
        return structure, arrays, "dict", None
    if t in (tuple, list):
        if depth >= _MAX_DEPTH or len(value) > _MAX_ITEMS:
            raise _BadOutput(f"returned a {t.__name__} nested too deeply or longer than "
                             f"{_MAX_ITEMS} elements")
        structure, arrays = [], []
        for index, item in enumerate(value):
            s, a, _, _ = _convert(item, np, torch, depth + 1, path + (index,), dicts)
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
    meta = {"i": index, "status": status, "detail": detail[:4000], "elapsed": elapsed,
            "structure": structure, "type": returned_type, "torch_dtype": torch_dtype,
            "arrays": len(arrays)}
    out = [_record(b"J", json.dumps(meta).encode())]
    for array in arrays:
        buf = io.BytesIO()
        _write_array(buf, array, allow_pickle=False)
        out.append(_record(b"A", buf.getvalue()))
    data = b"".join(out)
    while data:
        data = data[os.write(RESULT_FD, data):]


def _record(kind: bytes, payload: bytes) -> bytes:
    return RECORD.pack(kind, len(payload)) + payload
