"""Read one bank file strictly: its YAML tree → typed questions, every problem with its line.

:class:`_FileReader` checks each question against the models of :mod:`cvquiz.bank.schema`
and collects every problem as ``file:line: key.path: what is wrong; what was expected``
(unknown keys get a "did you mean"); :mod:`cvquiz.bank.load` runs one reader per file and
checks what spans files (duplicate ids, ``follows``). Numbers written as expressions are parsed
by the safe parser of :mod:`cvquiz.answers.parse` (never ``eval``). Nothing here imports torch.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

from cvquiz.bank import schema as S
from cvquiz.bank.syllabus import Syllabus
from cvquiz.bank.yamltree import YList, YMap, line_in, plain, read_tree
from cvquiz.errors import BankError
from cvquiz.text import Text

#: Most questions in one bank file (a file is also at most 2 MB, see :mod:`cvquiz.bank.yamltree`).
MAX_QUESTIONS = 2_000
_BAD = object()  # a value that failed its check (the problem is already recorded)
_EXPR_EXPECTED = 'a number or an exact expression such as "3/7" or "sqrt(2)/2"'


def _got(value: Any) -> str:
    """How a bad value is quoted in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return str(value)


def _did_you_mean(name: str, choices: Iterable[str], otherwise: str) -> str:
    """``; did you mean 'x'?`` for the closest choice (or one that ``name`` starts with), else ``otherwise``."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), choices, n=1)
    if not close:
        close = [c for c in choices if len(c) >= 3 and str(name).startswith(c)][:1]
    return f"; did you mean {close[0]!r}?" if close else otherwise


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and (not isinstance(v, float) or math.isfinite(v)))


class _FileReader:
    def __init__(self, path: Path, syllabus: Syllabus, assignments_dir: Path | None, *, trusted: bool = False):
        self.path = path
        #: The file was read clean before (:mod:`cvquiz.bank.trust`): keep the structural checks,
        #: skip those that need sympy or the generators, and parse exact answers on first use.
        self.trusted = trusted
        #: False once a question uses a generator from outside cvquiz (a test's): the marker of a
        #: clean read does not record which generators were registered, so such a file is not marked.
        self.markable = True
        self.display = str(path)
        self.syllabus = syllabus
        self.assignments_dir = assignments_dir if assignments_dir is not None else path.parent / "assignments"
        self.problems: list[tuple[int, str]] = []
        self.questions: list[S.Question] = []
        self.ids: list[tuple[str, int, str, int]] = []  # every readable id: (id, its line, key path, question line)
        self.follows: list[tuple[str, str, int, str]] = []  # (id, the id it follows, line of 'follows', key path)
        self.topic = ""
        self._generators: dict | None = None

    # -- problems
    def problem(self, line: int, where: str, message: str) -> None:
        self.problems.append((line, f"{self.display}:{line}: {where}: {message}"))

    def error(self, node: Any, key: Any, where: str, message: str) -> None:
        self.problem(line_in(node, key), where, message)

    def sorted_problems(self) -> list[str]:
        return [m for _, m in sorted(self.problems, key=lambda p: p[0])]

    # -- generic reading, driven by the key table of schema.py
    def keys(self, node: YMap, where: str, allowed: dict[str, S.Key], *,
             others: dict[str, list[str]] | None = None, kind: str = "", required: bool = True) -> bool:
        """Report duplicate, unknown and missing keys; True when there were none."""
        ok = True
        path = (lambda k: f"{where}.{k}" if where else str(k))
        for k, line in node.duplicates:
            self.problem(line, path(k), "key given twice; expected each key once")
            ok = False
        for k in node:
            if k in allowed:
                continue
            ok = False
            if others and k in others:
                owners = others[k]
                self.error(node, k, path(k), f"a {kind} question has no {k!r} (only {', '.join(owners)} "
                                              f"{'has' if len(owners) == 1 else 'have'} it); "
                                              f"expected one of {', '.join(allowed)}")
            else:
                self.error(node, k, path(k), "unknown key" + _did_you_mean(
                    k, allowed, f"; expected one of {', '.join(allowed)}"))
        for name, k in allowed.items():
            if required and k.required and name not in node:
                ok = False
                self.error(node, None, where or "(top)", f"missing required key {name!r}; expected {k.spec.what}")
        return ok

    def value(self, spec: S.Spec, value: Any, where: str, parent: Any, key: Any) -> Any:
        """Check ``value`` against ``spec`` and convert it (Text, tuple, dict); ``_BAD`` on a problem."""
        def bad(message: str | None = None) -> object:
            self.error(parent, key, where, message or f"expected {spec.what}, got {_got(value)}")
            return _BAD

        if isinstance(spec, S.TextSpec):
            if not isinstance(value, dict):
                return bad()
            ok = self.keys(value, where, {"en": S.Key("en", S.Str()), "zh": S.Key("zh", S.Str())}, required=False)
            missing = [k for k in ("en", "zh") if k not in value]
            if missing:
                return bad(f"missing {' and '.join(repr(m) for m in missing)}; "
                           "expected non-empty text in both 'en' and 'zh'")
            for lang in ("en", "zh"):
                text = value[lang]
                if not isinstance(text, str):
                    self.error(value, lang, f"{where}.{lang}", f"expected text, got {_got(text)}")
                    ok = False
                elif not text.strip():
                    self.error(value, lang, f"{where}.{lang}", "empty; expected non-empty text in both 'en' and 'zh'")
                    ok = False
            return Text(en=value["en"].strip(), zh=value["zh"].strip()) if ok else _BAD
        if isinstance(spec, S.Str):
            if not isinstance(value, str) or not value.strip() or (
                    not isinstance(spec, S.ConceptId) and spec.pattern and not re.match(spec.pattern, value)):
                return bad()
            return value
        if isinstance(spec, S.Int):
            if not _is_int(value) or (spec.minimum is not None and value < spec.minimum) or (
                    spec.maximum is not None and value > spec.maximum):
                return bad()
            return value
        if isinstance(spec, S.Number):
            if not _is_number(value) or (spec.minimum is not None and (
                    value <= spec.minimum if spec.exclusive else value < spec.minimum)) or (
                    spec.maximum is not None and value > spec.maximum):
                return bad()
            return value
        if isinstance(spec, S.Bool):
            return value if isinstance(value, bool) else bad()
        if isinstance(spec, S.NumberOrExpr):
            if _is_number(value) or (isinstance(value, str) and value.strip()):
                return value
            return bad()
        if isinstance(spec, S.ListOf):
            if not isinstance(value, list):
                return bad()
            n = len(value)
            if n < spec.min_items or (spec.max_items is not None and n > spec.max_items):
                return bad(f"expected {spec.what}, got {'an empty list' if n == 0 else f'{n} item' + 's' * (n != 1)}")
            items = [self.value(spec.item, v, f"{where}[{i}]", value, i) for i, v in enumerate(value)]
            return _BAD if any(v is _BAD for v in items) else tuple(items)
        if isinstance(spec, S.Record):
            if not isinstance(value, dict):
                return bad()
            allowed = {k.name: k for k in spec.keys}
            ok = self.keys(value, where, allowed)
            if spec.min_keys and not value:
                return bad(f"expected {spec.what}, got an empty mapping")
            out = {}
            for name in allowed:
                if name in value:
                    out[name] = self.value(allowed[name].spec, value[name], f"{where}.{name}", value, name)
                    ok = ok and out[name] is not _BAD
            return out if ok else _BAD
        if isinstance(spec, S.Options):
            if not isinstance(value, dict):
                return bad()
            ok = self.keys(value, where, {k: S.Key(k, spec) for k in value})
            scalar = (lambda v: isinstance(v, (str, bool)) or _is_number(v))
            for name, v in value.items():
                if not (scalar(v) or (isinstance(v, list) and all(scalar(x) for x in v))):
                    self.error(value, name, f"{where}.{name}",
                               f"expected a number, text, true/false or a list of them, got {_got(v)}")
                    ok = False
            return {k: plain(v) for k, v in value.items()} if ok else _BAD
        raise TypeError(f"no reader for {spec!r}")  # a new Spec without a reader: a bug here

    # -- the file
    def run(self) -> None:
        """Read the file: fills ``questions``, ``ids`` and ``problems``."""
        try:
            tree = read_tree(self.path)
        except BankError as exc:
            self.problems.extend((0, m) for m in exc.problems)
            return
        top_what = "a mapping with 'topic' and 'questions'"
        if tree is None:
            self.problem(1, "(top)", f"empty file; expected {top_what}")
            return
        if not isinstance(tree, YMap):
            self.problem(1, "(top)", f"expected {top_what}, got {_got(tree)}")
            return
        self.keys(tree, "", {k.name: k for k in S.BANK_KEYS})
        topic = tree.get("topic")
        topics = [t.id for t in self.syllabus.topics]
        if "topic" in tree:
            if not isinstance(topic, str) or topic not in topics:
                self.error(tree, "topic", "topic", f"unknown topic {_got(topic)}" + _did_you_mean(
                    topic, topics, f"; expected one of {', '.join(topics)}"))
            elif self.path.stem in topics and topic != self.path.stem:
                self.error(tree, "topic", "topic", f"{topic!r} in {self.path.name}; expected {self.path.stem!r} "
                           f"(the bank of topic T is T.yaml)")
            else:
                self.topic = topic
        raw = tree.get("questions")
        if "questions" in tree and not isinstance(raw, YList):
            self.error(tree, "questions", "questions", f"expected a list of questions, got {_got(raw)}")
            return
        if raw is not None and len(raw) > MAX_QUESTIONS:
            self.error(raw, MAX_QUESTIONS, f"questions[{MAX_QUESTIONS}]",
                       f"more than {MAX_QUESTIONS:,} questions in one file ({len(raw):,}); "
                       "split the bank into several files")
            return
        for i, node in enumerate(raw or []):
            q = self.question(node, f"questions[{i}]", raw, i)
            if q is not None:
                self.questions.append(q)

    def question(self, node: Any, where: str, parent: YList, index: int) -> S.Question | None:
        if not isinstance(node, YMap):
            self.error(parent, index, where, f"expected a question (a mapping with id, kind, concepts, ...), "
                                             f"got {_got(node)}")
            return None
        n_problems = len(self.problems)
        qid = node.get("id")
        if isinstance(qid, str) and re.match(S.ID_PATTERN, qid):
            self.ids.append((qid, line_in(node, "id"), where, node.line))
        kind = node.get("kind")
        if "kind" not in node:
            self.error(node, None, where, f"missing required key 'kind'; expected one of {', '.join(S.KINDS)}")
            return None
        if not isinstance(kind, str) or kind not in S.QUESTION_TYPES:
            self.error(node, "kind", f"{where}.kind", f"unknown kind {_got(kind)}" + _did_you_mean(
                kind, S.KINDS, f"; expected one of {', '.join(S.KINDS)}"))
            return None
        cls = S.QUESTION_TYPES[kind]
        table = S.question_keys(cls)
        allowed = {"kind": S.Key("kind", S.Str(), True), **{name: k for name, (_, k) in table.items()}}
        self.keys(node, where, allowed, others=_OTHER_KINDS_KEYS, kind=kind)
        if isinstance(qid, str) and isinstance(node.get("follows"), str) and re.match(S.ID_PATTERN, node["follows"]):
            self.follows.append((qid, node["follows"].strip(), line_in(node, "follows"), f"{where}.follows"))
        values: dict[str, Any] = {}
        raw: dict[str, Any] = {}
        for name, (attr, k) in table.items():
            if name in node:
                raw[name] = node[name]
                values[attr] = self.value(k.spec, node[name], f"{where}.{name}", node, name)
        if values.get("concepts", _BAD) is not _BAD:
            self.check_concepts(values["concepts"], node["concepts"], f"{where}.concepts")
        extra = getattr(self, f"kind_{kind}")(node, where, values, raw)
        if len(self.problems) > n_problems:
            return None
        fields = {attr: v for attr, v in values.items()}
        fields.update(extra)
        return cls(**fields, topic=self.topic, file=self.display, line=node.line)

    def check_concepts(self, concepts: tuple[str, ...], node: YList, where: str) -> None:
        known = self.syllabus.concepts
        for i, cid in enumerate(concepts):
            if cid not in known:
                resolved = self.syllabus.resolve(cid)
                hint = (f"; did you mean {resolved[0]!r}?" if len(resolved) == 1 else
                        _did_you_mean(cid, known, "; expected a concept id of syllabus.yaml (`cvquiz topics`)"))
                self.error(node, i, f"{where}[{i}]", f"unknown concept {cid!r}{hint}")
            elif cid in concepts[:i]:
                self.error(node, i, f"{where}[{i}]", f"{cid!r} is listed twice; expected each concept once")

    # -- kind by kind: semantic checks, and the derived fields of the model
    def kind_choice(self, node: YMap, where: str, values: dict, raw: dict, multi: bool = False) -> dict:
        choices = values.get("choices", _BAD)
        if choices is _BAD:
            return {}
        items = node["choices"]
        made = tuple(S.Choice(text=c["text"], correct=c.get("correct", False), feedback=c.get("feedback"))
                     for c in choices)
        correct = [i for i, c in enumerate(made) if c.correct]
        if not correct:
            self.error(node, "choices", f"{where}.choices", "no choice is marked 'correct: true'; expected "
                       + ("at least one" if multi else "exactly one"))
        elif len(correct) > 1 and not multi:
            self.error(node, "choices", f"{where}.choices",
                       f"{' and '.join(f'choices[{i}]' for i in correct)} are marked correct; expected exactly "
                       "one (a question with several correct choices is kind 'multi')")
        for i, c in enumerate(made):
            if not c.correct and c.feedback is None:
                self.error(items, i, f"{where}.choices[{i}]",
                           "missing 'feedback'; a wrong choice needs feedback naming the misconception it reveals")
            for j in range(i):
                if made[j].text.en == c.text.en or made[j].text.zh == c.text.zh:
                    self.error(items[i], "text", f"{where}.choices[{i}].text",
                               f"same text as choices[{j}]; expected distinct choices")
                    break
        return {"choices": made}

    def kind_multi(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        return self.kind_choice(node, where, values, raw, multi=True)

    def kind_truefalse(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        return {}

    def kind_numeric(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        extra: dict[str, Any] = {}
        tol = S.DEFAULT_TOLERANCE
        if isinstance(values.get("tol"), dict):
            tol = S.Tolerance(**values["tol"])
            values["tol"] = tol
        exact = _BAD
        if self.trusted and values.get("exact", _BAD) is not _BAD:
            extra["answer_text"] = str(raw["answer"]).strip()
            answer, listed = values["exact"], values.get("wrong", ())
            values["exact"] = S.Deferred(lambda: _exact_value(answer, self.display, node))
            values["wrong"] = S.Deferred(lambda: tuple(
                _mistake(_exact_value(m["answer"], self.display, node), m) for m in listed))
            return extra
        if values.get("exact", _BAD) is not _BAD:
            exact = self.exact(values["exact"], f"{where}.answer", node, "answer")
            values["exact"] = exact
            extra["answer_text"] = str(raw["answer"]).strip()
        if exact is _BAD or values.get("tol") is _BAD:
            return extra
        from cvquiz.answers.check import agrees

        value = values.get("value")
        if value is not None and value is not _BAD:
            import sympy

            if not _agrees(agrees, "number", exact, sympy.Rational(repr(value)), tol):
                self.error(node, "value", f"{where}.value",
                           f"{value!r} does not agree with the answer {extra['answer_text']!r} "
                           f"(≈ {float(exact):.6g}) within the tolerance ({tol.describe().en}); "
                           "expected the answer's value")
        values["wrong"] = self.mistakes(node, where, values, lambda m, w, p, k: self.exact(m, w, p, k),
                                        lambda m: _agrees(agrees, "number", exact, m, tol),
                                        "would be accepted as correct (it is within the tolerance)")
        return extra

    def kind_expression(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        names = values.get("names", _BAD)
        if names is _BAD:
            return {}
        for i, name in enumerate(names):
            if name in names[:i]:
                self.error(node["symbols"], i, f"{where}.symbols[{i}]",
                           f"{name!r} is listed twice; expected each symbol once")
        extra: dict[str, Any] = {}
        formula = values.get("formula", _BAD)
        if formula is _BAD:
            return extra
        extra["answer_text"] = formula.strip()
        if self.trusted:
            listed = values.get("wrong", ())
            values["formula"] = S.Deferred(lambda: _formula_value(formula, names, self.display, node))
            values["wrong"] = S.Deferred(lambda: tuple(
                _mistake(_formula_value(m["answer"], names, self.display, node), m) for m in listed))
            return extra
        parsed = self.formula(formula, names, f"{where}.answer", node, "answer")
        values["formula"] = parsed
        if parsed is _BAD:
            return extra
        from cvquiz.answers.check import agrees

        values["wrong"] = self.mistakes(node, where, values,
                                        lambda m, w, p, k: self.formula(m, names, w, p, k),
                                        lambda m: _agrees(agrees, "expression", parsed, m, None),
                                        "is equivalent to the answer; expected a wrong formula")
        return extra

    def kind_shape(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        dims = values.get("dims", _BAD)
        if dims is not _BAD:
            values["wrong"] = self.mistakes(node, where, values, lambda m, w, p, k: tuple(m),
                                            lambda m: m == dims, "equals the answer; expected a wrong shape")
        return {}

    def kind_order(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        indices = values.get("indices", _BAD)
        ordered = values.get("ordered", True)
        if indices is _BAD or ordered is _BAD:
            return {}
        if not ordered:
            for i, v in enumerate(indices):
                if v in indices[:i]:
                    self.error(node["answer"], i, f"{where}.answer[{i}]",
                               f"index {v} is listed twice; expected each index once when 'ordered' is false")
        typed = (lambda m: list(m)) if ordered else (lambda m: frozenset(m))
        values["wrong"] = self.mistakes(node, where, values, lambda m, w, p, k: typed(m),
                                        lambda m: m == typed(indices), "equals the answer"
                                        + ("" if ordered else " as a set") + "; expected a wrong list")
        return {}

    def kind_generated(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        name = values.get("generator", _BAD)
        if name is _BAD or self.trusted:  # trusted: the generator and its options were found before
            return {}
        generators = self.generators(node, where)
        if generators is None:
            return {}
        gen = generators.get(name)
        if gen is not None and not getattr(gen.make, "__module__", "").startswith("cvquiz.problems."):
            self.markable = False
        if gen is None:
            self.error(node, "generator", f"{where}.generator", f"unknown generator {name!r}" + _did_you_mean(
                name, generators, "; expected a kind of `cvquiz generate --list`"))
            return {}
        options = values.get("options", {})
        if options is _BAD:
            return {}
        for opt in options:
            if opt not in gen.options:
                takes = (f"expected one of {', '.join(gen.options)}" if gen.options else "it takes no options")
                self.error(node["options"], opt, f"{where}.options.{opt}",
                           f"generator {name!r} has no option {opt!r}" + _did_you_mean(opt, gen.options, f"; {takes}"))
        return {}

    def kind_code(self, node: YMap, where: str, values: dict, raw: dict) -> dict:
        name = values.get("assignment", _BAD)
        if name is not _BAD and not (self.assignments_dir / name).is_dir():
            shown = self.assignments_dir
            folders = sorted(p.name for p in self.assignments_dir.iterdir() if p.is_dir()) \
                if self.assignments_dir.is_dir() else []
            self.error(node, "assignment", f"{where}.assignment", f"no folder {name!r} in {shown}/"
                       + _did_you_mean(name, folders, f"; expected a folder of {shown}/"))
        return {}

    # -- helpers of the kinds
    def mistakes(self, node: YMap, where: str, values: dict, convert, same, same_message: str) -> Any:
        """Convert each mistake's answer; report one that is the right answer after all."""
        from cvquiz.answers import Mistake

        listed = values.get("wrong", ())
        if listed is _BAD:
            return _BAD
        out = []
        for i, m in enumerate(listed):
            w = f"{where}.mistakes[{i}].answer"
            item = node["mistakes"][i]
            answer = convert(m["answer"], w, item, "answer")
            if answer is _BAD:
                continue
            if same(answer):
                shown = (f"[{', '.join(map(str, m['answer']))}]" if isinstance(m["answer"], (list, tuple))
                         else _got(m["answer"]))
                self.error(item, "answer", w, f"{shown} {same_message}")
                continue
            out.append(Mistake(answer=answer, feedback=m["feedback"]))
        return tuple(out)

    def exact(self, raw: Any, where: str, parent: Any, key: Any) -> Any:
        """A number of the bank (an int, a decimal, or an expression string) as an exact sympy number."""
        try:
            value = _exact_number(raw)
        except Exception:  # the parser's AnswerFormatError, or sympy failing on a pathological input
            self.error(parent, key, where, f"cannot read {raw!r} as a number; expected {_EXPR_EXPECTED}")
            return _BAD
        if not (getattr(value, "is_number", False) and value.is_real and value.is_finite):
            self.error(parent, key, where, f"{raw!r} is not a finite real number; expected {_EXPR_EXPECTED}")
            return _BAD
        return value

    def formula(self, raw: str, names: Sequence[str], where: str, parent: Any, key: Any) -> Any:
        from cvquiz.answers.parse import parse_expression

        expected = f"a formula in {', '.join(names)} (the names listed in 'symbols')"
        try:
            expr = parse_expression(raw, names)
        except Exception:  # the parser's AnswerFormatError, or sympy failing on a pathological input
            stray = [n for n in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", raw)) if n not in names]
            try:
                readable = bool(stray) and parse_expression(raw, [*names, *stray]) is not None
            except Exception:  # still unreadable: it is not (only) a matter of names
                readable = False
            used = [n for n in stray if readable and _uses(raw, n, names, stray)]
            self.error(parent, key, where, f"{raw!r} uses {', '.join(used)}, not listed in 'symbols'; expected {expected}"
                       if used else f"cannot read {raw!r} as a formula; expected {expected}")
            return _BAD
        stray = sorted(str(s) for s in getattr(expr, "free_symbols", ()) if str(s) not in names)
        if stray:
            self.error(parent, key, where, f"{raw!r} uses {', '.join(stray)}; expected {expected}")
            return _BAD
        return expr

    def generators(self, node: YMap, where: str) -> dict | None:
        if self._generators is None:
            from cvquiz.problems.registry import registry

            try:
                self._generators = registry()
            except Exception as exc:  # a broken generator module: say so where it matters
                self.error(node, "generator", f"{where}.generator",
                           f"the problem generators could not be loaded ({type(exc).__name__}: {exc})")
                return None
        return self._generators


def _mistake(answer: Any, listed: dict) -> Any:
    from cvquiz.answers import Mistake

    return Mistake(answer=answer, feedback=listed["feedback"])


def _unreadable(display: str, node: YMap, raw: Any) -> BankError:
    """A trusted file's answer that no longer reads (sympy or the parser changed since it was checked)."""
    return BankError(f"{display}:{node.line}: cannot read {raw!r}, which read before; "
                     "`cvquiz bank check` checks the file again")


def _exact_number(raw: Any) -> Any:
    """An int, a decimal or an expression string of the bank as an exact sympy number (raises
    the parser's error when it does not read)."""
    import sympy

    if _is_int(raw):
        return sympy.Integer(raw)
    if isinstance(raw, float):
        return sympy.Rational(repr(raw))
    from cvquiz.answers.parse import parse_number

    return parse_number(raw)


def _exact_value(raw: Any, display: str, node: YMap) -> Any:
    """An exact number of a file read clean before (:func:`_exact_number`, without the checks)."""
    try:
        return _exact_number(raw)
    except Exception:  # noqa: BLE001 - read clean before: say so instead of guessing
        raise _unreadable(display, node, raw) from None


def _formula_value(raw: str, names: Sequence[str], display: str, node: YMap) -> Any:
    """A formula of a file read clean before (as :meth:`_FileReader.formula`, without the checks)."""
    from cvquiz.answers.parse import parse_expression

    try:
        return parse_expression(raw, names)
    except Exception:  # noqa: BLE001 - read clean before: say so instead of guessing
        raise _unreadable(display, node, raw) from None


def _uses(raw: str, name: str, names: Sequence[str], stray: Sequence[str]) -> bool:
    """Whether ``name`` is a symbol of ``raw`` (and not a function such as sqrt or exp)."""
    from cvquiz.answers.parse import parse_expression

    try:
        parse_expression(raw, [*names, *(n for n in stray if n != name)])
    except Exception:  # unreadable without it: it is one of the stray symbols
        return True
    return False


def _agrees(agrees, kind: str, expected: Any, value: Any, tolerance: Any) -> bool:
    try:
        return bool(agrees(kind, expected, value, tolerance))
    except Exception:  # sympy cannot compare the two: they do not visibly agree
        return False


#: For "a numeric question has no 'choices' (only choice, multi do)".
_OTHER_KINDS_KEYS: dict[str, list[str]] = {}
for _kind, _cls in S.QUESTION_TYPES.items():
    for _name in S.question_keys(_cls):
        _OTHER_KINDS_KEYS.setdefault(_name, []).append(_kind)
