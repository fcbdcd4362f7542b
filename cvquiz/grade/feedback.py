"""What a student reads about a failing test, in English and Chinese, most basic problem first.

The order (a test reports the first that applies): the file is missing, it does not compile
(file:line), importing it failed (naming the missing module), the function is missing, it
crashed (the traceback trimmed to the student's own frames, by the worker), it ran out of time
(with the input's size) or memory, it returned something that is not a tensor/array/number, then
the comparison's verdict (tuple structure, type, shape, dtype, values). A visible test adds its
input (in full when small, else shapes and dtypes) and its seed; a hidden test says only that it
passed or failed.
"""

from __future__ import annotations

from typing import Any

from cvquiz.grade.protocol import Arg, CallResult
from cvquiz.text import Text

#: Inputs with at most this many numbers in all are shown in full.
SHOW_INPUT_MAX = 48


def call_message(result: CallResult, *, module_file: str, function: str, time_limit_s: float,
                 input_size: str, memory_mb: int) -> Text:
    """The message of a call that did not return a value to compare (status other than ``ok``)."""
    d = result.detail.strip()
    s = result.status
    if s == "missing_file":
        return Text(f"{module_file} was not found in the submission" + (f" ({d})" if d else ""),
                    f"提交中找不到 {module_file}" + (f"（{d}）" if d else ""))
    if s == "syntax_error":
        return Text(f"{module_file} does not compile: {d}", f"{module_file} 无法编译：{d}")
    if s == "import_error":
        return Text(f"importing {module_file} failed: {d}", f"导入 {module_file} 失败：{d}")
    if s == "missing_function":
        return Text(f"{module_file} defines no function {function}()", f"{module_file} 中没有定义函数 {function}()")
    if s == "crash":
        return Text(f"{function}() raised an exception:\n{d}", f"{function}() 抛出了异常：\n{d}")
    if s == "timeout" and d.startswith("importing "):  # an endless loop at import, not the function
        return Text(f"{d}; no test of {function}() could run",
                    f"导入 {module_file} 超时（导入时的死循环？）；{function}() 的测试都无法运行")
    if s == "timeout":
        return Text(f"{function}() took longer than {time_limit_s:.2g} s on an input of {input_size} "
                    "(the limit is a multiple of the reference's own time)",
                    f"{function}() 在 {input_size} 的输入上运行超过 {time_limit_s:.2g} 秒（时限是参考实现用时的若干倍）")
    if s == "memory":
        return Text(f"{function}() ran out of memory (the limit is {memory_mb} MB) on an input of {input_size}",
                    f"{function}() 在 {input_size} 的输入上内存不足（上限 {memory_mb} MB）")
    if s == "bad_output":
        return Text(f"{function}() {d or 'returned a value the grader cannot read'}",
                    f"{function}() 的返回值无法评分：{d or '不是张量、数组或数字'}")
    if s == "killed":
        return Text(f"the process running {function}() died before answering" + (f": {d}" if d else ""),
                    f"运行 {function}() 的进程在返回结果前终止了" + (f"：{d}" if d else ""))
    if s == "not_run":
        return Text("not run: an earlier test stopped the submission's process (a timeout or a crash)",
                    "未运行：之前的测试使提交的进程停止了（超时或崩溃）")
    return Text(f"{function}(): {s} {d}".strip(), f"{function}()：{s} {d}".strip())


def hidden_message(passed: bool) -> Text:
    return Text("hidden test: passed", "隐藏测试：通过") if passed else Text("hidden test: failed", "隐藏测试：未通过")


def input_size(args: tuple[Arg, ...], kwargs: tuple[tuple[str, Arg], ...], names: list[str]) -> str:
    """The arrays' shapes, e.g. ``boxes (300, 4), scores (300,)``."""
    parts = []
    for name, arg in zip(names, (*args, *(a for _, a in kwargs))):
        shape = _shape_of(arg)
        if shape is not None:
            parts.append(f"{name} {shape}")
    return ", ".join(parts) or "scalars only"


def describe_input(args: tuple[Arg, ...], kwargs: tuple[tuple[str, Arg], ...], names: list[str],
                   seed: int | None) -> Text:
    """A visible test's input: every argument in full when small, else its shape and dtype."""
    pairs = list(zip(names, (*args, *(a for _, a in kwargs))))
    total = sum(_count(a) for _, a in pairs)
    lines = []
    for name, arg in pairs:
        lines.append(f"  {name} = {_render(arg, full=total <= SHOW_INPUT_MAX)}")
    seed_en = f" (seed {seed})" if seed is not None else ""
    seed_zh = f"（种子 {seed}）" if seed is not None else ""
    body = "\n".join(lines)
    return Text(f"input{seed_en}:\n{body}", f"输入{seed_zh}：\n{body}")


def smaller_input(args: tuple[Arg, ...], kwargs: tuple[tuple[str, Arg], ...], names: list[str]) -> Text:
    """A smaller input that fails the same way (not scored; drawn to make the failure easier to read)."""
    shown = describe_input(args, kwargs, names, None)
    return Text("a smaller input that fails the same way (not scored):" + shown.en[len("input:"):],
                "一个同样失败的更小输入（不计分）：" + shown.zh[len("输入："):])


def _shape_of(arg: Arg) -> str | None:
    if arg.kind in ("python", "dict", "factory"):
        return None
    shape = getattr(arg.value, "shape", ())
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _count(arg: Arg) -> int:
    if arg.kind == "dict":
        return sum(_count(a) for _, a in arg.value)
    if arg.kind == "factory":
        return sum(_count(a) for _, a in arg.value[2])
    if arg.kind == "python":
        if isinstance(arg.value, (list, tuple)):
            return sum(_count(a) if isinstance(a, Arg) else 1 for a in arg.value)
        return 1
    return int(getattr(arg.value, "size", 1))


def _render(arg: Arg, full: bool) -> str:
    import numpy as np

    if arg.kind == "python":
        v = arg.value
        if isinstance(v, (list, tuple)):
            inner = ", ".join(_render(a, full) if isinstance(a, Arg) else repr(a) for a in v)
            return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
        return repr(v)
    if arg.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {_render(a, full)}" for k, a in arg.value) + "}"
    if arg.kind == "factory":
        module, function, named = arg.value
        return f"{module}.{function}(" + ", ".join(f"{k}={_render(a, full)}" for k, a in named) + ")"
    a = np.asarray(arg.value)
    dtype = arg.dtype or str(a.dtype)
    if full:
        text = np.array2string(a, precision=6, separator=", ", threshold=10_000, max_line_width=100)
        text = text.replace("\n", "\n      ")
        return (f"torch.tensor({text}, dtype=torch.{dtype})" if arg.kind == "torch"
                else f"np.array({text}, dtype={dtype})")
    kind = "tensor" if arg.kind == "torch" else "array"
    return f"<{kind} of shape {tuple(a.shape)}, {dtype}>"


def join(*texts: Any) -> Text:
    """Texts joined by newlines, skipping empty ones."""
    ts = [t for t in texts if t and (t.en or t.zh)]
    return Text("\n".join(t.en for t in ts), "\n".join(t.zh for t in ts))
