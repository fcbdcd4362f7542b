"""The practice screen: rich panels, numbered choices, feedback, and small terminal pictures.

Everything printed goes through one :class:`rich.console.Console`, so tests render to a
``StringIO`` at a fixed width and compare the text. ``plain`` mode prints no colour and no box
drawing (screen-reader friendly).
"""

from __future__ import annotations

import unicodedata
from typing import Sequence

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

from cvquiz.practice.session import Item, Outcome, Part, Summary
from cvquiz.text import Text

LETTERS = "ABCDEFGHIJ"
TRUTH = {True: Text("true", "对"), False: Text("false", "错")}
#: Figures that would give the answer away: drawn with the solution, not with the question.
REVEALING = {"pr_curve"}

HELP = Text(
    "Type your answer and press Enter. Commands: :s skip · :a show the answer (counts as wrong) · "
    ":? help · :q quit (Ctrl-D also quits), and :h hint where a question offers one. A malformed "
    "answer is not counted; you are told the format and asked again.",
    "输入答案后按回车。命令：:s 跳过 · :a 显示答案（记为答错）· :? 帮助 · :q 退出（Ctrl-D 也可退出）；"
    "题目注明有提示时，可输入 :h 查看。格式不对的答案不计次数，会提示格式后重新作答。",
)
EXAM_HELP = Text(
    "Type your answer and press Enter. Commands: :s skip · :? help · :q hand in now (Ctrl-D too). "
    "No hints and no answers until the end; the clock is in each question's title.",
    "输入答案后按回车。命令：:s 跳过 · :? 帮助 · :q 立即交卷（Ctrl-D 也可）。考试中没有提示，"
    "结束前不显示答案；剩余时间显示在每题标题中。",
)

#: Drill commands, by what is typed after NFKC folding and lower-casing (so a full-width
#: "：ｑ" from an IME and ":Q" under Caps Lock both mean ":q").
COMMANDS = {
    ":q": "quit", ":quit": "quit",
    ":?": "help", ":help": "help",
    ":h": "hint", ":hint": "hint",
    ":s": "skip", ":skip": "skip",
    ":a": "answer", ":answer": "answer",
}


def command_of(line: str) -> str | None:
    """The drill command ``line`` names ('quit', 'help', 'hint', 'skip', 'answer'), or None."""
    folded = unicodedata.normalize("NFKC", line).strip().lower().replace(" ", "")
    return COMMANDS.get(folded)


