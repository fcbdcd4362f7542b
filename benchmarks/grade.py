"""Per-submission overhead of the sandboxed grader (issue #13: at least 20x below a fresh
sandboxed ``import torch``).

Rows (``python -m benchmarks --suite grade``):

- one submission with 4 small calls through a warm :class:`~cvquiz.grade.executor.LocalExecutor`
  with every layer the machine offers, against what a zygote saves: a fresh process in a network
  namespace with the same rlimits that imports torch (what each submission would cost without one);
- the cost of the layers themselves: the same submission with every layer, against a separate
  process with rlimits only (``sandbox="unsafe"``);
- a class: 20 submissions on 2 workers, per submission.

The device plays no part (student code runs on the CPU here).
"""

from __future__ import annotations

import atexit
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SUBMISSION = '''
import numpy as np
import torch


def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    return inter / (box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def step(x, w):
    h = np.tanh(x @ w)
    return h, {"x": x}
'''


def _jobs(root: Path, n: int):
    from cvquiz.grade.protocol import Arg, Call, Job

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (16, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 20, (16, 2))], axis=1)
    x, w = rng.normal(size=(4, 8)), rng.normal(size=(8, 8))
    calls = (
        Call("area", "hw", "box_area", (Arg("torch", boxes),)),
        Call("iou", "hw", "box_iou", (Arg("torch", boxes), Arg("torch", boxes))),
        Call("softmax", "hw", "softmax", (Arg("numpy", x),)),
        Call("step", "hw", "step", (Arg("numpy", x), Arg("numpy", w)), output=(0,)),
    )
    sub = root / "hw"
    sub.mkdir(exist_ok=True)
    (sub / "hw.py").write_text(SUBMISSION)
    return [Job(f"s{k}", sub, calls) for k in range(n)]


def _fresh_sandboxed_import_torch() -> int:
    """A fresh confined process per submission: a network namespace, rlimits, ``import torch``."""
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    prefix = ["unshare", "--net"] if shutil.which("unshare") else []
    code = "import torch; torch.set_num_threads(1)"
    return subprocess.run([*prefix, sys.executable, "-c", code], preexec_fn=limits,
                          capture_output=True, check=False).returncode


def rows(device: str, quick: bool) -> list:
    from benchmarks.harness import Row
    from cvquiz.grade.executor import LocalExecutor

    root = Path(tempfile.mkdtemp(prefix="cvquiz-bench-grade-"))
    layered = LocalExecutor(workers=1, sandbox="available")
    bare = LocalExecutor(workers=1, sandbox="unsafe")
    pool = LocalExecutor(workers=2, sandbox="available")
    for ex in (layered, bare, pool):
        atexit.register(ex.close)
    atexit.register(shutil.rmtree, root, True)
    one = _jobs(root, 1)
    many = _jobs(root, 10 if quick else 20)

    def run(executor, jobs):
        def go():
            results = list(executor.run(jobs))
            return [[c.status for c in r.calls] for r in results]
        return go

    def all_ok(a, b) -> bool:
        return all(s == "ok" for r in a for s in r) and all(s == "ok" for r in b for s in r)

    per = len(many)
    return [
        Row("one submission, 4 calls, all layers", run(layered, one),
            _fresh_sandboxed_import_torch, "fresh process: unshare --net + rlimits + import torch",
            # the peer must really import torch: a CUDA build fails fast under the 1 GB RLIMIT_AS
            same=lambda ours, rc: rc == 0 and all(s == "ok" for r in ours for s in r),
            target=">= 20x faster"),
        Row("the layers' cost: all layers vs process + rlimits only", run(layered, one),
            run(bare, one), "same submission, sandbox='unsafe'", same=all_ok, target="<= 1.5x"),
        Row(f"a class: {per} submissions on 2 workers (whole batch)", run(pool, many), None, "-",
            missing="no peer: absolute figure", target=f"< {per * 65} ms"),
    ]
