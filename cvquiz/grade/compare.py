"""Decide pass or fail in the parent: a student's returned value against the reference's.

The worker sends back only numeric numpy arrays (or tuples of them), the type the student
returned (``torch.Tensor``, ``numpy.ndarray``, ``float``, ``tuple``...) and a tensor's torch dtype
(:class:`~cvquiz.grade.protocol.CallResult`). The reference's output is converted the same way
in the parent (:func:`to_value`). Checks run most basic first, and the first that fails is the
verdict: the structure of a tuple, the type, the shape, the dtype, then the values.

Values: ``exact`` (same values; NaN equal to NaN when ``equal_nan``), ``allclose``
(``|got − expected| <= atol + rtol·|expected|`` in float64, tolerances by the expected dtype unless
given; NaN and ±inf must sit exactly where the reference has them), ``set`` (the same values in any
order and no duplicates) and ``sorted`` (rows sorted first, then allclose). A value mismatch names
the first differing index, what was got and what was expected, and how many values differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cvquiz.grade.assignment import Compare
from cvquiz.text import Text

#: Default (rtol, atol) by the expected dtype's name.
TOLERANCES = {
    "float64": (1e-6, 1e-8),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
}


@dataclass(frozen=True)
class Output:
    """A returned value as plain data: arrays (or nested tuples of them) and the type it came as."""

    value: Any  # np.ndarray, or a tuple of Output-values
    returned_type: str  # "torch.Tensor", "numpy.ndarray", "float", "tuple", ...
    torch_dtype: str | None = None  # "torch.float32" for a tensor
    items: tuple["Output", ...] = ()  # the elements, when returned_type is tuple or list
    keys: tuple[str, ...] | None = None  # a returned dict: its keys, sorted; ``items`` are their values


@dataclass(frozen=True)
class Verdict:
    """The outcome of one comparison; ``problem`` is "" when it passed."""

    passed: bool
    problem: str = ""  # "structure", "type", "shape", "dtype", "values"
    message: Text = Text("", "")


PASSED = Verdict(True)


def to_value(obj: Any) -> Output:
    """The parent's own conversion of a reference output (mirrors what the worker accepts)."""
    t = type(obj)
    if t.__module__.startswith("torch") and t.__name__ == "Tensor":
        import torch

        dtype = str(obj.dtype)
        cpu = obj.detach().cpu()
        if cpu.dtype == torch.bfloat16:
            cpu = cpu.float()
        return Output(np.ascontiguousarray(cpu.numpy()), "torch.Tensor", dtype)
    if isinstance(obj, np.ndarray):
        return Output(np.ascontiguousarray(obj), "numpy.ndarray")
    if isinstance(obj, (bool, int, float)):
        return Output(np.asarray(obj), t.__name__)
    if isinstance(obj, np.generic):
        return Output(np.asarray(obj), f"numpy.{t.__name__}")
    if isinstance(obj, (tuple, list)):
        items = tuple(to_value(x) for x in obj)
        return Output(tuple(i.value for i in items), t.__name__, items=items)
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        keys = tuple(sorted(obj))
        items = tuple(to_value(obj[k]) for k in keys)
        return Output(tuple(i.value for i in items), "dict", items=items, keys=keys)
    raise TypeError(f"the reference returned {t.__module__}.{t.__qualname__}, which the grader cannot compare")


def select(output: Output, part: tuple[int, ...]) -> Output:
    """The part of a (reference) output that is compared."""
    for i in part:
        if not output.items or i >= len(output.items):
            raise IndexError(f"part {list(part)}: the reference returned {output.returned_type}")
        output = output.items[i]
    return output


def from_result(value: Any, returned_type: str | None, torch_dtype: str | None) -> Output:
    """A student's value as received from the worker. A dict comes as the tuple of its values in
    sorted-key order, its keys in the returned type: ``dict;=a,b`` or ``tuple;1=W_hh,W_xh`` (the
    dict at element 1)."""
    dicts: dict[str, tuple[str, ...]] = {}
    if returned_type is not None and ";" in returned_type:
        returned_type, *notes = returned_type.split(";")
        for note in notes:
            where, _, keys = note.partition("=")
            dicts[where] = tuple(k for k in keys.split(",") if k)
    return _rebuild(value, returned_type, torch_dtype, dicts, ())