def clock(seconds: float) -> str:
    """Remaining time as m:ss (never negative)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"

LABELS = {
    "correct": Text("✓ Correct", "✓ 正确"),
    "wrong": Text("✗ Wrong", "✗ 错误"),
    "answer": Text("Answer", "答案"),
    "accepted": Text("Accepted", "判定标准"),
    "format": Text("Type", "作答格式"),
    "solution": Text("Why", "解析"),
    "mistake": Text("About your answer", "关于你的答案"),
    "hint": Text("Hint", "提示"),
    "nohint": Text("No hint for this one.", "本题没有提示。"),
    "offer": Text("A hint is available: type :h.", "本题有提示：输入 :h 查看。"),
    "invalid": Text("Not an answer I can read", "无法识别的答案"),
    "examhint": Text("Hints are off in the exam.", "考试中不提供提示。"),
    "examanswer": Text("Answers are shown at the end of the exam.", "答案在考试结束后统一显示。"),
    "late": Text("Time is up: that answer came late and is not counted. The paper is handed in.",
                 "时间到：这个答案提交晚了，不计分。试卷已收。"),
    "timeup": Text("Time is up. The paper is handed in.", "时间到，试卷已收。"),
    "left": Text("left", "剩余"),
    "shown": Text("Answer shown (counts as wrong)", "已显示答案（记为答错）"),
    "skippedanswers": Text("Skipped, with their answers:", "跳过的题目及答案："),
    "review": Text("Review of the paper", "试卷回顾"),
    "yours": Text("Your answer", "你的答案"),
    "summary": Text("Session summary", "本次练习小结"),
    "part": Text("Part", "小题"),
}


class Screen:
    """Shows a session on ``console`` in ``lang``; reads lines with :meth:`ask`."""

    def __init__(self, console: Console | None = None, lang: str = "en", plain: bool = False):
        self.plain = plain
        self.console = console or Console(
            no_color=True if plain else None, highlight=False, emoji=False,  # None: rich reads NO_COLOR
            **({"force_terminal": False} if plain else {}))
        self.lang = lang

    def t(self, text: Text | None) -> str:
        return text.get(self.lang) if text is not None else ""

    def label(self, key: str) -> str:
        return LABELS[key].get(self.lang)

    # -- input -------------------------------------------------------------
    def ask(self, prompt: str = "> ") -> str | None:
        """One line from the student; None at the end of input."""
        try:
            return self.console.input(prompt)
        except EOFError:
            self.console.print()
            return None

    # -- output ------------------------------------------------------------
    def _block(self, body, title: str = "", style: str = "") -> None:
        if self.plain:
            if title:
                self.console.print(title)
            self.console.print(body)
            self.console.print()
        else:
            self.console.print(Panel(body, title=title, title_align="left", border_style=style or "cyan"))

    def show_question(self, item: Item, position: tuple[int, int], hint: bool = False,
                      remaining: float | None = None) -> None:
        """The question with its id (to look it up with ``bank show`` or report it); ``hint``
        offers ``:h`` (only where the item has a hint and it may be shown); ``remaining`` is
        the exam clock in seconds."""
        number, total = position
        stars = "*" * item.difficulty if self.plain else "★" * item.difficulty
        title = f"[{number}/{total}] {item.question_id} · {', '.join(item.concepts)} · {stars}"
        if remaining is not None:
            title += (f" · {self.label('left')} {clock(remaining)}" if self.lang == "zh"
                      else f" · {clock(remaining)} {self.label('left')}")
        parts: list = [RichText(self.t(item.prompt))]
        if item.choices:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column()
            for i, choice in enumerate(item.choices):
                grid.add_row(f"  {LETTERS[i]})", self.t(choice))
            parts += [RichText(""), grid]
        if item.figure and item.figure.get("type") not in REVEALING:
            drawing = draw_figure(item.figure, plain=self.plain, lang=self.lang)
            if drawing:
                parts += [RichText(""), RichText(drawing)]
        if item.seed is None:  # a generated prompt states its own rule
            parts += [RichText(""), RichText(f"{self.label('format')}: {self.t(item.answer_format)}", style="dim")]
            if item.accepted is not None:
                parts.append(RichText(f"{self.label('accepted')}: {self.t(item.accepted)}", style="dim"))
        if hint and item.hint is not None:
            parts += [RichText(""), RichText(self.label("offer"), style="dim")]
        self._block(Group(*parts), title=escape(title))

    def show_part(self, item: Item, part: Part) -> None:
        if len(item.parts) > 1 and part.name:
            self.console.print(f"{self.label('part')}: {part.name} = ?")

    def show_invalid(self, outcome: Outcome) -> None:
        message = self.t(outcome.verdict.message)
        self.console.print(f"{self.label('invalid')}: {message}", style=None if self.plain else "yellow")

    def show_hint(self, hint: Text | None) -> None:
        if hint is None:
            self.console.print(self.label("nohint"))
        else:
            self.console.print(f"{self.label('hint')}: {self.t(hint)}", style=None if self.plain else "magenta")

    def show_help(self, exam: bool = False) -> None:
        self.console.print(self.t(EXAM_HELP if exam else HELP))

    def say(self, key: str) -> None:
        """One labelled line (``LABELS[key]``)."""
        self.console.print(self.label(key))

    def show_part_result(self, outcome: Outcome) -> None:
        """After one part of a multi-part item: right or wrong, with the expected value."""
        part = outcome.part
        mark = self.label("correct" if outcome.verdict.correct else "wrong")
        line = f"{mark}"
        if not outcome.verdict.correct:
            line += f" — {part.name} = {_answer_text(part)}"
        self.console.print(line, style=None if self.plain else ("green" if outcome.verdict.correct else "red"))

    def show_result(self, outcome: Outcome) -> None:
        """After the whole item: right or wrong, the answer, the rule, the feedback, the solution."""
        attempt = outcome.attempt
        ok = bool(attempt.correct)
        title = self.label("shown" if attempt.revealed else ("correct" if ok else "wrong"))
        self.show_answer(attempt.item, attempt.verdicts, title, "green" if ok else "red", attempt.typed, echo=False)

    def answer_lines(self, item: Item) -> list[str]:
        """The right answer of every part of ``item``, one line each."""
        lines = []
        for part in item.parts:
            shown = _answer_text(part)
            if part.kind == "choice" and item.choices:
                shown = f"{LETTERS[part.expected]}) {self.t(item.choices[part.expected])}"
            elif part.kind == "multi" and item.choices:
                shown = "; ".join(f"{LETTERS[i]}) {self.t(item.choices[i])}" for i in sorted(part.expected))
            elif part.kind == "truefalse":
                shown = self.t(TRUTH[bool(part.expected)])
            prefix = f"{part.name} = " if part.name and len(item.parts) > 1 else ""
            lines.append(f"{self.label('answer')}: {prefix}{shown}")
        return lines

    def multi_feedback(self, part: Part, typed: str) -> str:
        """What a multi-select answer missed and what it chose wrongly ('' when unreadable)."""
        from cvquiz.answers.parse import parse_labels

        try:
            chosen = set(parse_labels(typed, part.n_choices))
        except Exception:  # noqa: BLE001 - a stored answer that no longer parses says nothing
            return ""
        missed = ", ".join(LETTERS[i] for i in sorted(set(part.expected) - chosen))
        extra = ", ".join(LETTERS[i] for i in sorted(chosen - set(part.expected)))
        if self.lang == "zh":
            said = [f"漏选了 {missed}" if missed else "", f"{extra} 不应选" if extra else ""]
            return "；".join(x for x in said if x) + ("。" if missed or extra else "")
        said = [f"You missed {missed}" if missed else "", f"{extra} should not be chosen" if extra else ""]
        return "; ".join(x for x in said if x) + ("." if missed or extra else "")

    def show_answer(self, item: Item, verdicts: Sequence = (), title: str = "", style: str = "",
                    typed: Sequence[str] = (), echo: bool = True) -> None:
        """The answer of each part (with "Why not X:" and the feedback on a known wrong answer
        ``typed``), the rule and the solution; ``echo`` repeats what was typed first."""
        lines: list[str] = []
        if typed and echo:
            lines.append(f"{self.label('yours')}: {' | '.join(typed)}")
        if len(item.parts) > 1 and verdicts:
            right = sum(bool(v.correct) for v in verdicts)
            lines.append(f"{len(item.parts)} 个小题答对 {right} 个" if self.lang == "zh"
                         else f"{right} of {len(item.parts)} parts right")
        for k, line in enumerate(self.answer_lines(item)):
            lines.append(line)
            verdict = verdicts[k] if k < len(verdicts) else None
            if verdict is not None and not verdict.correct and item.parts[k].kind == "multi" and k < len(typed):
                partial = self.multi_feedback(item.parts[k], typed[k])
                if partial:
                    lines.append(partial)
            if verdict is not None and verdict.feedback is not None:
                said = " ".join(typed[k].split()) if k < len(typed) else ""
                if item.parts[k].kind in ("choice", "multi"):
                    said = said.upper()
                label = (f"为什么不是 {said}" if self.lang == "zh" else f"Why not {said}") if said \
                    else self.label("mistake")
                lines.append(f"{label}: {self.t(verdict.feedback)}")
        if item.accepted is not None:
            lines.append(f"{self.label('accepted')}: {self.t(item.accepted)}")
        if item.explanation is not None:
            lines.append("")
            lines.append(f"{self.label('solution')}: {self.t(item.explanation)}")
        if item.figure and item.figure.get("type") in REVEALING:
            drawing = draw_figure(item.figure, plain=self.plain, lang=self.lang)
            if drawing:
                lines += ["", drawing]
        self._block(RichText("\n".join(lines)), title=title, style=style or "cyan")

    def show_exam_results(self, session) -> None:
        """After a mock exam: the score out of every question of the paper (those not reached
        count as not right), then the review of every question in order, skipped, late and
        unreached ones included, each with its answer and worked solution."""
        rows = session.exam_rows()
        status_text = {
            "correct": Text("right", "正确"), "wrong": Text("wrong", "错误"),
            "skipped": Text("skipped", "跳过"), "late": Text("late, not counted", "超时提交，不计分"),
            "unreached": Text("not reached", "未作答（时间到）"),
        }
        self.console.print(self.label("review"), style=None if self.plain else "bold")
        for row in rows:
            self.show_question(row.item, (row.number, len(rows)))
            attempt = row.attempt
            typed: list[str] = []
            verdicts: Sequence = ()
            if attempt is not None:
                typed = list(attempt.typed) + ([attempt.late] if attempt.late is not None else [])
                verdicts = attempt.verdicts
            mark = {"correct": "✓", "wrong": "✗"}.get(row.status, "·")
            title = f"{mark} {self.t(status_text[row.status])}"
            style = {"correct": "green", "wrong": "red"}.get(row.status, "yellow")
            self.show_answer(row.item, verdicts, title, style, typed)
        right = sum(r.status == "correct" for r in rows)
        count = {k: sum(r.status == k for r in rows) for k in status_text}
        if self.lang == "zh":
            line = (f"得分：{right}/{len(rows)}（错误 {count['wrong']}，跳过 {count['skipped']}，"
                    f"超时 {count['late']}，未作答 {count['unreached']}）")
        else:
            line = (f"Score: {right}/{len(rows)} ({count['wrong']} wrong, {count['skipped']} skipped, "
                    f"{count['late']} late, {count['unreached']} not reached)")
        self.console.print(line, style=None if self.plain else "bold")

    def show_summary(self, summary: Summary, extra: Sequence[str] = ()) -> None:
        if self.lang == "zh":
            head = (f"共 {summary.asked} 题：正确 {summary.correct}，错误 {summary.wrong}，"
                    f"跳过 {summary.skipped}，用过提示 {summary.hinted}")
        else:
            head = (f"{summary.asked} question{'' if summary.asked == 1 else 's'}: {summary.correct} right, {summary.wrong} wrong, "
                    f"{summary.skipped} skipped, {summary.hinted} with a hint")
        if summary.revealed:
            head += (f"（其中 {summary.revealed} 题看了答案）" if self.lang == "zh"
                     else f" ({summary.revealed} with the answer shown)")
        lines = [head]
        for topic, (right, total) in sorted(summary.by_topic.items()):
            lines.append(f"  {topic:<11} {bar(right / total if total else 0, 20, self.plain)} {right}/{total}")
        if summary.skipped_items:
            lines.append(self.label("skippedanswers"))
            for item in summary.skipped_items:
                lines.append(f"  {item.question_id}")
                lines.extend(f"    {line}" for line in self.answer_lines(item))
        lines.extend(extra)
        self._block(RichText("\n".join(lines)), title=self.label("summary"), style="blue")


# -- pictures ----------------------------------------------------------------

def bar(fraction: float, width: int, plain: bool = False) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    full, empty = ("#", ".") if plain else ("█", "░")
    return full * filled + empty * (width - filled)


def _answer_text(part: Part) -> str:
    """The right answer of ``part`` as the student would type it (imports sympy's printer, so
    only once an answer is shown, never to show a question)."""
    from cvquiz.practice import warmup

    warmup.wait()
    from cvquiz.problems.display import answer_text

    return answer_text(part.kind, part.expected, part.tolerance)


def draw_figure(figure: dict, plain: bool = False, lang: str = "en") -> str:
    """A small text picture for a problem's ``figure`` data ('' when the type is unknown)."""
    kind = figure.get("type")
    try:
        if kind == "boxes":
            return draw_boxes(figure["boxes"], figure.get("format", "xyxy"), plain,
                              labels=figure.get("labels"), lang=lang)
        if kind == "pr_curve":
            return draw_pr_curve(figure["recall"], figure["precision"], figure.get("points"), plain)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return ""
    return ""


