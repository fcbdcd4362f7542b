"""Test inputs of code assignments: named, seeded generators (never hypothesis draws).

An argument of a test in ``assignment.yaml`` is one of:

- a plain YAML scalar (``0.5``, ``"all"``, ``true``, ``null``): handed over as that Python value;
- a plain YAML list of scalars (``[2, 2]``): handed over as a Python tuple;
- ``{value: [[0, 0, 2, 1]], dtype: float64}``: that literal as an array (a tensor in a torch
  assignment);
- ``{gen: boxes, n: 40, dtype: float32}``: an array drawn by the named generator of
  :data:`GENERATORS` with its parameters;
- ``{list: [arg, arg, ...]}``: a Python list of such arguments (e.g. one tensor per image);
- ``{dict: {name: arg, ...}}``: a Python dict of such arguments (e.g. a block's weights);
- ``{call: module.function, args: {name: arg, ...}}``: what ``function(**args)`` of one of the
  assignment's support modules returns, built inside the worker (e.g. expert callables made from
  seeded weight arrays); the parent calls the same factory for the reference's input.

Every draw comes from numpy's ``Generator(PCG64(...))`` seeded by (assignment, function, test,
repeat, attempt, argument name) through :func:`seed_of`, so a regrade on another machine, with
another hypothesis or torch version, gives the same inputs and the same scores. Values are drawn
in float64 and then cast to the argument's dtype.

Nothing here imports torch (``bank check`` validates parameters through :data:`GENERATORS`), and
numpy is imported only when an input is made.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable

#: dtype names an argument may ask for (numpy spelling; torch gets the same names).
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8")
DTYPES = (*FLOAT_DTYPES, *INT_DTYPES, "bool")


@dataclass(frozen=True)
class Param:
    """One parameter of a generator: its name, kind, default (``REQUIRED`` when none) and meaning."""

    name: str
    kind: str  # "int", "number", "bool", "shape", "choice:a|b|c"
    default: Any
    doc: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def what(self) -> str:
        if self.kind == "int":
            return "an integer"
        if self.kind == "count":
            return "a non-negative integer"
        if self.kind == "number":
            return "a number"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "shape":
            return "a shape such as [2, 3, 8] (non-negative integers)"
        if self.kind.startswith("choice:"):
            return "one of " + ", ".join(self.kind[7:].split("|"))
        return "a value"

    def accepts(self, value: Any) -> bool:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if self.kind == "int":
            return is_int
        if self.kind == "count":
            return is_int and value >= 0
        if self.kind == "number":
            return (is_int or isinstance(value, float)) and math.isfinite(value)
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "shape":
            return isinstance(value, list) and len(value) <= 8 and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v for v in value)
        if self.kind.startswith("choice:"):
            return isinstance(value, str) and value in self.kind[7:].split("|")
        return False


REQUIRED = object()


@dataclass(frozen=True)
class Generator:
    """A named input generator: ``make(rng, params)`` returns a float64, int64 or bool array."""

    name: str
    doc: str
    params: tuple[Param, ...]
    make: Callable[[Any, dict[str, Any]], Any]
    dtype: str = "float32"  # the default dtype of what it hands to the student
    #: Most elements one draw may make (a typo such as n: 10000000 is an error, not a hang).
    max_elements: int = 5_000_000
    size: Callable[[dict[str, Any]], int] = field(default=lambda p: 0)


def _shape_size(shape: list[int]) -> int:
    return math.prod(shape) if shape else 1


# --- the generators --------------------------------------------------------------------------------

def _normal(rng, p):
    return rng.normal(p["mean"], p["std"], size=tuple(p["shape"]))


def _uniform(rng, p):
    return rng.uniform(p["low"], p["high"], size=tuple(p["shape"]))


def _integers(rng, p):
    return rng.integers(p["low"], p["high"], size=tuple(p["shape"]), dtype="int64")


def _bernoulli(rng, p):
    return rng.random(size=tuple(p["shape"])) < p["p"]


def _box_sides(rng, n, p):
    return rng.uniform(p["min_side"], p["max_side"], size=(n, 2))


def _boxes(rng, p):
    import numpy as np

    n, size = p["n"], p["size"]
    wh = _box_sides(rng, n, p)
    x1 = rng.uniform(0, np.maximum(size - wh[:, 0], 0))
    y1 = rng.uniform(0, np.maximum(size - wh[:, 1], 0))
    xyxy = np.stack([x1, y1, x1 + wh[:, 0], y1 + wh[:, 1]], axis=1)
    if p["format"] == "xywh":
        return np.stack([x1, y1, wh[:, 0], wh[:, 1]], axis=1)
    if p["format"] == "cxcywh":
        return np.stack([x1 + wh[:, 0] / 2, y1 + wh[:, 1] / 2, wh[:, 0], wh[:, 1]], axis=1)
    return xyxy


def _scores(rng, p):
    import numpy as np

    n = p["n"]
    if p["distinct"]:
        # On a grid of 1/1000: no two scores tie, even in float16 (whose spacing near 1 is 1/2048).
        if n > 999:
            raise ValueError("distinct scores: n must be at most 999")
        return rng.choice(np.arange(1, 1000), size=n, replace=False) / 1000.0
    return rng.uniform(0, 1, size=n)


def _labels(rng, p):
    return rng.integers(0, p["classes"], size=p["n"], dtype="int64")


def _feature_map(rng, p):
    return rng.normal(0, 1, size=(p["batch"], p["channels"], p["height"], p["width"]))


def _rois(rng, p):
    import numpy as np

    k = p["k"]
    w = rng.uniform(p["min_side"], p["width"] * p["max_fraction"], size=k)
    h = rng.uniform(p["min_side"], p["height"] * p["max_fraction"], size=k)
    x1 = rng.uniform(0, np.maximum(p["width"] - w, 0))
    y1 = rng.uniform(0, np.maximum(p["height"] - h, 0))
    b = rng.integers(0, p["batch"], size=k).astype(np.float64)
    return np.stack([b, x1, y1, x1 + w, y1 + h], axis=1)


def _points(rng, p):
    shape = ((p["batch"],) if p["batch"] else ()) + (p["n"], p["dims"])
    return rng.uniform(-p["extent"], p["extent"], size=shape)


def _sequence(rng, p):
    b, t, d = p["batch"], p["length"], p["width"]
    shape = {"btd": (b, t, d), "tbd": (t, b, d), "td": (t, d)}[p["layout"]]
    return rng.normal(0, p["std"], size=shape)


def _logits(rng, p):
    return rng.normal(0, p["scale"], size=tuple(p["shape"]))


def _probabilities(rng, p):
    import numpy as np

    z = rng.normal(0, p["scale"], size=tuple(p["shape"]))
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _weights(rng, p):
    scale = p["scale"] if p["scale"] > 0 else 1 / math.sqrt(max(p["rows"], 1))
    shape = ((p["batch"],) if p["batch"] else ()) + (p["rows"], p["cols"])
    return rng.normal(0, scale, size=shape)


def _covariance(rng, p):
    import numpy as np

    d = p["dim"]
    shape = ((p["batch"],) if p["batch"] else ())
    a = rng.normal(0, 1, size=shape + (d, d))
    return a @ np.swapaxes(a, -1, -2) / d + p["jitter"] * np.eye(d)


def _monotone(rng, p):
    import numpy as np

    return np.sort(rng.uniform(p["low"], p["high"], size=tuple(p["shape"])), axis=-1)


def _causal_mask(rng, p):
    import numpy as np

    return np.tril(np.ones((p["length"], p["length"]), dtype=bool))


def _permutation(rng, p):
    return rng.permutation(p["n"]).astype("int64")


_SHAPE = Param("shape", "shape", REQUIRED, "the array's shape")
_N = Param("n", "count", REQUIRED, "how many")

GENERATORS: dict[str, Generator] = {g.name: g for g in (
    Generator("normal", "Normal draws N(mean, std²) of the given shape.",
              (_SHAPE, Param("mean", "number", 0.0, "mean"), Param("std", "number", 1.0, "standard deviation")),
              _normal, size=lambda p: _shape_size(p["shape"])),
    Generator("uniform", "Uniform draws in [low, high) of the given shape.",
              (_SHAPE, Param("low", "number", 0.0, "lower bound"), Param("high", "number", 1.0, "upper bound")),
              _uniform, size=lambda p: _shape_size(p["shape"])),
    Generator("integers", "Uniform integers in [low, high) of the given shape.",
              (_SHAPE, Param("low", "int", 0, "lowest value"), Param("high", "int", REQUIRED, "one past the highest")),
              _integers, dtype="int64", size=lambda p: _shape_size(p["shape"])),
    Generator("bernoulli", "True with probability p, of the given shape.",
              (_SHAPE, Param("p", "number", 0.5, "probability of true")),
              _bernoulli, dtype="bool", size=lambda p: _shape_size(p["shape"])),
    Generator("boxes", "Boxes[n, 4] inside a size × size image, sides in [min_side, max_side].",
              (_N, Param("size", "number", 100.0, "image side"),
               Param("min_side", "number", 2.0, "shortest side"), Param("max_side", "number", 50.0, "longest side"),
               Param("format", "choice:xyxy|xywh|cxcywh", "xyxy", "box format")),
              _boxes, size=lambda p: 4 * p["n"]),
    Generator("scores", "Scores[n] in (0, 1); distinct (the default) draws without repeats on a 1/1000 grid.",
              (_N, Param("distinct", "bool", True, "no two equal scores")),
              _scores, size=lambda p: p["n"]),
    Generator("labels", "Class labels[n] in [0, classes), int64.",
              (_N, Param("classes", "count", REQUIRED, "number of classes")),
              _labels, dtype="int64", size=lambda p: p["n"]),
    Generator("feature_map", "Feature maps[batch, channels, height, width], standard normal.",
              (Param("batch", "count", 1, "B"), Param("channels", "count", REQUIRED, "C"),
               Param("height", "count", REQUIRED, "H"), Param("width", "count", REQUIRED, "W")),
              _feature_map, size=lambda p: p["batch"] * p["channels"] * p["height"] * p["width"]),
    Generator("rois", "RoIs[k, 5] as (batch_index, x1, y1, x2, y2) inside a width × height image.",
              (Param("k", "count", REQUIRED, "K"), Param("batch", "count", 1, "images the indices range over"),
               Param("height", "number", REQUIRED, "image height"), Param("width", "number", REQUIRED, "image width"),
               Param("min_side", "number", 1.0, "shortest side"),
               Param("max_fraction", "number", 0.6, "longest side as a fraction of the image")),
              _rois, size=lambda p: 5 * p["k"]),
    Generator("points", "Point clouds[batch, n, dims] (no batch axis when batch is 0), uniform in ±extent.",
              (_N, Param("batch", "count", 0, "B (0: no batch axis)"), Param("dims", "count", 3, "coordinates"),
               Param("extent", "number", 1.0, "half the cube's side")),
              _points, size=lambda p: max(p["batch"], 1) * p["n"] * p["dims"]),
    Generator("sequence", "A sequence of vectors, standard normal (times std), laid out btd, tbd or td.",
              (Param("length", "count", REQUIRED, "T"), Param("batch", "count", 1, "B"),
               Param("width", "count", REQUIRED, "D"), Param("layout", "choice:btd|tbd|td", "btd", "axis order"),
               Param("std", "number", 1.0, "standard deviation")),
              _sequence, size=lambda p: p["length"] * p["batch"] * p["width"]),
    Generator("logits", "Logits N(0, scale²) of the given shape.",
              (_SHAPE, Param("scale", "number", 1.0, "standard deviation")),
              _logits, size=lambda p: _shape_size(p["shape"])),
    Generator("probabilities", "Probabilities of the given shape, each last-axis row a softmax (sums to 1).",
              (_SHAPE, Param("scale", "number", 1.0, "spread of the logits")),
              _probabilities, size=lambda p: _shape_size(p["shape"])),
    Generator("weights", "A weight matrix[rows, cols] ([in, out], applied as x @ W), N(0, scale²); "
              "scale 0 (the default) means 1/sqrt(rows).",
              (Param("rows", "count", REQUIRED, "in"), Param("cols", "count", REQUIRED, "out"),
               Param("batch", "count", 0, "a leading batch axis (0: none)"), Param("scale", "number", 0.0, "std")),
              _weights, size=lambda p: max(p["batch"], 1) * p["rows"] * p["cols"]),
    Generator("covariance", "A symmetric positive-definite matrix[dim, dim] (A·Aᵀ/dim + jitter·I).",
              (Param("dim", "count", REQUIRED, "size"), Param("batch", "count", 0, "a leading batch axis (0: none)"),
               Param("jitter", "number", 0.1, "added to the diagonal")),
              _covariance, size=lambda p: max(p["batch"], 1) * p["dim"] ** 2),
    Generator("monotone", "Uniform draws in [low, high], sorted along the last axis (e.g. a recall curve).",
              (_SHAPE, Param("low", "number", 0.0, "lower bound"), Param("high", "number", 1.0, "upper bound")),
              _monotone, size=lambda p: _shape_size(p["shape"])),
    Generator("causal_mask", "A [length, length] boolean mask, true where a query may attend (key index <= query index).",
              (Param("length", "count", REQUIRED, "T"),), _causal_mask, dtype="bool",
              size=lambda p: p["length"] ** 2),
    Generator("permutation", "A random permutation of 0 .. n-1, int64.",
              (_N,), _permutation, dtype="int64", size=lambda p: p["n"]),
)}


def with_defaults(gen: Generator, given: dict[str, Any]) -> dict[str, Any]:
    """The generator's parameters: ``given`` plus the defaults of the rest."""
    return {p.name: given.get(p.name, p.default) for p in gen.params}


