"""Pass results -> the note's new text: managed callouts after targets, flat properties in frontmatter.

Rendering always starts from the note's stripped human text, so what `run`
adds is exactly what `clean` removes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from vaultkit.errors import ParseError
from vaultkit.answer import Answer, answers, owner
from vaultkit.managed import CREATED_KEY, CREATED_VALUE, answer_lines, block_lines, outer_prefix, part_mark, separator
from vaultkit.note import Note, Target, load_yaml
from vaultkit.passes import Display, Finding, PassOutput, PassResult, Property, resolve_line_refs
from vaultkit.tasks import as_written
from vaultkit.text import digest, eol, strip_eol


@dataclass
class Rendered:
    """The note's new text, the findings rendering itself produced, and where lines moved."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    inserted: list[tuple[int, int]] = field(default_factory=list)  # (before note line index, count)

    def new_line(self, line: int) -> int:
        """Where 1-based line `line` of `note.lines` is in the rendered text."""
        return line + sum(count for at, count in self.inserted if at < line)


def compose(note: Note, outputs: Sequence[PassOutput], where: Callable[[int], int] | None = None) -> Rendered:
    """The note's text with every pass's callouts and properties in place. Line references in
    callouts name lines of this text, or of the file `where` maps note lines to."""
    nl = note.decoded.newline
    made = answers(note, outputs) if note.config.layout == "answer" else None
    lines, inserted, findings = _with_blocks(note, outputs, nl, made)
    properties = _properties(note, outputs)
    splice: tuple[int, list[str]] | None = None
    if properties or note.kept_keys:
        new_lines, problem, at = _with_properties(note, lines, properties, nl)
        if problem:
            findings.append(Finding("properties-skipped", "warning", 1, 1, problem, {}, "vaultkit"))
        else:
            added = len(new_lines) - len(lines)
            splice = (at, new_lines[at:at + added])
            inserted.append((at, added))
    if any("\ue000" in d.body for out in outputs for d in out.result.displays):
        # Line references: the layout does not depend on the numbers, so lay the blocks out again
        # with them filled in; the properties sit in the frontmatter, above every block.
        where = where or Rendered("", [], inserted).new_line
        if made is not None:  # (an answer's callout: only its rows change)
            made = [replace(a, rows=[resolve_line_refs(r, where) for r in a.rows]) for a in made]
            lines = _with_blocks(note, outputs, nl, made)[0]
        else:
            filled = [PassOutput(o.name, o.input_hash, PassResult(
                o.result.findings, tuple(Display(d.target, resolve_line_refs(d.body, where), d.title, d.line,
                                                 d.section) for d in o.result.displays),
                o.result.properties, o.result.summary), o.featured, o.headline, o.partial) for o in outputs]
            lines = _with_blocks(note, filled, nl)[0]
    if splice is not None:
        at, rows = splice
        lines = lines[:at] + rows + lines[at:]
    return Rendered("".join(lines), findings, inserted)


Make = Callable[[str, str, bool], list[str]]  # (quote prefix, newline, tail) -> a callout's lines


def _with_blocks(note: Note, outputs: Sequence[PassOutput], nl: str, made: list[Answer] | None = None
                 ) -> tuple[list[str], list[tuple[int, int]], list[Finding]]:
    """The note's lines with the managed callouts inserted: one per answer (`made`), or one per pass."""
    findings: list[Finding] = []
    edited = {(b.pass_name, b.target_id): b for b in note.blocks if not b.intact}
    for b in edited.values():
        what = f"the {b.pass_name} callout" if b.pass_name else "vaultkit's callout"
        findings.append(
            Finding("managed-block-edited", "warning", note.note_line(b.line), note.note_line(b.end_line),
                    f"{what} was edited by hand, so vaultkit leaves it as it is — "
                    "delete it to get a fresh one", {"pass": b.pass_name}, "vaultkit")
        )
    by_anchor: dict[tuple[Target | None, int], list[Make]] = {}
    if made is not None:
        for a in made:
            by_anchor[(a.target, 0)] = [lambda pre, nl, tail, a=a: answer_lines(  # type: ignore[misc]
                a.target.id, pre, a.title, a.owners, a.rows, nl, tail, a.held)]
    else:
        _per_pass(note, outputs, edited, by_anchor)
    lines = list(note.lines)
    inserted: list[tuple[int, int]] = []
    # Insert bottom-up so earlier indices stay valid; at one line, deeper anchors go first.
    for target, line in sorted(by_anchor, key=_position, reverse=True):
        before = len(lines)
        lines = _insert_blocks(lines, target, line, by_anchor[(target, line)], nl)
        inserted.append((_position((target, line))[0], len(lines) - before))
    return lines, inserted, findings


