"""The item-analysis report: a score histogram and an item map (matplotlib), as PNG files and one
self-contained ``report.html`` (each image a ``data:`` URI, no external file or script).

The item map plots each item's facility (x) against its point-biserial discrimination (y); items
in the lower part (discrimination under 0.2) are the ones to review.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from cvquiz.exam.stats import ExamStats

REVIEW_BELOW = 0.2


def _figure_png(draw) -> bytes:
    from cvquiz.exam.pdf import needs

    matplotlib = needs("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "cvquiz", "font.family": "DejaVu Sans"}):
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        try:
            draw(ax)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)
    return buf.getvalue()


def histogram_png(stats: ExamStats) -> bytes:
    def draw(ax):
        bins = max(5, min(20, int(stats.max_score) + 1))
        ax.hist(stats.totals, bins=bins, range=(0, stats.max_score), color="#1f77b4", edgecolor="white")
        ax.set_xlabel("total score")
        ax.set_ylabel("students")
        ax.set_title(f"Scores (n = {stats.n}, mean {stats.mean:.2f} of {stats.max_score:g})")

    return _figure_png(draw)


def item_map_png(stats: ExamStats) -> bytes:
    def draw(ax):
        for i, item in enumerate(stats.items, start=1):
            y = item.point_biserial if item.point_biserial is not None else 0.0
            ax.scatter([item.facility], [y], color="#d62728" if y < REVIEW_BELOW else "#1f77b4")
            ax.annotate(str(i), (item.facility, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.axhline(REVIEW_BELOW, color="#888", linestyle="--", linewidth=0.8)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("facility (share of points earned)")
        ax.set_ylabel("point-biserial (item vs rest)")
        ax.set_title("Item map")

    return _figure_png(draw)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def report_html(title: str, stats: ExamStats, images: dict[str, bytes]) -> str:
    e = html.escape
    rows = []
    for i, item in enumerate(stats.items, start=1):
        distractors = ", ".join(f"{chr(65 + c)}: {share:.0%}" for c, share in item.distractors.items())
        misc = "; ".join(f"{e(text)} ({count})" for text, count in item.misconceptions.items())
        cases = ", ".join(f"{e(c)}: {f:.2f} (n={n})" for c, (n, f) in item.by_case.items())
        rows.append(f"<tr><td>{i}</td><td>{e(item.id)}</td><td>{item.points:g}</td><td>{item.facility:.3f}</td>"
                    f"<td>{_fmt(item.point_biserial)}</td><td>{item.upper_lower:.3f}</td>"
                    f"<td>{e(distractors)}</td><td>{item.blank:.0%}</td><td>{misc}</td><td>{cases}</td></tr>")
    imgs = "".join(f'<figure><img alt="{e(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
                   f"<figcaption>{e(name)}</figcaption></figure>" for name, png in images.items())
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}: item analysis</title><style>body{{font-family:sans-serif;margin:2em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:.9em}"
            "figure{display:inline-block;margin:1em}</style></head><body>"
            f"<h1>{e(title)}: item analysis</h1>"
            f"<p>{stats.n} students; mean {stats.mean:.2f} of {stats.max_score:g} (sd {stats.sd:.2f}); "
            f"{e(stats.reliability_name)} {_fmt(stats.reliability)}</p>{imgs}"
            "<table><tr><th>#</th><th>question</th><th>points</th><th>facility</th><th>point-biserial</th>"
            "<th>upper−lower 27%</th><th>choices (bank order)</th><th>blank</th><th>misconceptions</th>"
            "<th>facility by case</th></tr>" + "".join(rows) + "</table></body></html>\n")


def write_report(folder: Path, title: str, stats: ExamStats) -> list[Path]:
    """``report.html``, ``histogram.png`` and ``item-map.png`` in ``folder``; the paths written."""
    from cvquiz.exam.build import write_bytes
    from cvquiz.report.files import write_atomic

    images = {"histogram": histogram_png(stats), "item-map": item_map_png(stats)}
    paths = []
    for name, png in images.items():
        write_bytes(Path(folder) / f"{name}.png", png)
        paths.append(Path(folder) / f"{name}.png")
    write_atomic(Path(folder) / "report.html", report_html(title, stats, images))
    paths.append(Path(folder) / "report.html")
    return paths
