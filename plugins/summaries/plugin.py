"""`summaries`: a short, faithful summary of each long AI answer and of each long section in it,
shown in a collapsed callout and kept in the note's frontmatter.

By default the summary is extractive: the most central sentences of the unit (LexRank), in their
order, so it never says anything the text does not. `mode = "llm"` asks the `[llm]` model for
an abstractive one and keeps it only when `_faithful` finds nothing new in it; otherwise the
extractive summary stands and the finding says why.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any, NamedTuple, Sequence

from vaultkit import Context, Display, Finding, Note, PassResult, Target, line_ref


from vaultkit_plugins.text.headings import heading_paths
from vaultkit_plugins.text.quoting import EMBED, clip, escape, plain
from vaultkit_plugins.text.sentences import SENTENCE, sentences, split_label
from vaultkit_plugins.text.shape import bare, is_meta, says_something
from vaultkit_plugins.text.units import units

from ._lexrank import encode, pick, rank, script, similarity

OPTIONS = {"mode": "extractive", "min_words": 150, "budget": 60, "placement": "heading"}
MODES = ("extractive", "llm")
PLACEMENTS = ("heading", "target")  # under the section's heading, or after the target (its callout)
UNSEGMENTED = ("Thai", "Lao")  # scripts that end sentences with a space, not a mark
_NO_STOPS = re.compile("[\u0e00-\u0eff]")  # their letters
_PROMPT = (
    "Summarise the text below in at most {budget} words, in the language it is written in. Be "
    "faithful: use only what the text says, and add no facts, numbers or names that are not in it. "
    "Reply with only the summary, as plain sentences.\n\n{heading}{text}"
)


class Unit(NamedTuple):
    """What gets one summary: a whole target, or a long section of one."""

    target: Target
    line: int  # the target's first line or the section's heading
    end_line: int
    heading: str
    anchor: int  # the line its callout goes under (0: after the target)
    sentences: list[str]  # as written (Markdown kept: `plain` is applied to the chosen ones)
    similarity: Any  # the sentences' similarity matrix, for ranking; None: a script that marks no sentence ends
    sizes: list[int]  # the sentences' lengths in words
    section: bool = False  # a section of the target, not the whole of it
    paragraphs: Sequence[int] = ()  # the paragraph or list item each sentence is in


class Summary(NamedTuple):
    """A unit's summary, which mode made it, and why a model's summary was not kept."""

    text: str
    mode: str
    fallback: str = ""


class SummariesPass:
    """Summarises each long AI answer and each long section in it."""

    version = "5"
    featured_properties = ("summary",)  # what the Properties panel shows by default
    options = OPTIONS

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """One `summary` finding and callout per unit; `summary-unsegmented` where no sentence fits."""
        mode = _choice(ctx, "mode", MODES)
        under_heading = _choice(ctx, "placement", PLACEMENTS) == "heading"
        outline = ctx.layout == "answer"  # sections are one line each in the answer's outline
        min_words = int(ctx.options.get("min_words", OPTIONS["min_words"]))
        budget = int(ctx.options.get("budget", OPTIONS["budget"]))
        findings: list[Finding] = []
        todo: list[tuple[Unit, str]] = []
        blurb = ""  # the first answer's most central sentence: what the Properties panel shows
        for unit in _units(note, min_words, under_heading, ctx.lookups):
            chosen: list[int] = []
            text = ""
            if unit.similarity is not None:
                text, chosen = _summary(unit, rank(unit.similarity), budget, 1 if outline and unit.section else 3)
            if text:
                if not todo:
                    blurb = text if len(chosen) == 1 else plain(unit.sentences[chosen[0]]) or text
                todo.append((unit, text))
            elif not chosen:
                findings.append(_unsegmented(unit, budget))  # (chosen, but only markup: nothing to say)
        made = [Summary(text, "extractive") for _, text in todo]
        cacheable = True
        if mode == "llm" and todo:
            made, extra = _abstractive(todo, budget, ctx)
            findings += extra
            cacheable = not extra  # a model that did not answer is asked again next run
        displays: list[Display] = []
        paths = heading_paths(note) if outline and any(unit.section for unit, _ in todo) else {}
        for (unit, _), summary in zip(todo, made):
            data = {"text": summary.text, "mode": summary.mode, "heading": unit.heading}
            if summary.fallback:
                data["fallback"] = summary.fallback
            findings.append(Finding("summary", "info", unit.line, unit.end_line, f"summary: {summary.text}", data))
            if not outline:
                displays.append(Display(unit.target, escape(summary.text), "Summary", unit.anchor))
            elif unit.section:  # a line of the answer's outline: its heading, linked, and its summary
                path = paths.get(unit.line, "")
                link = f"[[#{path}]]" if path else f"{escape(plain(unit.heading))} (line {line_ref(unit.line)})"
                displays.append(Display(unit.target, f"- {link}: {escape(summary.text)}", "Outline", unit.line, "outline"))
            else:
                displays.append(Display(unit.target, escape(summary.text), "Summary", section="summary"))
        if made and made[0].mode != "extractive":
            blurb = made[0].text
        properties = {"summary": clip(blurb, 200)} if made else {}  # (what the Properties panel has room for)
        findings.sort(key=lambda f: (f.line, f.end_line))
        return PassResult(tuple(findings), tuple(_merged(displays)), properties, cacheable=cacheable)


def _choice(ctx: Context, key: str, allowed: tuple[str, ...]) -> str:
    value = ctx.options.get(key, OPTIONS[key])
    if value not in allowed:
        raise ValueError(f"[passes.summaries] {key} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return str(value)


def _units(note: Note, min_words: int, under_heading: bool, lookups: Any = None) -> list[Unit]:
    """Each target and each of its sections holding at least `min_words` words, in note order."""
    whole = [t for t in note.targets if t.kind == "note"]
    out: list[Unit] = []
    sections: list[Any] | None = None
    for target in whole or note.targets:
        if (len(target.text) + 1) // 2 < min_words:  # a word takes two characters, its space included
            continue
        sents = [s for s in sentences(note, target, lookups=lookups)  # (an embed starts with `!`: one test first)
                 if s.kind == SENTENCE and s.text and not (s.text[0] == "!" and EMBED.fullmatch(s.text))]
        texts = [s.text for s in sents]
        paragraphs = [s.paragraph for s in sents]
        encoded = encode(texts)
        lengths = encoded.sizes
        if sum(lengths) < min_words:  # then none of its sections is long enough either
            continue
        sample = " ".join(texts[:5])
        unsegmented = bool(_NO_STOPS.search(sample)) and script(sample) in UNSEGMENTED
        sim = None if unsegmented else similarity(encoded)  # once: its sections rank on blocks of it
        out.append(Unit(target, target.line, target.end_line, target.title, 0, texts, sim, lengths, False, paragraphs))

        if sections is None:
            sections = [u for u in units(note, text=False) if u.kind == "section"]
        lines = [s.line for s in sents]
        for section in sections:
            if section.target != target:
                continue
            own = range(bisect_right(lines, section.line), bisect_right(lines, section.end_line))
            if sum(lengths[i] for i in own) >= min_words:
                anchor = section.line if under_heading else 0
                out.append(Unit(target, section.line, section.end_line, section.heading, anchor,
                                [texts[i] for i in own], None if sim is None else sim[own.start:own.stop, own.start:own.stop],
                                lengths[own.start:own.stop], True, paragraphs[own.start:own.stop]))
    return out


def _summary(unit: Unit, scores: list[float], budget: int, most: int) -> tuple[str, list[int]]:
    """A unit's summary and the sentences it is made of: the lead when it states the answer, then
    the most central sentences that fit. A lead that introduces a list of labelled items takes their
    labels ("… include: pruning, quantization and distillation"). Never a question, a list's intro on
    its own, meta-text, a review of a draft or a verbless fragment."""
    texts = unit.sentences

    def allowed(i: int) -> bool:  # (asked of the few sentences a summary may be made of, not of all)
        return says_something(texts[i])

    count = 0  # the sentences of the first paragraph (or list item)
    while count < len(texts) and unit.paragraphs[count] == unit.paragraphs[0]:
        count += 1
    lead = next((i for i in range(count) if allowed(i)), None)
    if lead is not None and unit.sizes[lead] > budget:
        lead = None
    intro = count - 1
    if count and texts[intro].rstrip(" *_").endswith(":") and (labels := _labels(unit, intro)):
        said = plain(texts[intro])
        if said.endswith(":") and not is_meta(bare(texts[intro])) and len(said.split()) >= 3:
            before = [lead] if lead is not None and lead < intro else []
            room = budget - sum(unit.sizes[i] for i in before)
            joined = _with_labels(said, labels, room, " ".join(texts))
            if joined:
                return " ".join([*(plain(texts[i]) for i in before), joined]), [*before, intro]
    chosen = pick(texts, budget, most, scores=scores, sizes=unit.sizes, allowed=allowed,
                  chosen=[lead] if lead is not None else [])
    return " ".join(filter(None, (plain(texts[i]) for i in chosen))), chosen


def _labels(unit: Unit, intro: int) -> list[str]:
    """The bold labels of the list items right after sentence `intro` (two or more, or none). Where
    some items are only a label (a nested list's group names), those."""
    found: list[tuple[str, bool]] = []
    paragraph = unit.paragraphs[intro]
    for i in range(intro + 1, len(unit.sentences)):
        if unit.paragraphs[i] == paragraph:
            continue
        paragraph = unit.paragraphs[i]
        label, rest = split_label(unit.sentences[i].strip())
        if not label:
            break
        whole = not rest.strip() and (i + 1 == len(unit.sentences) or unit.paragraphs[i + 1] != paragraph)
        found.append((plain(label), whole))
    groups = [label for label, whole in found if whole]
    labels = groups if len(groups) >= 2 else [label for label, _ in found]
    return labels if len(labels) >= 2 else []


def _with_labels(intro: str, labels: list[str], budget: int, source: str) -> str:
    """`Intro: a, b and c.` in at most `budget` words (as many labels as fit, then `…`); "and" only
    where the answer uses the word itself."""
    room = budget - len(intro.split())
    kept: list[str] = []
    for label in labels:
        room -= len(label.split())
        if room < 0:
            break
        kept.append(label)
    if not kept:
        return ""  # (an intro without its list would end on a colon)
    if len(kept) == len(labels) and len(kept) > 1 and re.search(r"\band\b", source):
        return f"{intro} {', '.join(kept[:-1])} and {kept[-1]}."
    return f"{intro} {', '.join(kept)}{'.' if len(kept) == len(labels) else ', …'}"


def _unsegmented(unit: Unit, budget: int) -> Finding:
    """No summary where the sentences cannot be trusted: a script that marks no sentence ends (Thai,
    Lao), or no sentence short enough to be one (the segmenter found too few ends)."""
    kind = script(" ".join(unit.sentences[:5]))
    shortest = min(unit.sizes)
    if kind in UNSEGMENTED:
        why = f"{kind} text marks no sentence ends, so vaultkit cannot pick sentences from it"
    elif not any(map(says_something, unit.sentences)):
        why = "none of its sentences states something on its own (meta-text, questions, list intros, fragments)"
    else:
        why = f"none of its {len(unit.sentences)} sentences fits the budget of {budget} words (the shortest is {shortest})"
    return Finding("summary-unsegmented", "info", unit.line, unit.end_line, f"no summary: {why}",
                   {"heading": unit.heading, "script": kind, "sentences": len(unit.sentences)})


def _abstractive(todo: list[tuple[Unit, str]], budget: int, ctx: Context) -> tuple[list[Summary], list[Finding]]:
    """`mode = "llm"`: the model's summary of each unit where it passes the guards, else the extractive one."""
    from vaultkit.llm import LlmError, chat_client

    from ._faithful import rejection

    client, why = chat_client(ctx)
    out: list[Summary] = []
    for unit, extractive in todo:
        source = " ".join(map(plain, unit.sentences))
        try:
            if client is None:
                raise LlmError("unavailable", why)
            prompt = _PROMPT.format(budget=budget, heading=f"{unit.heading}\n\n" if unit.heading else "", text=source)
            reply = plain(client.complete([{"role": "user", "content": prompt}], max_tokens=budget * 4))
        except LlmError as exc:
            rest = [Summary(text, "extractive", f"the model gave no usable answer ({exc})") for _, text in todo[len(out):]]
            return out + rest, [Finding("llm-fallback", "warning", unit.line, unit.line,
                                        f'mode = "llm", but the model gave no usable answer ({exc}) — these are '
                                        "extractive summaries", {"reason": exc.kind})]
        reason = rejection(reply, f"{unit.heading} {source}", budget)
        out.append(Summary(extractive, "extractive", reason) if reason else Summary(reply, "llm"))
    return out, []


def _merged(displays: list[Display]) -> list[Display]:

    """One callout per place: two summaries sent to the same place share it (an outline's lines, one list)."""
    out: dict[tuple[Target | str | None, int | str], Display] = {}
    for d in displays:
        key = (d.target, d.section or d.line)
        if key in out:
            old = out[key]
            gap = "\n" if d.section == "outline" else "\n\n"
            out[key] = Display(old.target, old.body + gap + d.body, old.title, old.line, old.section)
        else:
            out[key] = d
    return list(out.values())

