"""Terminal reports drawn with rich: one submission's table, and a class's summary."""

from __future__ import annotations

from collections import Counter

from cvquiz.report.model import SubmissionResult

_WORDS = {
    "en": {"question": "question", "test": "test", "shown": "shown", "score": "score", "result": "result",
           "visible": "visible", "hidden": "hidden", "passed": "passed", "failed": "failed",
           "total": "total", "problems": "What went wrong", "students": "students", "graded": "graded",
           "missing": "missing", "error": "could not run", "histogram": "Scores", "most_failed": "Most failed tests",
           "output": "What the submission printed", "layers": "isolation"},
    "zh": {"question": "题目", "test": "测试", "shown": "可见性", "score": "得分", "result": "结果",
           "visible": "可见", "hidden": "隐藏", "passed": "通过", "failed": "未通过",
           "total": "总分", "problems": "问题说明", "students": "学生", "graded": "已评分",
           "missing": "未提交", "error": "无法运行", "histogram": "分数分布", "most_failed": "失败最多的测试",
           "output": "提交程序的输出", "layers": "隔离层"},
}


def words(lang: str) -> dict[str, str]:
    return _WORDS["zh" if lang == "zh" else "en"]


def submission_report(console, result: SubmissionResult, lang: str = "en", show_output: bool = True) -> None:
    """The table of one submission's tests, then each failing test's message."""
    from rich.table import Table
    from rich.text import Text as RichText

    w = words(lang)
    if result.status != "graded":
        console.print(RichText(f"{result.student}: {w[result.status]}: {result.message.get(lang)}"))
        return
    table = Table(title=f"{result.assignment}: {result.student}", show_lines=False)
    for col in ("question", "test", "shown", "score", "result"):
        table.add_column(w[col], justify="right" if col == "score" else "left")
    for t in result.tests:
        table.add_row(t.question, t.test, w["visible" if t.visible else "hidden"],
                      f"{t.score:.3g}/{t.max_score:.3g}",
                      RichText(w["passed"], style="green") if t.passed else RichText(w["failed"], style="red"))
    table.add_row("", w["total"], "", f"{result.total:.4g}/{result.max_score:.4g}", "", end_section=True)
    console.print(table)
    failing = [t for t in result.tests if not t.passed]
    if failing:
        console.print(RichText(w["problems"], style="bold"))
        for t in failing:
            console.print(RichText(f"● {t.name}", style="bold red"))
            console.print(RichText(_indent(t.message.get(lang))))
    if show_output and result.output.strip() and failing:
        console.print(RichText(w["output"], style="bold"))
        console.print(RichText(_indent(result.output.strip()[-2000:])))


def class_summary(console, results: list[SubmissionResult], lang: str = "en", bins: int = 10) -> None:
    """Counts by status, a histogram of totals, and the tests failed most often."""
    from rich.table import Table
    from rich.text import Text as RichText

    w = words(lang)
    counts = Counter(r.status for r in results)
    console.print(RichText(f"{w['students']}: {len(results)}  " + "  ".join(
        f"{w[s]}: {counts[s]}" for s in ("graded", "missing", "error") if counts[s])))
    graded = [r for r in results if r.status == "graded"]
    if graded:
        top = max(r.max_score for r in graded) or 1.0
        hist = [0] * bins
        for r in graded:
            hist[min(int(r.total / top * bins), bins - 1)] += 1
        most = max(hist) or 1
        table = Table(title=w["histogram"], show_header=False, box=None)
        for i, n in enumerate(hist):
            lo, hi = top * i / bins, top * (i + 1) / bins
            table.add_row(f"{lo:5.3g} – {hi:<5.3g}", "█" * round(20 * n / most), str(n))
        console.print(table)
    fails = Counter(t.name for r in graded for t in r.tests if not t.passed)
    if fails:
        table = Table(title=w["most_failed"], show_header=False, box=None)
        for name, n in fails.most_common(8):
            table.add_row(name, f"{n}/{len(graded)}")
        console.print(table)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