def check_params(gen: Generator, given: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of ``given`` as (parameter or "", message): unknown, missing, wrong kind, too big."""
    import difflib

    known = {p.name: p for p in gen.params}
    out = []
    for name, value in given.items():
        p = known.get(name)
        if p is None:
            close = difflib.get_close_matches(str(name), list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; expected one of {', '.join(known)}, dtype" if known else "; it takes only dtype")
            out.append((name, f"generator {gen.name!r} has no parameter {name!r}{hint}"))
        elif not p.accepts(value):
            out.append((name, f"expected {p.what()}, got {value!r}"))
    for p in gen.params:
        if p.required and p.name not in given:
            out.append(("", f"generator {gen.name!r} needs {p.name!r} ({p.doc}: {p.what()})"))
    if not out:
        n = gen.size(with_defaults(gen, given))
        if n > gen.max_elements:
            out.append(("", f"generator {gen.name!r} would make {n:,} numbers; expected at most "
                            f"{gen.max_elements:,}"))
    return out


# --- argument specs, as read from assignment.yaml ------------------------------------------------------

@dataclass(frozen=True)
class ArgSpec:
    """How to make one argument (see the module docstring)."""

    # "python" (a plain value), "value" (a literal array), "gen" (a generator), "list",
    # "dict" (named arguments handed over as a dict), "call" (``value`` is "module.function" of a
    # support module, called in the worker with the named arguments)
    source: str
    value: Any = None  # the Python value, or the literal's nested lists
    gen: str = ""
    params: tuple[tuple[str, Any], ...] = ()
    dtype: str | None = None
    items: tuple["ArgSpec", ...] = ()
    names: tuple[str, ...] = ()  # of ``items``, for "dict" and "call"

    @property
    def generated(self) -> bool:
        return self.source == "gen" or any(i.generated for i in self.items)


def seed_of(*parts: object) -> int:
    """A 63-bit seed from the parts' text (stable across machines and Python versions)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def default_dtype(spec: ArgSpec) -> str:
    if spec.dtype:
        return spec.dtype
    if spec.source == "gen":
        return GENERATORS[spec.gen].dtype
    return "float32"


def make_array(spec: ArgSpec, seed: int) -> Any:
    """The float64 / int64 / bool numpy array of a ``value`` or ``gen`` argument (before the cast)."""
    import numpy as np

    if spec.source == "value":
        dtype = spec.dtype or None
        raw = np.asarray(spec.value)
        if raw.dtype == object:
            raise ValueError("a literal array must be rectangular (lists of equal length)")
        if dtype in ("bool",):
            return raw.astype(bool)
        if dtype in INT_DTYPES or (dtype is None and raw.dtype.kind in "iu"):
            return raw.astype(np.int64)
        return raw.astype(np.float64)
    gen = GENERATORS[spec.gen]
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.asarray(gen.make(rng, with_defaults(gen, dict(spec.params))))


def cast(array: Any, dtype: str) -> Any:
    """``array`` in the numpy dtype that carries ``dtype`` (bfloat16 travels as float32)."""
    import numpy as np

    if dtype == "bfloat16":
        return np.asarray(array, dtype=np.float32)
    if dtype == "bool":
        return np.asarray(array).astype(bool)
    if dtype in INT_DTYPES and np.asarray(array).dtype.kind == "f":
        return np.rint(array).astype(dtype)
    return np.asarray(array).astype(dtype)


def build_arg(spec: ArgSpec, seed: int, library: str, perturb: Any = None) -> Any:
    """The :class:`~cvquiz.grade.protocol.Arg` of ``spec`` for one test input.

    ``library`` is ``torch`` or ``numpy``: how arrays are handed to the student. ``perturb``, a
    numpy Generator, multiplies every floating array by ``1 + ε·u`` (u uniform in ±1, ε a few
    rounding units of the dtype; whole numbers such as a RoI's batch index stay exact): the parent uses it to find inputs that sit within rounding of a
    threshold or a tie (:mod:`cvquiz.grade.runner`).
    """
    import numpy as np

    from cvquiz.grade.protocol import Arg

    if spec.source == "python":
        return Arg("python", tuple(spec.value) if isinstance(spec.value, list) else spec.value)
    if spec.source == "list":
        return Arg("python", [build_arg(item, seed_of(seed, i), library, perturb)
                              for i, item in enumerate(spec.items)])
    if spec.source in ("dict", "call"):
        named = tuple((n, build_arg(item, seed_of(seed, n), library, perturb))
                      for n, item in zip(spec.names, spec.items))
        if spec.source == "dict":
            return Arg("dict", named)
        module, function = spec.value.split(".", 1)
        return Arg("factory", (module, function, named))
    dtype = default_dtype(spec)
    array = make_array(spec, seed)
    if perturb is not None and array.dtype.kind == "f":
        eps = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23}.get(dtype, 2.0 ** -52)
        noise = 16 * eps * perturb.uniform(-1, 1, size=array.shape)
        array = np.where(array == np.round(array), array, array * (1 + noise))  # whole numbers stay (indices)
    array = cast(array, dtype)
    if library == "torch":
        return Arg("torch", np.ascontiguousarray(array), dtype=dtype)
    if dtype == "bfloat16":
        raise ValueError("bfloat16 has no numpy dtype; use float16 or float32 in a numpy assignment")
    return Arg("numpy", np.ascontiguousarray(array))
