"""`claims`: the check-worthy factual claims in AI text, which of them cite a source, and which
figures disagree with what another place in the vault says."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping, Sequence

from vaultkit import Context, Display, Finding, Note, PassResult, Target, line_ref, task

from vaultkit_plugins.text.claims import Found, find_claims
from vaultkit_plugins.text.headings import note_link
from vaultkit_plugins.text.quoting import clip, escape, plain, quote
from vaultkit_plugins.text.references import parse
from vaultkit_plugins.text.worthy import THRESHOLD

from ._facts import conflicts, context, numeric_facts

OPTIONS = {"threshold": THRESHOLD, "llm": False, "max_listed": 10, "cover": "sentence"}
# Which citation makes a claim sourced: one on its own sentence, or one anywhere in its paragraph.
COVERS = ("sentence", "paragraph")  # (the `cover` option; a claim's own cover may also be "none")
_FEW_CITED = 3  # cited claims are listed up to this many; more are one line that counts them
_FEW_CONFLICTS = 5  # conflicting figures listed in an answer's callout; the rest are counted
_MAX_FACTS = 200  # per note: a summary stays small however long the note


def claim_id(text: str) -> str:
    """A stable short id for a claim: the same sentence keeps it across runs and notes."""
    normal = " ".join(re.sub(r"[*_`]|\[\d{1,3}\]", "", text).casefold().split())
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=6).hexdigest()


class ClaimsPass:
    """Lists the check-worthy factual claims in each AI answer; uncited ones are warnings."""

    version = "5"
    featured_properties = ("uncited",)  # what the Properties panel shows by default
    options = OPTIONS

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Segment, score and link each claim to a citation; one callout per target with claims."""
        threshold = float(ctx.options.get("threshold", THRESHOLD))
        rule = str(ctx.options.get("cover", OPTIONS["cover"]))
        if rule not in COVERS:
            raise ValueError(f"[passes.claims] cover must be one of {', '.join(map(repr, COVERS))}, not {rule!r}")
        per_target: list[tuple[Target, list[Finding]]] = []
        facts: list[list[Any]] = []
        whole = [t for t in note.targets if t.kind == "note"]
        for target in whole or note.targets:  # a whole AI note already covers its callouts
            found_here = find_claims(note, target, threshold, ctx.lookups)
            found = self._claims(found_here, rule == "paragraph")
            per_target.append((target, found))
            facts += _facts(note, target, found, found_here.work)  # (author-year facts: a link names no author or year)
        extra: list[Finding] = []
        if ctx.options.get("llm") and any(found for _, found in per_target):
            per_target, extra = _refine(per_target, ctx)
        claims = [f for _, found in per_target for f in found]
        listed = int(ctx.options.get("max_listed", OPTIONS["max_listed"]))
        displays = tuple(Display(target, render(found, ctx.dismissed, listed), _title(found), section="claims")
                         for target, found in per_target if found)
        uncited = sum(1 for f in claims if _uncited(f) and (not ctx.dismissed or f.key not in ctx.dismissed))
        # Properties only where there are claims: every note of a vault saying "0" is noise.
        props = {"count": len(claims), "uncited": uncited} if claims else {}
        summary: dict[str, Any] | None = {"facts": facts[:_MAX_FACTS]} if facts else None
        if summary is not None and ctx.dismissed:  # (conflicts a person ticked off, for the vault step)
            summary["dismissed"] = sorted(ctx.dismissed)
        # A fallback is not cached: the next run asks the model again.
        return PassResult(tuple(claims + extra), displays, props, summary, cacheable=not extra)

    @staticmethod
    def _claims(found: Found, paragraph_rule: bool = False) -> list[Finding]:
        """A finding for each claim: uncited (a warning) unless a citation covers it by the `cover` rule."""
        out = []
        for c in found.claims:
            sourced = c.cover == "sentence" or (paragraph_rule and c.cover == "paragraph")
            message = ("cited" if sourced else "uncited") + f" claim: {c.text}"
            data: dict[str, Any] = {"text": c.text, "cited": c.cover != "none", "cover": c.cover,
                                    "score": round(c.score, 2), "id": claim_id(c.text), "signals": c.signals}
            if c.label:
                data["label"] = c.label
            # (its key: the message, which quotes the sentence)
            s = c.unit
            out.append(Finding("claim", "info" if sourced else "warning", s.line, max(s.end_line, s.line), message, data))
        return out

    def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding] = ()) -> str:
        """"5 of 12 claims uncited" (the ticked-off ones are claims still, not uncited ones), and
        conflicting figures: what a reader should check first."""
        claims = [f for f in [*findings, *dismissed] if f.kind == "claim"]
        uncited = sum(1 for f in findings if f.kind == "claim" and _uncited(f))
        conflicts = sum(1 for f in findings if f.kind == "conflicting-claim")
        words = [f"{uncited} of {len(claims)} claim{'s' if len(claims) != 1 else ''} uncited"] if uncited else []
        if conflicts:
            words.append(f"{conflicts} conflicting figure{'s' if conflicts != 1 else ''}")
        return ", ".join(words)

    def combine(self, summaries: Mapping[str, Any], ctx: Context) -> Mapping[str, PassResult]:
        """`conflicting-claim`: one subject given different figures (or one work two years) in two places."""
        facts = [
            {"path": path, "key": f[0], "value": f[1], "norm": f[2], "line": f[3], "target": f[4],
             "context": f[5], "text": f[6]}
            for path, summary in summaries.items() if isinstance(summary, dict)
            for f in summary.get("facts", ())
        ]
        by_path: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for mine, other in conflicts(facts):
            by_path.setdefault(mine["path"], []).append((mine, other))
        return {path: _conflict_result(pairs, _dismissed(summaries.get(path))) for path, pairs in by_path.items()}


