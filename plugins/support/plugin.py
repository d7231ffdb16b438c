"""`support`: does the source a claim cites say what the claim says?"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Sequence

from vaultkit import Context, Display, Finding, Note, PassResult, Target, line_ref, task
from vaultkit_plugins.text.claims import Claim, find_claims
from vaultkit_plugins.text.quoting import clip, escape, plain
from vaultkit_plugins.text.references import may_cite, parse
from vaultkit_plugins.text.services import SERVICES
from vaultkit_plugins.text.worthy import THRESHOLD

from ._read import LIMIT, Text

if TYPE_CHECKING:  # (the rest is imported when a note has a cited claim: a hook on any other starts faster)
    from ._sources import Source
    from ._verdict import Verdict

OPTIONS = {"llm": False, "max_bytes": LIMIT, "max_sources": 40}
SEVERITY = {"support-found": "info", "figure-mismatch": "warning", "not-in-source": "warning",
            "support-unclear": "info", "source-unavailable": "info", "contradicted-by-source": "warning",
            "source-uncached": "info"}
_RANK = {"support-found": 0, "contradicted-by-source": 1, "figure-mismatch": 2, "support-unclear": 3, "not-in-source": 4}
_UNSUPPORTED = ("figure-mismatch", "not-in-source", "contradicted-by-source")
_QUOTE = 160  # characters of a source's words shown in a callout line


class SupportPass:
    """Checks that the pages and papers AI answers cite say what the answers claim."""

    version = "1"
    featured_properties = ("unsupported",)
    options = OPTIONS
    online = True  # its results depend on the network: the pipeline does not cache them when online

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Each claim whose own sentence cites a source, against that source's words."""
        claims_options = ctx.config.pass_options("claims") if ctx.config is not None else {}
        threshold = float(claims_options.get("threshold", THRESHOLD))
        work: list[tuple[Target, Claim, list[Source]]] = []
        whole = [t for t in note.targets if t.kind == "note"]
        for target in whole or note.targets:  # a whole AI note already covers its callouts
            if not may_cite(note, target):
                continue
            found = find_claims(note, target, threshold, ctx.lookups)
            cited = [c for c in found.claims if c.cover == "sentence"]
            if cited:
                from ._sources import sources

                cites = parse(note, target)
                work += [(target, c, s) for c in cited if (s := sources(note, cites, found, c))]
        if not work:
            return PassResult()
        limit = int(ctx.options.get("max_sources", OPTIONS["max_sources"]))
        wanted = list(dict.fromkeys((s.kind, s.ident) for _, _, ss in work for s in ss))[:limit]
        refs = {(s.kind, s.ident): s.reference for _, _, ss in work for s in ss}
        texts = _texts(wanted, refs, ctx)
        client = _judge_client(ctx)
        findings: list[Finding] = []
        by_target: dict[Target, list[Finding]] = {}
        skipped: dict[Target, int] = {}
        for target, claim, cited_sources in work:
            f = _finding(claim, cited_sources, texts, client)
            if f is None:
                skipped[target] = skipped.get(target, 0) + 1
                continue
            findings.append(f)
            by_target.setdefault(target, []).append(f)
        for target, n in skipped.items():
            line = target.line
            f = Finding("source-uncached", "info", line, line,
                        f"{n} cited claim{'s' if n != 1 else ''} not checked: {'its' if n == 1 else 'their'} sources are "
                        "not in the cache yet (an online run fetches them)", {"claims": n})
            findings.append(f)
            by_target.setdefault(target, []).append(f)
        # (a target whose claims were all left unchecked offline gets no section: "not checked" alone is noise)
        displays = tuple(Display(t, render(fs, ctx.dismissed), "Sources", section="sources") for t, fs in by_target.items()
                         if any(f.kind != "source-uncached" for f in fs))
        checked = [f for f in findings if f.kind in _RANK]
        unsupported = sum(1 for f in checked if f.kind in _UNSUPPORTED and f.key not in ctx.dismissed)
        props = {"checked": len(checked), "unsupported": unsupported} if checked else {}
        # A source that failed for now (a timeout, a 429) is tried again next run. An offline result that
        # lacked sources is kept like any other: redoing it on every run would cost the no-op re-run
        # its speed (9 s instead of 1 on obsidian-help), and the next edit or online run refreshes it.
        transient = any(f.data.get("transient") for f in findings)
        return PassResult(tuple(findings), displays, props, cacheable=not transient)

    def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding] = ()) -> str:
        """"1 figure mismatch, 2 claims not in their source": what a reader should open first."""
        mismatch = sum(1 for f in findings if f.kind in ("figure-mismatch", "contradicted-by-source"))
        missing = sum(1 for f in findings if f.kind == "not-in-source")
        words = []
        if mismatch:
            words.append(f"{mismatch} figure mismatch{'es' if mismatch != 1 else ''}"
                         if all(f.kind == "figure-mismatch" for f in findings if f.kind != "not-in-source"
                                and f.kind in _UNSUPPORTED) else f"{mismatch} claim{'s' if mismatch != 1 else ''} contradicted")
        if missing:
            words.append(f"{missing} claim{'s' if missing != 1 else ''} not in {'its' if missing == 1 else 'their'} source")
        return ", ".join(words)


