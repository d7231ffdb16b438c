"""`stats`: word, sentence and citation-marker counts per target — the pipeline's smoke test."""

from __future__ import annotations

import re

from vaultkit import Context, Display, Finding, Note, PassResult

_WORD = re.compile(r"\w+(?:['’.-]\w+)*")
# A sentence ends at . ! ? (or their CJK forms) followed by a space, a line end or the text's end.
_SENTENCE_END = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|[。！？]+")
# `[1]`, `[2, 3]`, `[4-6]` — not links `[1](…)`, footnotes `[^1]`, wikilinks or task boxes.
_MARKER = re.compile(r"(?<![\[!\w])\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\](?![(\[:])")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


class StatsPass:
    """Counts words, sentences and citation markers in each AI target."""

    version = "2"
    featured_properties = ()  # its counts are written only with `[vaultkit] properties = "all"`

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """One info finding and one callout per target; totals as properties."""
        findings, displays = [], []
        total_words = total_markers = 0
        for target in note.targets:
            text = _CODE.sub(" ", target.text)
            words = len(_WORD.findall(text))
            sentences = len(_SENTENCE_END.findall(text)) or (1 if words else 0)
            markers = len(_MARKER.findall(text))
            total_words += words
            total_markers += markers
            summary = f"{words} words · {sentences} sentences · {markers} citation markers"
            findings.append(
                Finding("stats", "info", target.line, target.end_line, summary,
                        {"words": words, "sentences": sentences, "citation_markers": markers})
            )
            if ctx.layout == "passes":  # (an answer's callout has no room for counts: they stay in --json)
                displays.append(Display(target, summary, "Stats"))

        properties = {"targets": len(note.targets), "words": total_words, "markers": total_markers} if note.targets else {}
        return PassResult(tuple(findings), tuple(displays), properties)