def _per_pass(note: Note, outputs: Sequence[PassOutput], edited: Mapping[tuple[str, str], object],
              by_anchor: dict[tuple[Target | None, int], list[Make]]) -> None:
    """`layout = "passes"`: a callout per pass and place (a section of an answer's callout whose pass
    did not run is kept as one)."""
    ran = {o.name for o in outputs}
    for b in note.blocks:
        target = owner(note, b) if b.intact and not b.pass_name else None
        for p in b.parts if target is not None else ():
            if p.pass_name not in ran:  # (its task keys and boxes as a pass writes them: block_lines redoes them)
                body = as_written("\n".join(p.rows).replace(part_mark(p.pass_name, p.section), ""))
                dismissed = note.dismissed.get(p.pass_name, frozenset())
                by_anchor.setdefault((target, 0), []).append(
                    lambda pre, nl, tail, p=p, body=body, tid=target.id, dismissed=dismissed: block_lines(
                        p.pass_name, tid, "0", pre, p.pass_name, body, nl, tail, dismissed))
    unsafe = _inside_regions(note) if any(d.line for out in outputs for d in out.result.displays) else set()
    for out in outputs:
        for d in out.result.displays:
            assert not isinstance(d.target, str), "the pipeline resolves target ids before rendering"
            line = d.line
            if line in unsafe:  # under a line of code, math, HTML or a comment our block would be text
                if d.target is None:
                    continue
                line = 0  # after its target instead
            if (out.name, block_id(d.target, line)) in edited:
                continue
            dismissed = note.dismissed.get(out.name, frozenset())
            by_anchor.setdefault((d.target, line), []).append(
                lambda pre, nl, tail, out=out, d=d, tid=block_id(d.target, line), dismissed=dismissed: block_lines(
                    out.name, tid, out.input_hash, pre, d.title or out.name, d.body, nl, tail, dismissed))


def _inside_regions(note: Note) -> set[int]:
    """Lines of code, math, HTML and comments (an unclosed fence's too): no callout goes under them."""
    return {line for r in note.regions for line in range(r.line, r.end_line + 1)}


def _position(anchor: tuple[Target | None, int]) -> tuple[int, int, int]:
    """Where an anchor's blocks go (the line they follow), then depth, for a bottom-up order."""
    target, line = anchor
    if target is None:
        return line, 0, line
    return line or target.end_line, target.depth, line


def block_id(target: Target | None, line: int = 0) -> str:
    """What a managed callout's `t=` names: its target, or its target (or note) and the line it sits under."""
    if target is None:
        return digest("note", str(line), size=8)
    return target.id if not line else digest(target.id, str(line), size=8)


_QUOTES = re.compile(r"^(?:[ ]{0,3}>[ ]?)*")


def _insert_blocks(lines: list[str], target: Target | None, line: int, blocks: list[Make], nl: str) -> list[str]:
    at = _position((target, line))[0]  # 0-based index of the line after the target (or the anchor line)
    if at > 0 and eol(lines[at - 1]):
        # Use the ending of the line we insert after: a lone CR followed by our LF
        # would otherwise merge into one CRLF and swallow a line break.
        nl = eol(lines[at - 1])
    if line:  # under a heading: inside whatever quotes the heading is in
        quotes = _QUOTES.match(strip_eol(lines[line - 1]))
        pre = quotes.group() if quotes else ""
        pre = pre if not pre or pre.endswith(" ") else pre + " "
    else:
        assert target is not None
        pre = outer_prefix(strip_eol(lines[target.line - 1])) if target.kind == "callout" else ""
    sep = separator(pre)
    following = strip_eol(lines[at]) if at < len(lines) else None
    tail = following is not None and following.strip() != "" and following.rstrip() != sep
    chunk: list[str] = []
    for k, make in enumerate(blocks):
        last = k == len(blocks) - 1
        chunk.append(sep + nl)
        chunk.extend(make(pre, nl, tail and last))
    if tail:
        chunk.append(sep + nl)
    before = lines[:at]
    if at == len(lines) and before and not eol(before[-1]):
        # The note ends without a newline: keep it that way after our block.
        before[-1] = before[-1] + nl
        chunk[-1] = strip_eol(chunk[-1])
    return before + chunk + lines[at:]