def _texts(wanted: list[tuple[str, str]], refs: dict[tuple[str, str], Any], ctx: Context) -> dict[tuple[str, str], Text]:
    """Each source's words: from the cache, and online from the network (concurrently, per-host limits apply)."""
    from ._read import cached_page, page, paper

    scholar = {**SERVICES, **{k: v for k, v in (ctx.config.pass_options("citations") if ctx.config is not None else {}).items()
                              if k in SERVICES}}
    limit = int(ctx.options.get("max_bytes", OPTIONS["max_bytes"]))
    client = ctx.net.client() if ctx.net is not None else None

    def read(item: tuple[str, str]) -> Text:
        try:
            return _read(item)
        except Exception as exc:  # noqa: BLE001 — one unreadable page must not cost the note its other verdicts
            return Text("unavailable", "", f"could not be read: {type(exc).__name__}: {exc}"[:200])

    def _read(item: tuple[str, str]) -> Text:
        kind, ident = item
        if kind == "url":
            if client is None:
                return cached_page(ident, ctx.lookups) or Text("uncached")
            return page(ident, client, ctx.lookups, limit)
        return paper(kind, ident, refs.get(item), client, scholar, ctx.lookups)

    if client is None or len(wanted) < 2:
        return {item: read(item) for item in wanted}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(wanted)), thread_name_prefix="vaultkit-support") as pool:
        return dict(zip(wanted, pool.map(read, wanted)))


def _judge_client(ctx: Context) -> Any:
    """The model client when `llm = true` and the run may use one (else None: the embedded verdict alone)."""
    if not ctx.options.get("llm"):
        return None
    from vaultkit.llm import chat_client

    client, _ = chat_client(ctx)
    return client


def _finding(claim: Claim, cited: list[Source], texts: dict[tuple[str, str], Text], client: Any) -> Finding | None:
    """One finding for a claim: the best verdict over its sources (support wins), or why none could be read;
    None when an offline run has not fetched its sources yet."""
    from ._verdict import judge

    verdicts: list[tuple[Verdict, Source, str]] = []
    unread: list[tuple[Source, Text]] = []
    for s in cited:
        t = texts.get((s.kind, s.ident), Text("unavailable", "", "over this note's limit of sources"))
        if t.status == "ok":
            verdicts.append((judge(claim.text, t.text), s, t.text))
        else:
            unread.append((s, t))
    line, end = claim.unit.line, max(claim.unit.end_line, claim.unit.line)
    if not verdicts:
        s, t = next(((s, t) for s, t in unread if t.status == "unavailable"), (None, None))
        if s is None or t is None:
            return None
        data = {"claim": claim.text, "source": s.name, "marker": s.marker, "score": 0.0, "detail": t.detail,
                "transient": t.transient}
        return Finding("source-unavailable", "info", line, end, f"{s.name} could not be read ({t.detail})", data,
                       about=f"{claim.text}|{s.name}")
    v, s, text = min(verdicts, key=lambda x: _RANK[x[0].kind])
    kind, evidence, note = v.kind, v.evidence, ""
    ruling: dict[str, Any] | None = None
    if client is not None:
        from ._judge import LABELS, rule

        r = rule(client, claim.text, v.passages or (v.evidence,), text)
        ruling = {"label": r.label, "quote": r.quote, "kept": r.kept, **({"why": r.why} if r.why else {})}
        if r.kept:
            kind, evidence = LABELS[r.label], r.quote
    if kind != "support-found" and unread:  # a source not read might say it: never a warning then
        kind, note = "support-unclear", f" ({len(unread)} other source{'s' if len(unread) != 1 else ''} not read)"
    data: dict[str, Any] = {"claim": claim.text, "source": s.name, "marker": s.marker, "score": v.score}
    if evidence:
        data["evidence"] = evidence
    if kind == "figure-mismatch":
        data.update(said=v.said, claimed=v.claimed)
    if ruling is not None:
        data["judge"] = ruling
    return Finding(kind, SEVERITY[kind], line, end, _message(kind, s, v, evidence) + note, data,  # type: ignore[arg-type]
                   about=f"{claim.text}|{s.name}")