_PROMPT = (
    "Split each numbered sentence into atomic factual claims: short, self-contained statements that can "
    "each be checked on their own, with pronouns replaced by what they refer to. Keep the sentence's "
    "language and wording; add no facts. Leave out opinions and advice. Reply with only JSON: "
    '{"claims": [{"n": 1, "atomic": ["...", "..."]}, ...]}\n\n'
)


def _refine(per_target: list[tuple[Target, list[Finding]]], ctx: Context
            ) -> tuple[list[tuple[Target, list[Finding]]], list[Finding]]:
    """`llm = true`: atomic claims per sentence from the model, or the offline result and a warning."""
    from vaultkit.llm import LlmError, chat_client, json_reply

    claims = [f for _, found in per_target for f in found]
    client, why = chat_client(ctx)
    try:
        if client is None:
            raise LlmError("unavailable", why)
        numbered = "\n".join(f"{i}. {f.data['text']}" for i, f in enumerate(claims, 1))
        reply = json_reply(client.complete([{"role": "user", "content": _PROMPT + numbered}], max_tokens=2048))
        atomic = _atomic(reply, len(claims))
    except LlmError as exc:
        line = claims[0].line
        return per_target, [Finding("llm-fallback", "warning", line, line,
                                    f"llm = true, but the model gave no usable answer ({exc}) — these are the "
                                    "offline claims", {"reason": exc.kind})]
    refined, n = [], 0
    for target, found in per_target:
        mine = []
        for f in found:
            n += 1
            mine.append(Finding(f.kind, f.severity, f.line, f.end_line, f.message, {**f.data, "atomic": atomic.get(n, [])}))
        refined.append((target, mine))
    return refined, []


def _atomic(reply: Any, count: int) -> dict[int, list[str]]:
    """Sentence number -> its atomic claims, keeping only well-formed entries; malformed if none are."""
    from vaultkit.llm import LlmError

    items = reply.get("claims") if isinstance(reply, dict) else None
    if not isinstance(items, list):
        raise LlmError("malformed", 'the reply has no "claims" list')
    out: dict[int, list[str]] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("n"), int) or not 1 <= item["n"] <= count:
            continue
        given = item.get("atomic")
        if not isinstance(given, list):
            continue
        parts = [a.strip() for a in given if isinstance(a, str) and 0 < len(a.strip()) <= 300]
        if parts:
            out[item["n"]] = parts[:12]
    if not out:
        raise LlmError("malformed", "no sentence got atomic claims")
    return out


def _facts(note: Note, target: Target, claims: list[Finding], cited: bool) -> list[list[Any]]:
    """What `combine` compares: figures in claims, and author-year citations where the target cites."""
    out: list[list[Any]] = []
    for f in claims:
        text = str(f.data["text"])
        for key, value, (low, high) in numeric_facts(text):
            out.append([key, value, [low, high], f.line, target.id, context(text, key)[:30], text[:200]])
    if cited:
        by_line = {f.line: str(f.data["text"]) for f in claims}
        found = parse(note, target)
        for m in found.mentions:
            text = by_line.get(m.line, m.text)
            key = f"cite:{m.surname.lower()}"
            out.append([key, str(m.year), [m.year, m.year], m.line, target.id, context(text, key)[:30], text[:200]])
        for r in found.references:
            if r.authors and r.year:
                key = f"cite:{r.authors[0].lower()}"
                out.append([key, str(r.year), [r.year, r.year], r.line, target.id,
                            context(r.title or r.text, key)[:30], r.text[:200]])
    return out


def _uncited(f: Finding) -> bool:
    """A claim without a source by the `cover` rule (its severity says so; `cited` keeps its own meaning)."""
    return f.kind == "claim" and f.severity == "warning"


