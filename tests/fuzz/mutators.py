"""Hostile inputs: mutated YAML text (any YAML file) and typed answers.

Every generator takes a :class:`random.Random` so that a case is remade from its seed.
"""

from __future__ import annotations

import random
from typing import Callable

# --------------------------------------------------------------------------- YAML text

#: Values a type swap puts where a scalar was.
SWAPS = ["[]", "{}", "[1, [2, [3]]]", "{a: 1}", "null", "~", "true", "no", "0x1F", "1e400", "-.inf", ".nan",
         "2024-01-01", "12:30:00", "!custom x", "!!binary aGk=", "!!set {a, b}", "!!python/object:os.system x",
         "'quoted'", '"\\u0000"', "|\n  block\n  text", ">-\n  folded", "&a x", "*undefined", "-1", "1_000",
         "3/7", '"sqrt(2)/2"', "'" + "9" * 400 + "'", "[" * 60 + "]" * 60]
#: Characters that break text in odd ways: NUL, BOM, controls, bidi marks, full-width, emoji,
#: combining marks, a lone backslash, tabs, carriage returns, YAML indicators.
ODD_CHARS = ["\x00", "\ufeff", "\x07", "\x1b[31m", "\u202e", "\u200b", "\uff10", "😀", "e\u0301", "\\", "\t",
             "\r", "\r\n", "\u2028", "\x85", ":", "- ", "#", "&", "*", "!", "|", ">", "%", "@", "`", "{", "[", "'", '"']


def alias_bomb(rng: random.Random) -> str:
    """Anchors that each repeat the previous one ``fanout`` times (fanout**levels nodes)."""
    fanout, levels = rng.randint(2, 12), rng.randint(3, 10)
    lines = [f"b0: &b0 [{', '.join(['x'] * fanout)}]"]
    for i in range(1, levels + 1):
        lines.append(f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * fanout)}]")
    return "\n".join(lines) + "\n"


def nesting_bomb(rng: random.Random) -> str:
    depth = rng.choice([40, 60, 200, 1000, 3000])
    kind = rng.randrange(4)
    if kind == 0:
        return "[" * depth + "]" * depth
    if kind == 1:
        return "{a: " * depth + "1" + "}" * depth
    if kind == 2:
        return "[" * depth  # never closed
    return "\n" + "".join("  " * i + f"k{i}:\n" for i in range(min(depth, 400)))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def mutate_yaml(text: str, rng: random.Random) -> tuple[str, str | bytes]:
    """One mutation of YAML ``text``: ``(label, new text)``; bytes when it is no longer UTF-8."""
    lines = _lines(text)
    i = rng.randrange(len(lines))
    choice = rng.randrange(16)
    if choice == 0:
        return "truncate", text[: rng.randrange(len(text) + 1)]
    if choice == 1:
        del lines[i]
        return "delete-line", "".join(lines)
    if choice == 2:
        lines.insert(i, lines[rng.randrange(len(lines))])
        return "duplicate-line", "".join(lines)
    if choice == 3:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "swap-lines", "".join(lines)
    if choice == 4:
        line = lines[i]
        if ": " in line:
            key, _, _ = line.partition(": ")
            lines[i] = f"{key}: {rng.choice(SWAPS)}\n"
        else:
            lines[i] = line.rstrip("\n") + " " + rng.choice(SWAPS) + "\n"
        return "type-swap", "".join(lines)
    if choice == 5:
        pos = rng.randrange(len(text) + 1)
        return "odd-char", text[:pos] + rng.choice(ODD_CHARS) + text[pos:]
    if choice == 6:
        pos = rng.randrange(len(text) + 1)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        data = text.encode("utf-8")
        return "bytes", data[:pos] + junk + data[pos:]
    if choice == 7:
        return "alias-bomb", alias_bomb(rng) + text
    if choice == 8:
        line = lines[i]
        indent = line[: len(line) - len(line.lstrip())]
        lines.insert(i, f"{indent}deep: {nesting_bomb(rng)}\n")
        return "nesting-bomb", "".join(lines)
    if choice == 9:
        shift = rng.choice([-2, -1, 1, 2, 3])
        lines[i] = (" " * shift + lines[i]) if shift > 0 else lines[i][-shift:]
        return "indent", "".join(lines)
    if choice == 10:
        lines[i] = lines[i].replace("  ", "\t", 1)
        return "tab", "".join(lines)
    if choice == 11:
        line = lines[i]
        if ": " in line:
            key, _, value = line.partition(": ")
            lines[i] = f"{key}: &a{i} {value}" if rng.random() < 0.5 else f"{key}: *a{rng.randrange(len(lines))}\n"
        return "anchor", "".join(lines)
    if choice == 12:
        line = lines[i]
        if ": " in line:
            key, _, value = line.partition(": ")
            lines[i] = f"{key}: {rng.choice(['!custom', '!!str', '!!int', '!!float', '!!map', '!!seq', '!!omap'])} {value}"
        return "tag", "".join(lines)
    if choice == 13:
        return "documents", rng.choice(["---\n", "%YAML 1.1\n---\n", "--- !!map\n"]) + text + \
            rng.choice(["...\n", "---\nsecond: doc\n", ""])
    if choice == 14:
        lines[i] = lines[i].rstrip("\n") + " " + "x" * rng.choice([1_000, 50_000, 200_000]) + "\n"
        return "long-line", "".join(lines)
    lines.insert(i, lines[i] if ": " in lines[i] else "topic: detection\n")
    return "duplicate-key", "".join(lines)