def _message(kind: str, s: Source, v: Verdict, evidence: str) -> str:
    said = f': "{snippet(evidence, v.said if kind == "figure-mismatch" else "")}"' if evidence else ""
    if kind == "support-found":
        return f"{s.name} says it{said}"
    if kind == "figure-mismatch":
        return f"the source says {v.said}; the answer says {v.claimed} — {s.name}{said}"
    if kind == "contradicted-by-source":
        return f"{s.name} says otherwise{said}"
    if kind == "not-in-source":
        return f"nothing in {s.name} comes close to this claim"
    return f"{s.name} may not say this; its closest passage{said}"


def render(findings: list[Finding], dismissed: frozenset[str] = frozenset()) -> str:
    """The problems as lines to tick off, the source's own words quoted short and escaped; supported
    claims, unclear ones and unread sources as one line of counts."""
    rows = []
    for f in findings:
        if f.kind not in _UNSUPPORTED:
            continue
        claim = escape(clip(plain(str(f.data["claim"])), 120))
        where = f"(line {line_ref(f.line)})"
        source = escape(str(f.data["source"]))
        said = escape(snippet(str(f.data.get("evidence", "")), str(f.data.get("said", ""))))
        if f.kind == "figure-mismatch":
            text = (f"figure mismatch {where}: the source says {escape(str(f.data['said']))}, the answer "
                    f"{escape(str(f.data['claimed']))} — “{said}” ({source})")
        elif f.kind == "contradicted-by-source":
            text = f"contradicted {where}: {claim} — the source: “{said}” ({source})"
        else:
            text = f"not in its source {where}: {claim} — nothing in {source} comes close"
        rows.append(task(f, text))
    counts = {k: sum(1 for f in findings if f.kind == k) for k in ("support-found", "support-unclear", "source-unavailable")}
    parts = []
    if counts["support-found"]:
        n = counts["support-found"]
        parts.append(f"{n} claim{'s' if n != 1 else ''} supported by {'its source' if n == 1 else 'their sources'}")
    if counts["support-unclear"]:
        parts.append(f"{counts['support-unclear']} unclear")
    if counts["source-unavailable"]:
        n = counts["source-unavailable"]
        parts.append(f"{n} source{'s' if n != 1 else ''} could not be read")
    uncached = sum(int(f.data.get("claims", 0)) for f in findings if f.kind == "source-uncached")
    if uncached:
        parts.append(f"{uncached} not checked offline")
    if parts:
        rows.append("- " + " · ".join(parts))
    return "\n".join(rows)


def snippet(evidence: str, figure: str = "") -> str:
    """The sentence of the evidence that holds the source's figure (else its first), kept short."""
    text = " ".join(evidence.split())
    sentences = [m.group().strip() for m in re.finditer(r".+?(?:[.!?](?=\s)|$)", text) if m.group().strip()]
    pick = next((x for x in sentences if figure and figure in x), sentences[0] if sentences else "")
    return clip(pick, _QUOTE)