def _rebuild(value: Any, returned_type: str | None, torch_dtype: str | None, dicts: dict, path: tuple) -> Output:
    keys = dicts.get(".".join(map(str, path)))
    if isinstance(value, tuple):
        items = tuple(_rebuild(v, _item_type(v), None, dicts, path + (i,)) for i, v in enumerate(value))
        if keys is not None and len(keys) == len(value):
            return Output(value, "dict", items=items, keys=keys)
        return Output(value, returned_type or "tuple", items=items)
    return Output(np.asarray(value), returned_type or "numpy.ndarray", torch_dtype)


def _item_type(v: Any) -> str:
    # The worker reports the type of the whole return value only; an element's is unknown.
    return "tuple" if isinstance(v, tuple) else "unknown"


def compare(got: Output, expected: Output, spec: Compare, where: str = "") -> Verdict:
    """Compare ``got`` with ``expected`` (both already narrowed to ``spec.part``)."""
    if expected.keys is not None:
        return _compare_dict(got, expected, spec, where)
    if expected.items or isinstance(expected.value, tuple):
        if not isinstance(got.value, tuple):
            return _fail("structure", f"{_at(where)}expected a tuple of {len(expected.items)} values, "
                                      f"got {_type_name(got)}",
                         f"{_at_zh(where)}应返回含 {len(expected.items)} 个值的元组，实际返回 {_type_name(got)}")
        if len(got.items) != len(expected.items):
            return _fail("structure", f"{_at(where)}expected a tuple of {len(expected.items)} values, got "
                                      f"{len(got.items)}",
                         f"{_at_zh(where)}应返回含 {len(expected.items)} 个值的元组，实际有 {len(got.items)} 个")
        for i, (g, e) in enumerate(zip(got.items, expected.items)):
            v = compare(g, e, spec, f"{where}[{i}]")
            if not v.passed:
                return v
        return PASSED
    if isinstance(got.value, tuple) and got.keys is not None:
        return _fail("structure", f"{_at(where)}expected {_type_name(expected)}, got a dict (keys "
                                  f"{', '.join(got.keys)})",
                     f"{_at_zh(where)}应返回 {_type_name(expected)}，实际返回字典（键 {', '.join(got.keys)}）")
    if isinstance(got.value, tuple):
        return _fail("structure", f"{_at(where)}expected {_type_name(expected)}, got a tuple of {len(got.items)}",
                     f"{_at_zh(where)}应返回 {_type_name(expected)}，实际返回含 {len(got.items)} 个值的元组")
    verdict = _check_type(got, expected, where)
    if verdict is not None:
        return verdict
    g, e = np.asarray(got.value), np.asarray(expected.value)
    if spec.how != "set" and g.shape != e.shape:
        return _fail("shape", f"{_at(where)}expected shape {_shape(e)}, got {_shape(g)}",
                     f"{_at_zh(where)}形状应为 {_shape(e)}，实际为 {_shape(g)}")
    verdict = _check_dtype(got, expected, spec, where) if e.size else None  # an empty result has no dtype to judge
    if verdict is not None:
        return verdict
    if spec.how == "set":
        return _compare_set(g, e, where)
    if spec.how == "sorted":
        g, e = _sort_rows(g), _sort_rows(e)
        return _compare_close(g, e, spec, _dtype_name(expected), where, exact=e.dtype.kind in "biu")
    return _compare_close(g, e, spec, _dtype_name(expected), where, exact=spec.how == "exact")


# --- the checks ----------------------------------------------------------------------------------------

