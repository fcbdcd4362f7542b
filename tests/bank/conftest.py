"""A tiny syllabus and bank for the loader's tests, and a test problem generator."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cvquiz.bank.syllabus import load_syllabus

SYLLABUS = """\
topics:
  - id: detection
    title: {en: Detection, zh: 检测}
    concepts:
      - id: detection.nms
        title: {en: Non-maximum suppression, zh: 非极大值抑制}
        summary: {en: "Keep the best box, drop its overlaps.", zh: 保留最好的框，去掉与它重叠的框。}
        aliases: [nms, non-maximum suppression]
        needs: [algo, num]
      - id: detection.metrics
        title: {en: "Precision, recall and AP", zh: 精确率、召回率与 AP}
        summary: {en: Rank detections and measure them., zh: 对检测结果排序并度量。}
        aliases: [ap, map]
        needs: [algo, num]
  - id: attention
    title: {en: Attention, zh: 注意力}
    concepts:
      - id: attention.why_scale
        title: {en: Why scale by sqrt(d_k), zh: 为何除以 sqrt(d_k)}
        summary: {en: Large dot products saturate the softmax., zh: 点积过大会使 softmax 饱和。}
        aliases: [scaling]
"""

#: One valid question of each kind (the generated one names the test generator below).
GOOD_BANK = """\
topic: detection
questions:
  - id: detection.nms-tie
    kind: choice
    concepts: [detection.nms]
    difficulty: 2
    prompt: {en: "Two boxes overlap with IoU exactly 0.5 at threshold 0.5. What does NMS keep?", zh: "IoU 恰为 0.5、阈值 0.5 时 NMS 保留什么？"}
    choices:
      - text: {en: Both boxes, zh: 两个框}
        correct: true
      - text: {en: Only the higher-scoring box, zh: 只保留分数高的框}
        feedback: {en: Suppression needs IoU strictly above the threshold., zh: 只有 IoU 严格大于阈值才抑制。}
    hint: {en: Is the comparison strict?, zh: 比较是严格的吗？}
    explanation: {en: Equal IoU does not suppress., zh: IoU 相等不会抑制。}
  - id: detection.ap-facts
    kind: multi
    concepts: [detection.metrics]
    difficulty: 1
    prompt: {en: Which are true of AP?, zh: 关于 AP 哪些正确？}
    choices:
      - text: {en: It is the area under the PR curve., zh: 它是 PR 曲线下的面积。}
        correct: true
      - text: {en: A higher IoU threshold lowers it., zh: IoU 阈值越高它越低。}
        correct: true
      - text: {en: It is the mean over classes., zh: 它是各类别的平均。}
        feedback: {en: That is mAP., zh: 那是 mAP。}
    explanation: {en: AP is per class; mAP averages it., zh: AP 按类别计算，mAP 再取平均。}
  - id: detection.nms-differentiable
    kind: truefalse
    concepts: [detection.nms]
    difficulty: 1
    prompt: {en: NMS is differentiable., zh: NMS 可微。}
    answer: false
    feedback: {en: Keeping or dropping a box is a hard decision., zh: 保留或删除是硬性决定。}
    explanation: {en: A discrete selection has no useful gradient., zh: 离散选择没有有用的梯度。}
  - id: detection.precision
    kind: numeric
    concepts: [detection.metrics]
    difficulty: 2
    prompt: {en: 3 TP and 4 FP. Precision?, zh: 3 个 TP、4 个 FP，精确率？}
    answer: "3/7"
    value: 0.4286
    mistakes:
      - answer: "3/4"
        feedback: {en: That is TP/FP., zh: 那是 TP/FP。}
    explanation: {en: TP / (TP + FP) = 3/7., zh: TP / (TP + FP) = 3/7。}
  - id: attention.score-scale
    kind: expression
    concepts: [attention.why_scale]
    difficulty: 2
    prompt: {en: Variance of q·k for unit-variance entries?, zh: 单位方差分量下 q·k 的方差？}
    answer: "d_k"
    symbols: [d_k]
    mistakes:
      - answer: "sqrt(d_k)"
        feedback: {en: That is the standard deviation., zh: 那是标准差。}
    explanation: {en: A sum of d_k unit-variance terms., zh: d_k 个单位方差项之和。}
  - id: attention.scores-shape
    kind: shape
    concepts: [attention.why_scale]
    difficulty: 1
    prompt: {en: "Shape of QK^T for B=2, h=8, T=64?", zh: B=2、h=8、T=64 时 QK^T 的形状？}
    answer: [2, 8, 64, 64]
    mistakes:
      - answer: [2, 64, 64]
        feedback: {en: Each head has its own scores., zh: 每个头都有自己的分数。}
    explanation: {en: One T×T matrix per batch and head., zh: 每个样本、每个头一个 T×T 矩阵。}
  - id: detection.nms-kept
    kind: order
    concepts: [detection.nms]
    difficulty: 2
    prompt: {en: Which boxes does NMS keep?, zh: NMS 保留哪些框？}
    answer: [0, 2]
    ordered: false
    mistakes:
      - answer: [0, 1, 2]
        feedback: {en: Box 1 overlaps box 0 too much., zh: 框 1 与框 0 重叠过多。}
    explanation: {en: Box 1 is suppressed by box 0., zh: 框 1 被框 0 抑制。}
  - id: detection.nms-generated
    kind: generated
    concepts: [detection.nms]
    difficulty: 2
    generator: bank_test_gen
    options: {size: 3}
  - id: detection.nms-code
    kind: code
    concepts: [detection.nms]
    difficulty: 3
    assignment: nms
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def syllabus(tmp_path):
    return load_syllabus(write(tmp_path / "syllabus.yaml", SYLLABUS))


@pytest.fixture
def tiny_course(tmp_path) -> Path:
    """A course directory: questions/syllabus.yaml, one bank, assignments/nms/."""
    root = tmp_path / "course"
    write(root / "questions" / "syllabus.yaml", SYLLABUS)
    write(root / "questions" / "detection.yaml", GOOD_BANK.replace(
        "    generator: bank_test_gen\n    options: {size: 3}\n", "    generator: nms\n"))
    (root / "questions" / "assignments" / "nms").mkdir(parents=True)
    return root


@pytest.fixture(autouse=True)
def yaml_cache(tmp_path_factory, monkeypatch):
    """Keep the parsed-YAML cache of these tests out of the user's cache directory."""
    path = tmp_path_factory.getbasetemp() / "yaml-cache"
    monkeypatch.setenv("CVQUIZ_CACHE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def bank_test_generator():
    """Register the generator `bank_test_gen` (option `size`) for the duration of a test."""
    import sympy

    from cvquiz.answers import DEFAULT_TOLERANCE
    from cvquiz.problems import registry as reg
    from cvquiz.text import Text

    reg.registry()  # the real generators first

    def make(rng, size=2):
        if not isinstance(size, int) or size < 1:
            raise reg.ProblemError(f"option 'size': expected a positive integer, got {size!r}")
        return reg.Draft(params={"size": size}, prompt=Text(f"size {size}?", f"大小 {size}？"),
                         answer=sympy.Integer(size), answer_kind="number", solution=Text("s", "解"),
                         hint=Text("h", "提示"), tolerance=DEFAULT_TOLERANCE)

    reg.problem("bank_test_gen", topic="detection", concepts=("detection.nms",), version=1,
                title=Text("test", "测试"), options=("size",))(make)
    yield
    reg.unregister("bank_test_gen")