def _properties(note: Note, outputs: Sequence[PassOutput]) -> dict[str, tuple[str, Property]]:
    """The passes' properties as frontmatter keys (with the pass of each): by default only those each
    pass features (the Properties panel shows every key, so per-pass counts wait for `properties = "all"`)."""
    prefix = note.config.property_prefix
    every = note.config.properties == "all"
    props: dict[str, tuple[str, Property]] = {}
    for out in outputs:
        for key, value in sorted(out.result.properties.items()):
            if every or out.featured is None or key in out.featured:
                props[f"{prefix}{property_name(out.name, key)}"] = (out.name, value)
    return props


def _yaml_scalar(value: Property | Any) -> str:
    """JSON scalars are valid YAML flow scalars; strings are always double-quoted ([[links]] too)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _rows(note: Note, props: Mapping[str, tuple[str, Property]], nl: str) -> list[str]:
    """vaultkit's frontmatter lines, by pass: the fresh keys, and other passes' as they were written."""
    rows = [(name, [f"{key}: {_yaml_scalar(value)}{nl}"]) for key, (name, value) in props.items()]
    rows += [(name, list(kept)) for name, kept in note.kept_keys]
    return [line for _, group in sorted(rows, key=lambda r: r[0]) for line in group]


def _with_properties(
    note: Note, lines: list[str], props: Mapping[str, tuple[str, Property]], nl: str
) -> tuple[list[str], str, int]:
    """Add vaultkit's keys at the end of the frontmatter (creating it if needed), then verify.

    Returns the new lines, a problem ('' if none) and the note line index the keys went before.
    """
    fm = note.frontmatter
    if fm is None:
        prefix = note.config.property_prefix
        rows = _rows(note, props, nl)
        created = [f"---{nl}", f"{prefix}{CREATED_KEY}: {CREATED_VALUE}{nl}", *rows, f"---{nl}"]
        new = created + lines
        start, end, at = 1, len(created) - 1, 0
        human: Mapping[str, Any] = {f"{prefix}{CREATED_KEY}": CREATED_VALUE}
    else:
        if not fm.is_mapping:
            return lines, "frontmatter is not a key: value mapping, so vaultkit adds no properties to it", 0
        close = fm.end_line - 1  # 0-based index of the closing ---
        nl = eol(lines[close - 1]) if close > 0 and eol(lines[close - 1]) else nl
        rows = _rows(note, props, nl)
        new = lines[:close] + rows + lines[close:]
        start, end, at = 1, close + len(rows), close
        human = fm.data
    problem = "adding properties would change how the frontmatter reads, so vaultkit left it alone"
    try:
        data = load_yaml("".join(new[start:end]))
    except ParseError:
        return lines, problem, at
    # Keys appended at column 0 after the last human line cannot change a human value
    # (YAML ends every block there), so checking the keys and our own values is enough.
    # Human values are never compared: deep, aliased or odd data must not cost anything.
    if not isinstance(data, dict) or len(data) != len(human) + len(props) + len(note.kept_keys) \
            or not all(k in data for k in human):
        return lines, problem, at
    if any(type(data.get(k)) is not type(v) or data.get(k) != v for k, (_, v) in props.items()):
        return lines, problem, at
    return new, "", at


def property_name(pass_name: str, key: str) -> str:
    """`<pass>_<key>` with anything but letters, digits, `_` and `-` made `_`, so clean can find it."""
    return re.sub(r"[^\w-]", "_", f"{pass_name}_{key}")