def _compare_dict(got: Output, expected: Output, spec: Any, where: str = "") -> Verdict:
    """A returned dict, key by key (only ``spec.keys`` when the assignment names them); feedback names the key."""
    wanted = tuple(k for k in (getattr(spec, "keys", ()) or expected.keys) if k in expected.keys) or expected.keys
    if got.keys is None:
        return _fail("structure", f"{_at(where)}expected a dict with keys {', '.join(wanted)}, got {_type_name(got)}",
                     f"{_at_zh(where)}应返回含键 {', '.join(wanted)} 的字典，实际返回 {_type_name(got)}")
    exp = dict(zip(expected.keys, expected.items))
    have = dict(zip(got.keys, got.items))
    missing = [k for k in wanted if k not in have]
    if missing:
        return _fail("structure", f"{_at(where)}the returned dict has no key {', '.join(map(repr, missing))}; "
                                  f"expected the keys {', '.join(wanted)}",
                     f"{_at_zh(where)}返回的字典缺少键 {', '.join(map(repr, missing))}；应含键 {', '.join(wanted)}")
    for k in wanted:
        v = compare(have[k], exp[k], spec)
        if not v.passed:
            return Verdict(False, v.problem, Text(f"{_at(where)}key {k!r} of the returned dict: {v.message.en}",
                                                  f"{_at_zh(where)}返回字典的键 {k!r}：{v.message.zh}"))
    return PASSED


def _check_type(got: Output, expected: Output, where: str) -> Verdict | None:
    if got.returned_type == "unknown":
        return None
    e_tensor = expected.returned_type == "torch.Tensor"
    g_tensor = got.returned_type == "torch.Tensor"
    g_number = got.returned_type in ("bool", "int", "float") or got.returned_type.startswith("numpy.") and \
        got.returned_type != "numpy.ndarray"
    if e_tensor and not g_tensor and not (g_number and np.asarray(expected.value).ndim == 0):
        return _fail("type", f"{_at(where)}expected a torch.Tensor, got {got.returned_type}",
                     f"{_at_zh(where)}应返回 torch.Tensor，实际返回 {got.returned_type}")
    if expected.returned_type == "numpy.ndarray" and g_tensor:
        return _fail("type", f"{_at(where)}expected a numpy.ndarray, got a torch.Tensor",
                     f"{_at_zh(where)}应返回 numpy.ndarray，实际返回 torch.Tensor")
    return None


def _check_dtype(got: Output, expected: Output, spec: Compare, where: str) -> Verdict | None:
    if spec.dtype == "any":
        return None
    g_kind, e_kind = _kind(np.asarray(got.value)), _kind(np.asarray(expected.value))
    # A Python number for a 0-d result carries no dtype worth judging beyond its kind.
    if spec.dtype == "kind" or got.returned_type in ("bool", "int", "float"):
        if g_kind != e_kind:
            return _fail("dtype", f"{_at(where)}expected {_KIND_EN[e_kind]} ({_dtype_name(expected)}), got "
                                  f"{_KIND_EN[g_kind]} ({_dtype_name(got)})",
                         f"{_at_zh(where)}应为{_KIND_ZH[e_kind]}（{_dtype_name(expected)}），实际为"
                         f"{_KIND_ZH[g_kind]}（{_dtype_name(got)}）")
        return None
    if _dtype_name(got).replace("torch.", "") != _dtype_name(expected).replace("torch.", ""):
        return _fail("dtype", f"{_at(where)}expected dtype {_dtype_name(expected)}, got {_dtype_name(got)}",
                     f"{_at_zh(where)}dtype 应为 {_dtype_name(expected)}，实际为 {_dtype_name(got)}")
    return None


def _compare_close(g: np.ndarray, e: np.ndarray, spec: Compare, dtype: str, where: str, exact: bool) -> Verdict:
    if g.size == 0:
        return PASSED
    if exact or e.dtype.kind in "biu" and g.dtype.kind in "biu":
        gf, ef = g, e
        ok = (gf == ef)
        if e.dtype.kind == "f" or g.dtype.kind == "f":
            both_nan = np.isnan(gf.astype(np.float64)) & np.isnan(ef.astype(np.float64))
            ok = ok | (both_nan if spec.equal_nan else False)
        how_en, how_zh = "exactly", "完全相等"
    else:
        rtol_d, atol_d = TOLERANCES.get(dtype.replace("torch.", ""), TOLERANCES["float32"])
        rtol = spec.rtol if spec.rtol is not None else rtol_d
        atol = spec.atol if spec.atol is not None else atol_d
        gf, ef = g.astype(np.float64), e.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.abs(gf - ef) <= atol + rtol * np.abs(ef)
        nan_e, nan_g = np.isnan(ef), np.isnan(gf)
        inf_e = np.isinf(ef)
        ok = np.where(nan_e, nan_g & spec.equal_nan, np.where(inf_e, gf == ef, close & ~nan_g & ~np.isinf(gf)))
        how_en, how_zh = f"within rtol={rtol:g}, atol={atol:g}", f"在 rtol={rtol:g}、atol={atol:g} 之内"
    if bool(np.all(ok)):
        return PASSED
    bad = np.argwhere(~np.asarray(ok))
    first = tuple(int(i) for i in bad[0]) if g.ndim else ()
    n_bad, n = len(bad) if g.ndim else 1, max(g.size, 1)
    at = list(first) if first else "(the value)"
    at_zh = list(first) if first else "（该值）"
    gv, ev = _fmt(g[first] if first else g), _fmt(e[first] if first else e)
    return _fail("values", f"{_at(where)}wrong values: {n_bad} of {n} differ ({how_en}); first at index {at}: "
                           f"got {gv}, expected {ev}",
                 f"{_at_zh(where)}数值错误：{n} 个值中有 {n_bad} 个不对（应{how_zh}）；第一个在下标 {at_zh}："
                 f"得到 {gv}，应为 {ev}")