def _to_xyxy(box: Sequence[float], fmt: str) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in box)
    if fmt == "cxcywh":
        return a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if fmt == "xywh":
        return a, b, a + c, b + d
    return a, b, c, d


def draw_boxes(boxes: Sequence[Sequence[float]], fmt: str = "xyxy", plain: bool = False,
               width: int = 44, height: int = 14, labels: Sequence[str] | None = None, lang: str = "en") -> str:
    """Draw axis-aligned boxes on a character grid (y grows downwards, as in images; one unit
    is two columns wide per row, so squares look square). Cells inside two or more boxes are
    shaded: the intersection. Each box carries its label as the question names it (``labels``:
    A, B for IoU, 0..5 for NMS; letters by default). The legend names the boxes but gives no
    coordinates: the question states them in its own format, and converting them (say from
    cx, cy, w, h to corners) can be the first step of the answer."""
    names = [str(x) for x in labels] if labels and len(labels) == len(boxes) else \
        ["ABCDEFGH"[k % 8] for k in range(len(boxes))]
    rects = [_to_xyxy(b, fmt) for b in boxes]
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[2] for r in rects)
    y1 = max(r[3] for r in rects)
    scale = min((width - 1) / (2 * (x1 - x0)), (height - 1) / (y1 - y0))
    cells = [(round((r[0] - x0) * 2 * scale), round((r[1] - y0) * scale),
              round((r[2] - x0) * 2 * scale), round((r[3] - y0) * scale)) for r in rects]
    cols = max(c[2] for c in cells) + 1
    rows = max(c[3] for c in cells) + 1
    grid = [[" "] * cols for _ in range(rows)]
    shade = "#" if plain else "▒"
    h, v, corners = ("-", "|", "++++") if plain else ("─", "│", "┌┐└┘")
    for row in range(rows):
        for col in range(cols):
            if sum(c0 <= col <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in cells) >= 2:
                grid[row][col] = shade
    for k, (c0, r0, c1, r1) in enumerate(cells):
        for col in range(c0, c1 + 1):
            grid[r0][col] = grid[r1][col] = h
        for row in range(r0, r1 + 1):
            grid[row][c0] = grid[row][c1] = v
        grid[r0][c0], grid[r0][c1], grid[r1][c0], grid[r1][c1] = corners
        if c1 > c0 + len(names[k]):
            for j, ch in enumerate(names[k]):
                grid[r0][c0 + 1 + j] = ch
    if lang == "zh":
        legend = f"框 {'、'.join(names)}（坐标见题目）；{shade} 为重叠部分"
    else:
        legend = f"boxes {', '.join(names)} (coordinates in the question); {shade} overlap"
    return "\n".join("".join(row).rstrip() for row in grid) + f"\n{legend}"


