"""`summaries` (issue 6, in progress — not registered yet): a short extractive summary of each AI
answer and of each long section, picked from its own sentences, shown in a collapsed callout.

Still to come before it is registered: `mode = "llm"` with its guards, a finding for languages
that cannot be segmented well, and the benchmark.
"""

from __future__ import annotations

import re
from typing import Any

from vaultkit import Context, Display, Finding, Note, PassResult, Target

from ._md import escape
from ._refs import MARKERS
from ._sentences import sentences
from ._summarize import pick
from ._units import units

OPTIONS = {"mode": "extractive", "min_words": 150, "budget": 60, "placement": "heading"}
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`|" + MARKERS.pattern)
_WIKILINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")


def plain(text: str) -> str:
    """A sentence without its Markdown: emphasis, code ticks, citation markers, link syntax."""
    text = _WIKILINK.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    return _SPACE_BEFORE_STOP.sub(r"\1", " ".join(_MARKUP.sub("", text).split()))  # "described in [12]." -> "in."


class SummariesPass:
    """Summarises each AI answer and each long section in a few of its own sentences."""

    version = "0"
    options = OPTIONS

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """One `summary` finding and callout per target and per section of at least `min_words` words."""
        min_words = int(ctx.options.get("min_words", OPTIONS["min_words"]))
        budget = int(ctx.options.get("budget", OPTIONS["budget"]))
        under_heading = ctx.options.get("placement", OPTIONS["placement"]) == "heading"
        findings: list[Finding] = []
        displays: list[Display] = []
        first: str | None = None
        whole = [t for t in note.targets if t.kind == "note"]
        by_target: dict[str, list[Any]] = {}
        for target in whole or note.targets:
            by_target[target.id] = sentences(note, target)
        for target in whole or note.targets:
            sents = by_target[target.id]
            text = self._summary([s.text for s in sents], budget)
            if text:
                first = first if first is not None else text
                findings.append(_finding(target.line, target.end_line, text, target.title))
                displays.append(Display(target, escape(text), "Summary"))
            for unit in units(note):
                if unit.kind != "section" or unit.target != target:
                    continue
                own = [s.text for s in sents if unit.line < s.line <= unit.end_line]
                if sum(len(s.split()) for s in own) < min_words:
                    continue
                summary = self._summary(own, budget)
                if summary:
                    findings.append(_finding(unit.line, unit.end_line, summary, unit.heading))
                    displays.append(Display(target, escape(summary), "Summary",
                                            unit.line if under_heading else 0))
        properties = {"text": first} if first else {}
        return PassResult(tuple(findings), tuple(_merged(displays)), properties)

    @staticmethod
    def _summary(texts: list[str], budget: int) -> str:
        return " ".join(plain(texts[i]) for i in pick(texts, budget=budget)) if texts else ""


def _finding(line: int, end_line: int, text: str, heading: str) -> Finding:
    return Finding("summary", "info", line, end_line, f"summary: {text}",
                   {"text": text, "mode": "extractive", "heading": heading})


def _merged(displays: list[Display]) -> list[Display]:
    """One callout per place: two sections sent to the same place share it."""
    out: dict[tuple[Target | str | None, int], Display] = {}
    for d in displays:
        key = (d.target, d.line)
        if key in out:
            old = out[key]
            out[key] = Display(old.target, old.body + "\n\n" + d.body, old.title, old.line)
        else:
            out[key] = d
    return list(out.values())
