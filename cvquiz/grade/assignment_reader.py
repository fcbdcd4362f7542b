"""The strict reader of ``assignment.yaml`` and its key tables (the JSON Schema is made from them).

Built on the bank loader's machinery (:class:`cvquiz.bank.load._FileReader`: key checks with
"did you mean", bilingual texts, numbers with ranges) and :mod:`cvquiz.bank.yamltree` (line
numbers), so every problem reads ``file:line: key.path: what is wrong; what was expected``.
Static only: generator parameters are checked against :data:`cvquiz.grade.inputs.GENERATORS`,
arguments against the ``signature``, and the reference function is looked up with ``ast`` in the
course's ``reference/<module>.py`` (never imported). Nothing here imports torch or numpy.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvquiz.bank import schema as S
from cvquiz.bank.load import shown_path
from cvquiz.bank.reader import _BAD, _did_you_mean, _FileReader, _got
from cvquiz.bank.syllabus import Syllabus
from cvquiz.bank.yamltree import YList, YMap, read_tree
from cvquiz.errors import BankError
from cvquiz.grade.assignment import (
    COMPARISONS, DTYPE_RULES, IDENT, LIBRARIES, MAX_REPEAT, MODULE_FILE, Assignment, Compare, Function, Test,
    TimeLimit)
from cvquiz.grade.inputs import DTYPES, GENERATORS, INT_DTYPES, ArgSpec, check_params

# --- the key tables (also the JSON Schema of `cvquiz bank schema --assignment`) ------------------------

def _choice(options: tuple[str, ...]) -> S.Str:
    return S.Str("^(" + "|".join(map(re.escape, options)) + ")$", "one of " + ", ".join(options))


COMPARE_KEYS = (
    S.Key("how", _choice(COMPARISONS), True, "allclose (rtol, atol), exact, set (order ignored, no "
          "duplicates) or sorted (rows sorted first)."),
    S.Key("rtol", S.Number(minimum=0, what="a number ≥ 0"), False, "Relative tolerance of allclose."),
    S.Key("atol", S.Number(minimum=0, what="a number ≥ 0"), False, "Absolute tolerance of allclose."),
    S.Key("part", S.ListOf(S.Int(minimum=0), max_items=4, what="a path of indices such as [0]"), False,
          "Which part of a returned tuple is compared: [0] is the first element."),
    S.Key("keys", S.ListOf(S.Str(IDENT, "a name"), min_items=1, what="a list of key names"), False,
          "For a function returning a dict (selected by part): the keys compared, each by name (default: "
          "every key the reference returns)."),
    S.Key("dtype", _choice(DTYPE_RULES), False, "kind (default): integer, float and bool must match; "
          "exact: the same dtype; any."),
    S.Key("equal_nan", S.Bool(), False, "A NaN where the reference has NaN matches (default true)."),
)
TIME_KEYS = (
    S.Key("factor", S.Number(minimum=0, exclusive=True, what="a number > 0"), False,
          "Multiple of the reference's own time on the input (default 10)."),
    S.Key("floor", S.Number(minimum=0, exclusive=True, what="a number of seconds > 0"), False,
          "The least time a call gets, in seconds (default 1)."),
)


@dataclass(frozen=True)
class _Args(S.Spec):
    """The arguments of a test: parameter name → a plain value, {value: ...}, {gen: ...}, {list: [...]},
    {dict: {...}} or {call: module.function, args: {...}}."""

    what: str = "a mapping of argument names to values, {value: ...}, {gen: ...}, {list: [...]}, {dict: {...}} or {call: ...}"

    def json(self) -> dict[str, Any]:
        arg = {"anyOf": [
            {"type": ["number", "string", "boolean", "null"]},
            {"type": "array"},
            {"type": "object", "required": ["value"],
             "properties": {"value": {}, "dtype": {"enum": list(DTYPES)}}, "additionalProperties": False},
            {"type": "object", "required": ["gen"], "properties": {
                "gen": {"enum": list(GENERATORS)}, "dtype": {"enum": list(DTYPES)}}},
            {"type": "object", "required": ["list"], "properties": {"list": {"type": "array"}},
             "additionalProperties": False},
            {"type": "object", "required": ["dict"], "properties": {"dict": {"type": "object"}},
             "additionalProperties": False},
            {"type": "object", "required": ["call"], "properties": {
                "call": {"type": "string", "pattern": r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$"},
                "args": {"type": "object"}}, "additionalProperties": False},
        ]}
        return {"type": "object", "additionalProperties": arg}


TEST_KEYS = (
    S.Key("id", S.Str(S.ID_PATTERN, "an id of lower-case letters, digits, '.', '_' and '-'"), True,
          "Unique within the function; shown in feedback."),
    S.Key("visible", S.Bool(), True, "true: the student sees the input and the full feedback; "
          "false: hidden, reported as pass/fail only."),
    S.Key("repeat", S.Int(1, MAX_REPEAT), False, "How many seeded inputs to draw (default 1)."),
    S.Key("stable", S.Bool(), False, "Redraw an input whose reference answer changes under a few rounding "
          "units of noise (default true)."),
    S.Key("about", S.TEXT, False, "What the test checks, shown with a visible failure."),
    S.Key("args", _Args(), True, "The arguments by parameter name."),
)


@dataclass(frozen=True)
class _Tests(S.Spec):
    what: str = "a list of tests"

    def json(self) -> dict[str, Any]:
        return {"type": "array", "minItems": 1, "items": S._object_json(TEST_KEYS)}


FUNCTION_KEYS = (
    S.Key("name", S.Str(IDENT, "a Python function name"), True, "The function the student writes."),
    S.Key("file", S.Str(MODULE_FILE, "a Python file name such as detection.py"), True,
          "The file the student hands in that defines it."),
    S.Key("reference", S.Str(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$",
                             "<module>.<function> of the course's reference/"), True,
          "The reference function it is compared with, e.g. detection.nms."),
    S.Key("concepts", S.ListOf(S.ConceptId(), min_items=1, what="a list of concept ids"), True,
          "Concept ids of syllabus.yaml the function covers."),
    S.Key("points", S.Number(minimum=0, exclusive=True, what="a number > 0"), True,
          "Points, shared equally by its tests."),
    S.Key("signature", S.Str(what="a signature such as \"nms(boxes, scores, iou_threshold)\""), True,
          "The starter's def line (without 'def' and ':')."),
    S.Key("doc", S.Str(what="the starter docstring"), True, "The starter docstring: shapes and conventions."),
    S.Key("compare", S.Record(COMPARE_KEYS, what="a mapping with 'how'"), False, "Default: {how: allclose}."),
    S.Key("time", S.Record(TIME_KEYS, min_keys=1, what="a mapping with factor or floor"), False,
          "Default: {factor: 10, floor: 1}."),
    S.Key("tests", _Tests(), True, "The tests, each visible or hidden."),
)


@dataclass(frozen=True)
class _Functions(S.Spec):
    what: str = "a list of functions"

    def json(self) -> dict[str, Any]:
        return {"type": "array", "minItems": 1, "items": S._object_json(FUNCTION_KEYS)}


ASSIGNMENT_KEYS = (
    S.Key("title", S.TEXT, True, "The assignment's title."),
    S.Key("library", _choice(LIBRARIES), False, "How arrays are handed to the student: torch (default) or numpy."),
    S.Key("support", S.ListOf(S.Str(MODULE_FILE, "a Python file name"), what="a list of file names"), False,
          "Helper modules in this folder that submissions may import."),
    S.Key("seed", S.Int(minimum=0), False, "Base seed of every generated input (default 0)."),
    S.Key("functions", _Functions(), True, "The functions the student writes."),
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``assignment.yaml`` (made from the key tables above)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cvquiz code assignment",
        "description": "questions/assignments/<name>/assignment.yaml",
        **S._object_json(ASSIGNMENT_KEYS),
        "$defs": {"text": {"type": "object", "properties": {
            "en": {"type": "string", "minLength": 1}, "zh": {"type": "string", "minLength": 1}},
            "required": ["en", "zh"], "additionalProperties": False}},
    }



# --- the reader --------------------------------------------------------------------------------------

def _defined_functions(path: Path) -> set[str] | None:
    """Top-level function names of a Python file (read with ast; None when it cannot be read)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def parse_signature(text: str) -> tuple[tuple[str, bool], ...] | str:
    """``(name, has_default)`` of each parameter of ``name(a, b=1)``, or a message saying what is wrong."""
    try:
        tree = ast.parse(f"def {text.strip()}:\n    pass\n")
    except SyntaxError:
        return "cannot read it as a Python signature; expected e.g. \"nms(boxes, scores, iou_threshold)\""
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    if a.vararg or a.kwarg or a.posonlyargs:
        return "*args, **kwargs and positional-only parameters are not supported; name each parameter"
    n_plain = len(a.args)
    out = [(arg.arg, i >= n_plain - len(a.defaults)) for i, arg in enumerate(a.args)]
    out += [(arg.arg, d is not None) for arg, d in zip(a.kwonlyargs, a.kw_defaults)]
    return tuple(out)


