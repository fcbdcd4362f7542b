"""Bilingual text: every user-facing text of a question exists in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """A text in both course languages."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}

    def __add__(self, other: "Text") -> "Text":
        return Text(self.en + other.en, self.zh + other.zh)


def lines(*texts: Text) -> Text:
    """Join bilingual texts with newlines."""
    return Text("\n".join(t.en for t in texts), "\n".join(t.zh for t in texts))


def same(text: str) -> Text:
    """A text that reads the same in both languages (a formula line)."""
    return Text(text, text)