def _dismissed(summary: Any) -> frozenset[str]:
    return frozenset(summary.get("dismissed", ())) if isinstance(summary, dict) else frozenset()


def _conflict_result(pairs: list[tuple[dict[str, Any], dict[str, Any]]], dismissed: frozenset[str]) -> PassResult:
    findings: list[Finding] = []
    rows: dict[str, list[tuple[bool, str]]] = {}
    seen = set()
    shown: set[str] = set()
    for mine, other in sorted(pairs, key=lambda p: (p[0]["line"], p[0]["key"])):
        if (mine["line"], mine["key"], mine["value"]) in seen:  # a mention and its inline reference: one place
            continue
        seen.add((mine["line"], mine["key"], mine["value"]))
        subject = mine["key"].removeprefix("cite:").replace("|", " ")
        where = "elsewhere in this note" if other["path"] == mine["path"] else f"in {other['path']}"
        message = (f"{subject}: {mine['value']} here, {other['value']} {where} (line {other['line']}) — "
                   f"check which is right: {mine['text']}")
        # (both sides of a pair in one note are one conflict: one row, one tick for both)
        about = (f"{mine['key']}|{'|'.join(sorted([mine['value'], other['value']]))}" if other["path"] == mine["path"]
                 else f"{mine['key']}|{mine['value']}|{other['path']}|{other['value']}")
        found = Finding("conflicting-claim", "warning", mine["line"], mine["line"], message, {
            "key": mine["key"], "value": mine["value"], "text": mine["text"],
            "other": {"path": other["path"], "line": other["line"], "value": other["value"], "text": other["text"]},
        }, about=about)

        findings.append(found)
        if found.key in shown:
            continue
        shown.add(found.key)
        there = (f"at line {line_ref(other['line'])}" if other["path"] == mine["path"]
                 else f"in [[{note_link(other['path'])}]]")
        rows.setdefault(mine["target"], []).append((found.key in dismissed, task(found, (
            f"conflict: {quote(subject)} {quote(mine['value'])} here (line {line_ref(mine['line'])}), "
            f"{quote(other['value'])} {there} — {_short(other['text'])}"))))
    displays = tuple(Display(target, _capped(lines), "Claims", section="claims") for target, lines in rows.items())
    active = len({f.key for f in findings if f.key not in dismissed})
    return PassResult(tuple(findings), displays, {"conflicts": active} if active else {})


def _capped(rows: list[tuple[bool, str]]) -> str:
    """The first few conflicts and every ticked one (the tick is the record of it), then a count."""
    active = [row for ticked, row in rows if not ticked]
    out = active[:_FEW_CONFLICTS] + [row for ticked, row in rows if ticked]
    if len(active) > _FEW_CONFLICTS:
        rest = len(active) - _FEW_CONFLICTS
        out.append(f"- …and {rest} more conflicting figure{'s' if rest != 1 else ''} (`vaultkit run --json` lists them)")
    return "\n".join(out)


def _short(text: str) -> str:
    """A quoted sentence kept to a line a reader takes in at a glance (the line number leads to the rest)."""
    return escape(clip(plain(text), 160))


def _title(findings: list[Finding]) -> str:
    return "Uncited claims" if any(map(_uncited, findings)) else "Claims"


def render(findings: list[Finding], dismissed: frozenset[str] = frozenset(), listed: int = 10) -> str:
    """The uncited claims a reader has not ticked off, the most check-worthy first and at most
    `listed` of them, then the ticked ones (their ticks are the record of it), then the cited ones:
    listed when few, else counted. Every claim stays in --json."""
    uncited = sorted(filter(_uncited, findings), key=lambda f: (-float(f.data["score"]), f.line))
    active = [f for f in uncited if f.key not in dismissed] if dismissed else uncited
    rows: list[str] = []
    for f in active[:listed] + ([f for f in uncited if f.key in dismissed] if dismissed else []):
        near = " — its paragraph cites a source" if f.data.get("cover") == "paragraph" else ""
        rows.append(task(f, f"{_short(str(f.data['text']))} (line {line_ref(f.line)}){near}"))
        rows += [f"    - {escape(a)}" for a in f.data.get("atomic", ())]  # the model's words: escaped
    if len(active) > listed:
        rest = len(active) - listed
        rows.append(f"- …and {rest} more uncited claim{'s' if rest != 1 else ''} (`vaultkit run --json` lists them)")
    cited = [f for f in findings if f.kind == "claim" and not _uncited(f)]
    if 0 < len(cited) <= _FEW_CITED:
        rows += [f"- cited: {_short(str(f.data['text']))} (line {line_ref(f.line)})" for f in cited]
    elif cited:
        rows.append(f"- {len(cited)} {'other ' if uncited else ''}claims cite a source.")

    return "\n".join(rows)

