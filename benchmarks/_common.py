"""Helpers the suites share: loading the course's reference modules and comparing answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def reference(topic: str) -> ModuleType:
    """``reference/<topic>.py`` of this checkout, loaded by path (as the engine's course does)."""
    path = ROOT / "reference" / f"{topic}.py"
    spec = importlib.util.spec_from_file_location(f"cvquiz_bench_reference_{topic}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def close(atol: float = 1e-5, rtol: float = 1e-4):
    """A ``same`` check: both answers (tensors, arrays or tuples of them) agree within tolerances."""
    import numpy as np
    import torch

    def to_numpy(x):
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().double().numpy()
        return np.asarray(x, dtype=float)

    def same(a, b) -> bool:
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        x, y = to_numpy(a), to_numpy(b)
        return x.shape == y.shape and bool(np.allclose(x, y, atol=atol, rtol=rtol))

    return same


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