class AssignmentReader(_FileReader):
    def __init__(self, path: Path, syllabus: Syllabus, reference_dir: Path):
        super().__init__(path, syllabus, path.parent)
        self.reference_dir = reference_dir
        self._reference_defs: dict[str, set[str] | None] = {}

    def read(self) -> Assignment | None:
        try:
            tree = read_tree(self.path)
        except BankError as exc:
            self.problems.extend((0, m) for m in exc.problems)
            return None
        top_what = "a mapping with 'title' and 'functions'"
        if not isinstance(tree, YMap):
            self.problem(1, "(top)", f"expected {top_what}, got {_got(tree) if tree is not None else 'an empty file'}")
            return None
        allowed = {k.name: k for k in ASSIGNMENT_KEYS}
        self.keys(tree, "", allowed)
        values = {name: self.value(allowed[name].spec, tree[name], name, tree, name)
                  for name in allowed if name in tree and name != "functions"}
        folder = self.path.parent
        support = values.get("support", ())
        self.support = tuple(support) if support is not _BAD else ()
        self.path_folder = Path(self.path).parent
        if support is not _BAD:
            for i, name in enumerate(support):
                if not (folder / name).is_file():
                    self.error(tree["support"], i, f"support[{i}]", f"no file {name!r} in {folder}/; "
                               "expected a helper module beside assignment.yaml")
        library = values.get("library", "torch")
        functions = []
        raw = tree.get("functions")
        if "functions" in tree:
            if not isinstance(raw, YList) or not raw:
                self.error(tree, "functions", "functions", f"expected a list of functions, got {_got(raw)}")
            else:
                seen: dict[str, int] = {}
                for i, node in enumerate(raw):
                    f = self.function(node, f"functions[{i}]", raw, i, support if support is not _BAD else (),
                                      library)
                    if f is None:
                        continue
                    if f.name in seen:
                        self.error(node, "name", f"functions[{i}].name",
                                   f"{f.name!r} is listed twice (first at line {seen[f.name]}); expected each "
                                   "function once")
                        continue
                    seen[f.name] = f.line
                    functions.append(f)
        if self.problems or any(v is _BAD for v in values.values()):
            return None
        return Assignment(name=folder.name, folder=Path(self.path).resolve().parent, title=values["title"],
                          library=library, support=tuple(support), functions=tuple(functions),
                          seed=values.get("seed", 0))

    def function(self, node: Any, where: str, parent: YList, index: int, support: tuple[str, ...],
                 library: str) -> Function | None:
        if not isinstance(node, YMap):
            self.error(parent, index, where, f"expected a function (a mapping with name, file, reference, ...), "
                                             f"got {_got(node)}")
            return None
        n_problems = len(self.problems)
        allowed = {k.name: k for k in FUNCTION_KEYS}
        self.keys(node, where, allowed)
        v = {name: self.value(allowed[name].spec, node[name], f"{where}.{name}", node, name)
             for name in allowed if name in node and name != "tests"}
        if v.get("concepts", _BAD) is not _BAD:
            self.check_concepts(v["concepts"], node["concepts"], f"{where}.concepts")
        if v.get("file", _BAD) is not _BAD and v["file"] in support:
            self.error(node, "file", f"{where}.file", f"{v['file']!r} is a support module; expected the "
                       "file the student hands in")
        if v.get("reference", _BAD) is not _BAD:
            self.check_reference(v["reference"], node, f"{where}.reference")
        params: Any = _BAD
        if v.get("signature", _BAD) is not _BAD:
            params = parse_signature(v["signature"])
            if isinstance(params, str):
                self.error(node, "signature", f"{where}.signature", params)
                params = _BAD
            elif v.get("name", _BAD) is not _BAD and not v["signature"].strip().startswith(v["name"] + "("):
                self.error(node, "signature", f"{where}.signature",
                           f"names {v['signature'].split('(')[0].strip()!r}; expected {v['name']}(...)")
        compare = Compare()
        if isinstance(v.get("compare"), dict):
            c = v["compare"]
            compare = Compare(how=c["how"], rtol=c.get("rtol"), atol=c.get("atol"), part=tuple(c.get("part", ())),
                              keys=tuple(c.get("keys", ())), dtype=c.get("dtype", "kind"), equal_nan=c.get("equal_nan", True))
            if compare.how != "allclose" and ("rtol" in c or "atol" in c) and compare.how not in ("sorted", "set"):
                self.error(node["compare"], "rtol" if "rtol" in c else "atol", f"{where}.compare",
                           f"rtol/atol apply to allclose, set and sorted; 'how: {compare.how}' compares exactly")
        time = TimeLimit(**v["time"]) if isinstance(v.get("time"), dict) else TimeLimit()
        tests = []
        raw = node.get("tests")
        if "tests" in node:
            if not isinstance(raw, YList) or not raw:
                self.error(node, "tests", f"{where}.tests", f"expected a list of tests, got {_got(raw)}")
            else:
                ids: dict[str, int] = {}
                for i, t in enumerate(raw):
                    test = self.test(t, f"{where}.tests[{i}]", raw, i, params, library)
                    if test is None:
                        continue
                    if test.id in ids:
                        self.error(t, "id", f"{where}.tests[{i}].id",
                                   f"duplicate test id {test.id!r} (first at line {ids[test.id]}); expected "
                                   "ids unique within the function")
                    ids[test.id] = test.line
                    tests.append(test)
        if len(self.problems) > n_problems or any(x is _BAD for x in v.values()) or params is _BAD:
            return None
        return Function(name=v["name"], file=v["file"], reference=v["reference"], concepts=v["concepts"],
                        points=v["points"], signature=v["signature"].strip(), params=params, doc=v["doc"],
                        compare=compare, time=time, tests=tuple(tests), line=node.line)

    def check_reference(self, ref: str, node: YMap, where: str) -> None:
        module, fn = ref.rsplit(".", 1)
        path = self.reference_dir / f"{module}.py"
        if module not in self._reference_defs:
            self._reference_defs[module] = _defined_functions(path) if path.is_file() else None
        defs = self._reference_defs[module]
        if defs is None:
            known = sorted(p.stem for p in self.reference_dir.glob("*.py")) if self.reference_dir.is_dir() else []
            self.error(node, "reference", where, f"no readable reference module {module!r} "
                       f"({shown_path(path)})" + _did_you_mean(module, known, ""))
        elif fn not in defs:
            self.error(node, "reference", where, f"{shown_path(path)} defines no function {fn!r}"
                       + _did_you_mean(fn, sorted(d for d in defs if not d.startswith("_")), ""))

    def test(self, node: Any, where: str, parent: YList, index: int, params: Any, library: str) -> Test | None:
        if not isinstance(node, YMap):
            self.error(parent, index, where, f"expected a test (a mapping with id, visible, args), got {_got(node)}")
            return None
        n_problems = len(self.problems)
        allowed = {k.name: k for k in TEST_KEYS}
        self.keys(node, where, allowed)
        v = {name: self.value(allowed[name].spec, node[name], f"{where}.{name}", node, name)
             for name in allowed if name in node and name != "args"}
        args: list[tuple[str, ArgSpec]] = []
        raw = node.get("args")
        if "args" in node:
            if not isinstance(raw, YMap):
                self.error(node, "args", f"{where}.args", f"expected {_Args.what}, got {_got(raw)}")
            else:
                for k, line in raw.duplicates:
                    self.problem(line, f"{where}.args.{k}", "argument given twice; expected each once")
                for name, value in raw.items():
                    spec = self.arg(value, f"{where}.args.{name}", raw, name, library, 0)
                    if spec is not None:
                        args.append((str(name), spec))
                if params is not _BAD:
                    names = [p for p, _ in params]
                    for name in raw:
                        if name not in names:
                            self.error(raw, name, f"{where}.args.{name}", "not a parameter of the signature"
                                       + _did_you_mean(str(name), names, f"; expected one of {', '.join(names)}"))
                    for p, has_default in params:
                        if not has_default and p not in raw:
                            self.error(node, "args", f"{where}.args", f"missing argument {p!r} (the signature has no "
                                       "default for it)")
        if len(self.problems) > n_problems or any(x is _BAD for x in v.values()):
            return None
        return Test(id=v["id"], visible=v["visible"], args=tuple(args), repeat=v.get("repeat", 1),
                    stable=v.get("stable", True), about=v.get("about"), line=node.line)

    def arg(self, value: Any, where: str, parent: Any, key: Any, library: str, depth: int) -> ArgSpec | None:
        scalar = (lambda x: x is None or isinstance(x, (str, bool, int, float)))
        if scalar(value):
            return ArgSpec("python", value)
        if isinstance(value, list):
            if all(scalar(x) for x in value):
                return ArgSpec("python", list(value))
            self.error(parent, key, where, "a plain list holds numbers, text or true/false only; write "
                       "{value: [[...]]} for an array or {list: [...]} for a list of arrays")
            return None
        if not isinstance(value, YMap):
            self.error(parent, key, where, f"expected {_Args.what}, got {_got(value)}")
            return None
        forms = [k for k in ("value", "gen", "list", "dict", "call") if k in value]
        if len(forms) != 1:
            self.error(parent, key, where, ("only one of 'value', 'gen', 'list', 'dict' and 'call', got "
                                            + ", ".join(forms))
                       if forms else "expected {value: ...}, {gen: ...}, {list: [...]}, {dict: {...}} or "
                       "{call: module.function, args: {...}} (a mapping needs one of these keys)"
                       + _did_you_mean(next(iter(value), ""), ("value", "gen", "list", "dict", "call"), ""))
            return None
        if forms[0] in ("dict", "call"):
            return self.named_arg(value, forms[0], where, library, depth)
        for k, line in value.duplicates:
            self.problem(line, f"{where}.{k}", "key given twice; expected each key once")
        dtype = value.get("dtype")
        if "dtype" in value:
            if dtype not in DTYPES:
                self.error(value, "dtype", f"{where}.dtype", f"unknown dtype {_got(dtype)}" + _did_you_mean(
                    str(dtype), DTYPES, f"; expected one of {', '.join(DTYPES)}"))
                return None
            if dtype == "bfloat16" and library == "numpy":
                self.error(value, "dtype", f"{where}.dtype", "numpy has no bfloat16; expected float16, float32 "
                           "or float64 in a numpy assignment")
                return None
        form = forms[0]
        if form == "list":
            extra = [k for k in value if k != "list"]
            if extra:
                self.error(value, extra[0], f"{where}.{extra[0]}", "a {list: [...]} takes no other key")
                return None
            items = value["list"]
            if not isinstance(items, list) or depth > 2:
                self.error(value, "list", f"{where}.list", f"expected a list of arguments, got {_got(items)}")
                return None
            made = [self.arg(x, f"{where}.list[{i}]", items, i, library, depth + 1) for i, x in enumerate(items)]
            return None if any(m is None for m in made) else ArgSpec("list", items=tuple(made))
        if form == "value":
            extra = [k for k in value if k not in ("value", "dtype")]
            if extra:
                self.error(value, extra[0], f"{where}.{extra[0]}", "unknown key" + _did_you_mean(
                    str(extra[0]), ("value", "dtype"), "; a {value: ...} takes only 'dtype' beside it"))
                return None
            problem = _literal_problem(value["value"], dtype)
            if problem:
                self.error(value, "value", f"{where}.value", problem)
                return None
            return ArgSpec("value", value=_plain(value["value"]), dtype=dtype)
        name = value["gen"]
        gen = GENERATORS.get(name) if isinstance(name, str) else None
        if gen is None:
            self.error(value, "gen", f"{where}.gen", f"unknown generator {_got(name)}" + _did_you_mean(
                str(name), GENERATORS, f"; expected one of {', '.join(GENERATORS)}"))
            return None
        given = {k: _plain(x) for k, x in value.items() if k not in ("gen", "dtype")}
        bad = check_params(gen, given)
        for param, message in bad:
            self.error(value, param or "gen", f"{where}.{param or 'gen'}", message)
        if bad:
            return None
        if gen.dtype in INT_DTYPES + ("bool",) and dtype in ("float16", "bfloat16"):
            self.error(value, "dtype", f"{where}.dtype", f"generator {name!r} makes whole numbers; "
                       "expected an integer, float32/float64 or bool dtype")
            return None
        return ArgSpec("gen", gen=name, params=tuple(given.items()), dtype=dtype)


    def named_arg(self, value: YMap, form: str, where: str, library: str, depth: int) -> ArgSpec | None:
        """``{dict: {name: arg}}`` (a dict of arguments) or ``{call: module.function, args: {name: arg}}``
        (what a factory of the assignment's support modules makes of plain arguments, built in the worker)."""
        allowed = ("dict",) if form == "dict" else ("call", "args")
        extra = [k for k in value if k not in allowed]
        if extra:
            self.error(value, extra[0], f"{where}.{extra[0]}", "unknown key" + _did_you_mean(
                str(extra[0]), allowed, f"; a {{{form}: ...}} takes only {', '.join(allowed)}"))
            return None
        for k, line in value.duplicates:
            self.problem(line, f"{where}.{k}", "key given twice; expected each key once")
        target = ""
        if form == "call":
            target = value["call"]
            module, _, fn = str(target).partition(".")
            if not isinstance(target, str) or not re.match(r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$", target):
                self.error(value, "call", f"{where}.call", f"expected module.function of a support module, "
                           f"got {_got(target)}")
                return None
            if f"{module}.py" not in self.support:
                self.error(value, "call", f"{where}.call", f"{module}.py is not a support module of this "
                           "assignment; expected one listed under 'support'"
                           + (f" ({', '.join(self.support)})" if self.support else " (it lists none)"))
                return None
            defs = _defined_functions(self.path_folder / f"{module}.py")
            if defs is not None and fn not in defs:
                self.error(value, "call", f"{where}.call", f"{module}.py defines no function {fn!r}"
                           + _did_you_mean(fn, sorted(d for d in defs if not d.startswith("_")), ""))
                return None
        key = "dict" if form == "dict" else "args"
        raw = value.get(key, YMap() if form == "call" else None)
        if not isinstance(raw, YMap) or depth > 2:
            self.error(value, key, f"{where}.{key}", f"expected a mapping of names to arguments, got {_got(raw)}")
            return None
        names, made = [], []
        for name, item in raw.items():
            if not isinstance(name, str) or not name.isidentifier():
                self.error(raw, name, f"{where}.{key}", f"expected a name as the key, got {_got(name)}")
                return None
            names.append(name)
            made.append(self.arg(item, f"{where}.{key}.{name}", raw, name, library, depth + 1))
        if any(m is None for m in made):
            return None
        return ArgSpec(form, value=target or None, items=tuple(made), names=tuple(names))


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x


def _literal_problem(value: Any, dtype: str | None) -> str:
    """Why a literal array is unusable ("" when fine): nested lists of numbers, rectangular."""
    def shape(x: Any, depth: int) -> tuple[int, ...] | None:
        if isinstance(x, bool) or (isinstance(x, (int, float)) and not isinstance(x, bool)):
            return ()
        if isinstance(x, list) and depth < 8:
            inner = [shape(v, depth + 1) for v in x]
            if any(s is None for s in inner) or len(set(inner)) > 1:
                return None
            return (len(x),) + (inner[0] if inner else ())
        return None

    s = shape(value, 0)
    if s is None:
        return ("expected numbers, or nested lists of numbers of equal lengths (a rectangular array), got "
                + _got(value))
    if dtype in INT_DTYPES and any(isinstance(v, float) and not v.is_integer() for v in _flat(value)):
        return f"holds fractions but dtype is {dtype}; expected whole numbers or a float dtype"
    return ""


def _flat(x: Any):
    if isinstance(x, list):
        for v in x:
            yield from _flat(v)
    else:
        yield x