def _compare_set(g: np.ndarray, e: np.ndarray, where: str) -> Verdict:
    gl, el = g.reshape(-1).tolist(), e.reshape(-1).tolist()
    if len(set(gl)) != len(gl):
        dup = sorted({x for x in gl if gl.count(x) > 1})[:5]
        return _fail("values", f"{_at(where)}wrong values: {_fmt_list(dup)} appear more than once",
                     f"{_at_zh(where)}数值错误：{_fmt_list(dup)} 出现了不止一次")
    missing, extra = sorted(set(el) - set(gl)), sorted(set(gl) - set(el))
    if not missing and not extra:
        return PASSED
    parts_en, parts_zh = [], []
    if missing:
        parts_en.append(f"missing {_fmt_list(missing[:8])}")
        parts_zh.append(f"缺少 {_fmt_list(missing[:8])}")
    if extra:
        parts_en.append(f"not expected {_fmt_list(extra[:8])}")
        parts_zh.append(f"多出 {_fmt_list(extra[:8])}")
    return _fail("values", f"{_at(where)}wrong values (compared as a set, in any order): " + "; ".join(parts_en),
                 f"{_at_zh(where)}数值错误（按集合比较，与顺序无关）：" + "；".join(parts_zh))


def _sort_rows(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0 or a.size == 0:
        return a
    if a.ndim == 1:
        return np.sort(a)
    flat = a.reshape(a.shape[0], -1)
    order = np.lexsort(flat.T[::-1])
    return a[order]


# --- wording --------------------------------------------------------------------------------------------

_KIND_EN = {"float": "floating-point values", "int": "integers", "bool": "booleans", "other": "other values"}
_KIND_ZH = {"float": "浮点数", "int": "整数", "bool": "布尔值", "other": "其他类型"}


def _kind(a: np.ndarray) -> str:
    return {"f": "float", "i": "int", "u": "int", "b": "bool"}.get(a.dtype.kind, "other")


def _dtype_name(o: Output) -> str:
    if o.torch_dtype:
        return o.torch_dtype
    if o.returned_type in ("bool", "int", "float"):
        return f"Python {o.returned_type}"
    return str(np.asarray(o.value).dtype)


def _type_name(o: Output) -> str:
    return o.returned_type if not o.items else f"a {o.returned_type} of {len(o.items)}"


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(map(str, a.shape)) + ("," if a.ndim == 1 else "") + ")"


def _fmt(x: Any) -> str:
    a = np.asarray(x)
    if a.ndim == 0:
        v = a.item()
        if isinstance(v, float):
            return f"{v:.6g}"
        return str(v).lower() if isinstance(v, bool) else str(v)
    return np.array2string(a, precision=6, threshold=20)


def _fmt_list(xs: list) -> str:
    return "[" + ", ".join(_fmt(x) for x in xs) + "]"


def _at(where: str) -> str:
    return f"element {where} of the returned tuple: " if where else ""


def _at_zh(where: str) -> str:
    return f"返回元组的第 {where} 个元素：" if where else ""


def _fail(problem: str, en: str, zh: str) -> Verdict:
    return Verdict(False, problem, Text(en, zh))
