"""`claims`: the check-worthy factual claims in AI text, and which of them cite a source."""

from __future__ import annotations

import hashlib
import re

from vaultkit import Context, Display, Finding, Note, PassResult

from ._md import escape
from ._refs import has_citation
from ._sentences import Sentence, sentences
from ._worthy import THRESHOLD, score

OPTIONS = {"threshold": THRESHOLD, "llm": False}


def claim_id(text: str) -> str:
    """A stable short id for a claim: the same sentence keeps it across runs and notes."""
    normal = " ".join(re.sub(r"[*_`]|\[\d{1,3}\]", "", text).casefold().split())
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=6).hexdigest()


class ClaimsPass:
    """Lists the check-worthy factual claims in each AI answer; uncited ones are warnings."""

    version = "1"
    options = OPTIONS

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Segment, score and link each claim to a citation; one callout per target with claims."""
        threshold = float(ctx.options.get("threshold", THRESHOLD))
        findings: list[Finding] = []
        displays: list[Display] = []
        whole = [t for t in note.targets if t.kind == "note"]
        for target in whole or note.targets:  # a whole AI note already covers its callouts
            found = self._claims(sentences(note, target), threshold)
            findings += found
            if found:
                displays.append(Display(target, render(found), "Claims"))
        uncited = sum(1 for f in findings if not f.data["cited"])
        props = {"claims": len(findings), "uncited": uncited} if note.targets else {}
        return PassResult(tuple(findings), tuple(displays), props)

    @staticmethod
    def _claims(sents: list[Sentence], threshold: float) -> list[Finding]:
        # A marker anywhere in a paragraph covers its other sentences too.
        cites = [has_citation(s.text) for s in sents]
        covered = {s.paragraph for s, cite in zip(sents, cites) if cite}
        out = []
        for s, cite in zip(sents, cites):
            value, signals = score(s.text)
            if value < threshold:
                continue
            cited = cite or s.paragraph in covered
            message = ("cited" if cited else "uncited") + f" claim: {s.text}"
            out.append(Finding("claim", "info" if cited else "warning", s.line, max(s.end_line, s.line), message,
                               {"text": s.text, "cited": cited, "score": round(value, 2), "id": claim_id(s.text),
                                "signals": signals}))
        return out


def render(findings: list[Finding]) -> str:
    """Uncited claims first, each quoted with its line in the note's text."""
    ordered = sorted(findings, key=lambda f: (bool(f.data["cited"]), f.line))
    rows = []
    for f in ordered:
        mark = "cited" if f.data["cited"] else "**uncited**"
        rows.append(f"- {mark}: {escape(str(f.data['text']))}")
    return "\n".join(rows)