def draw_pr_curve(recall: Sequence[float], precision: Sequence[float], points=None, plain: bool = False,
                  width: int = 41, height: int = 11) -> str:
    """Precision (up) against recall (right), both in [0, 1]; with ``points == 11`` the
    interpolated precision at recall 0, 0.1, ..., 1 is marked too."""
    grid = [[" "] * width for _ in range(height)]

    def put(r: float, p: float, ch: str) -> None:
        col = round(max(0.0, min(1.0, r)) * (width - 1))
        row = height - 1 - round(max(0.0, min(1.0, p)) * (height - 1))
        grid[row][col] = ch

    if points == 11:
        for k in range(11):
            t = k / 10
            interp = max((p for r, p in zip(recall, precision) if r >= t - 1e-12), default=0.0)
            put(t, interp, "+" if plain else "○")
    for r, p in zip(recall, precision):
        put(r, p, "*" if plain else "●")
    lines = []
    for i, row in enumerate(grid):
        label = "1.0" if i == 0 else ("0.0" if i == height - 1 else "   ")
        lines.append(f"{label} |{''.join(row)}".rstrip())
    lines.append("    +" + "-" * width)
    lines.append("     0" + " " * (width - 9) + "recall 1")
    key = "* PR point" if plain else "● PR point"
    if points == 11:
        key += "   + 11-point interpolation" if plain else "   ○ 11-point interpolation"
    lines.append(f"     precision ↑   {key}")
    return "\n".join(lines)