def yaml_mutants(seeds: list[str], seed: int, depth: int = 3) -> tuple[str, str | bytes]:
    """A mutant of one of ``seeds``: up to ``depth`` mutations in a row, remade from ``seed``."""
    rng = random.Random(seed)
    text: str | bytes = rng.choice(seeds)
    labels = []
    for _ in range(rng.randint(1, depth)):
        if isinstance(text, bytes):
            break
        label, text = mutate_yaml(text, rng)
        labels.append(label)
    return "+".join(labels), text


# --------------------------------------------------------------------------- typed answers

FUNCTIONS = ["log", "ln", "floor", "ceil", "sqrt", "exp", "abs", "sin", "cos", "tan", "tanh", "sinh", "cosh",
             "asin", "atan", "max", "min", "log10", "log2"]
CORES = ["(N^1000)^1000", "((sqrt(N))^-1000)^999", "((N+1)^1000)^1000", "N^1000", "(N+1)^100", "(N+1)^300",
         "2^N", "N^N", "(N^N)^N", "exp(exp(N))", "10^1000", "9^9^9", "N", "N+1", "1/N", "(N-1)^50*(N+1)^50",
         "0.5", "1e308", "pi", "√N", "N!", "N^-1"]
ATOMS = ["N", "d", "2", "0", "-1", "0.5", "1e9", "pi", "e", "1/3", "√2", "３", "π", "½", "x", "N_k", "nan", "inf"]
OPS = ["+", "-", "*", "/", "^", "**", " ", ""]


def _compose(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(CORES + ATOMS)
    roll = rng.random()
    if roll < 0.45:
        f = rng.choice(FUNCTIONS)
        inner = _compose(rng, depth - 1)
        return f"{f}({inner}, {_compose(rng, 0)})" if f in ("max", "min") else f"{f}({inner})"
    if roll < 0.75:
        return f"({_compose(rng, depth - 1)})^{rng.choice(['2', '10', '100', '1000', '-999', '0.5', 'N', '1/3'])}"
    return f"{_compose(rng, depth - 1)} {rng.choice(OPS[:5])} {_compose(rng, depth - 1)}"


def composition(rng: random.Random) -> str:
    """Nested function and power compositions such as ``log(floor((N^1000)^1000))``."""
    return _compose(rng, rng.randint(1, 4))


def token_soup(rng: random.Random) -> str:
    alphabet = ATOMS + OPS + FUNCTIONS + ["(", ")", "[", "]", ",", "%", "=", "≈", "×10⁻", "e", "E", "..."] + ODD_CHARS
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))


def typed_answer(seed: int) -> tuple[str, str]:
    """A hostile typed answer remade from ``seed``: ``(label, text)``."""
    rng = random.Random(seed)
    roll = rng.random()
    if roll < 0.6:
        return "composition", composition(rng)
    if roll < 0.8:
        return "soup", token_soup(rng)
    if roll < 0.9:
        return "long", rng.choice(["9", "N*", "(", "sqrt(", "1+"]) * rng.randint(50, 400)
    return "tower", "^".join(rng.choice(["9", "N", "2", "(N+1)", "10"]) for _ in range(rng.randint(2, 8)))


GENERATORS: dict[str, Callable[[int], tuple[str, str]]] = {"typed_answer": typed_answer}