# -- the loop on a terminal -----------------------------------------------------

def run_session(session, screen: Screen, deadline: float | None = None) -> bool:
    """Drive ``session`` on ``screen`` until the items run out, the student quits (``:q``,
    end of input, Ctrl-C) or the exam ``deadline`` (a ``time.monotonic()`` value) passes.
    Returns True when the student quit early. In exam mode results are shown at the end; an
    answer typed after the deadline is kept as late (and said to be late), not dropped.
    """
    import time

    def remaining() -> float | None:
        return deadline - time.monotonic() if deadline is not None else None

    from cvquiz.practice import warmup

    shown = None
    while not session.finished:
        item = session.item
        if deadline is not None and time.monotonic() > deadline:
            screen.say("timeup")
            return True
        if shown is not item:
            screen.show_question(item, session.position, hint=session.hint_offered, remaining=remaining())
            shown = item
        part = session.part
        screen.show_part(item, part)
        warmup.start()  # sympy and the generators load while the student reads (once)
        try:
            line = screen.ask("> ")
        except KeyboardInterrupt:
            screen.console.print()
            return True
        if line is None:
            return True
        command = command_of(line)
        if deadline is not None and time.monotonic() > deadline:
            if command is None and line.strip():
                session.late_answer(line.strip())
                screen.say("late")
            else:
                screen.say("timeup")
            return True
        if command == "quit":
            return True
        if command == "help":
            screen.show_help(exam=session.exam)
            continue
        if command == "hint":
            if session.exam:
                screen.say("examhint")
            else:
                screen.show_hint(session.hint())
            continue
        if command == "skip":
            session.skip()
            continue
        if command == "answer":
            if session.exam:
                screen.say("examanswer")
                continue
            attempt = session.reveal()
            screen.show_result(Outcome(None, part, True, attempt))
            continue
        if not line.strip():
            continue
        outcome = session.answer(line)
        if outcome.verdict.status == "invalid":
            screen.show_invalid(outcome)
            continue
        if session.exam:
            continue
        if not outcome.item_done:
            screen.show_part_result(outcome)
            continue
        screen.show_result(outcome)
    return False
