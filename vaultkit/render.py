"""Pass results -> the note's new text: managed callouts after targets, flat properties in frontmatter.

Rendering always starts from the note's stripped human text, so what `run`
adds is exactly what `clean` removes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from vaultkit.errors import ParseError
from vaultkit.managed import CREATED_KEY, CREATED_VALUE, block_lines, outer_prefix, separator
from vaultkit.note import Note, Target, load_yaml
from vaultkit.passes import Display, Finding, PassResult, Property, resolve_line_refs
from vaultkit.text import digest, eol, strip_eol


@dataclass(frozen=True)
class PassOutput:
    """One pass's result for one note, with the hash of the input it was computed from."""

    name: str
    input_hash: str
    result: PassResult
    featured: frozenset[str] | None = None  # the property keys written by default (None: every one)


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
    lines, inserted, findings = _with_blocks(note, outputs, nl)
    properties = _properties(note, outputs)
    splice: tuple[int, list[str]] | None = None
    if properties:
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
        filled = [PassOutput(o.name, o.input_hash, PassResult(
            o.result.findings, tuple(Display(d.target, resolve_line_refs(d.body, where), d.title, d.line)
                                     for d in o.result.displays), o.result.properties, o.result.summary), o.featured)
            for o in outputs]
        lines = _with_blocks(note, filled, nl)[0]
    if splice is not None:
        at, rows = splice
        lines = lines[:at] + rows + lines[at:]
    return Rendered("".join(lines), findings, inserted)


def _with_blocks(note: Note, outputs: Sequence[PassOutput], nl: str
                 ) -> tuple[list[str], list[tuple[int, int]], list[Finding]]:
    """The note's lines with every pass's managed callouts inserted after their targets."""
    lines = list(note.lines)
    findings: list[Finding] = []
    inserted: list[tuple[int, int]] = []
    edited = {(b.pass_name, b.target_id): b for b in note.blocks if not b.intact}
    for b in edited.values():
        findings.append(
            Finding("managed-block-edited", "warning", note.note_line(b.line), note.note_line(b.end_line),
                    f"the {b.pass_name} callout was edited by hand, so vaultkit leaves it as it is — "
                    "delete it to get a fresh one", {"pass": b.pass_name}, "vaultkit")
        )
    by_anchor: dict[tuple[Target | None, int], list[tuple[str, str, str, str]]] = {}
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
            by_anchor.setdefault((d.target, line), []).append((out.name, out.input_hash, d.title or out.name, d.body))
    # Insert bottom-up so earlier indices stay valid; at one line, deeper anchors go first.
    for target, line in sorted(by_anchor, key=_position, reverse=True):
        before = len(lines)
        lines = _insert_blocks(lines, target, line, by_anchor[(target, line)], nl)
        inserted.append((_position((target, line))[0], len(lines) - before))
    return lines, inserted, findings


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


def _insert_blocks(lines: list[str], target: Target | None, line: int, blocks: list[tuple[str, str, str, str]],
                   nl: str) -> list[str]:
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
    tid = block_id(target, line)
    for k, (name, input_hash, title, body) in enumerate(blocks):
        last = k == len(blocks) - 1
        chunk.append(sep + nl)
        chunk.extend(block_lines(name, tid, input_hash, pre, title, body, nl, tail and last))
    if tail:
        chunk.append(sep + nl)
    before = lines[:at]
    if at == len(lines) and before and not eol(before[-1]):
        # The note ends without a newline: keep it that way after our block.
        before[-1] = before[-1] + nl
        chunk[-1] = strip_eol(chunk[-1])
    return before + chunk + lines[at:]


def _properties(note: Note, outputs: Sequence[PassOutput]) -> dict[str, Property]:
    """The passes' properties as frontmatter keys: by default only those each pass features (the
    Properties panel shows every key, so per-pass counts wait for `properties = "all"`)."""
    prefix = note.config.property_prefix
    every = note.config.properties == "all"
    props: dict[str, Property] = {}
    for out in outputs:
        for key, value in sorted(out.result.properties.items()):
            if every or out.featured is None or key in out.featured:
                props[f"{prefix}{property_name(out.name, key)}"] = value
    return props


def _yaml_scalar(value: Property | Any) -> str:
    """JSON scalars are valid YAML flow scalars; strings are always double-quoted ([[links]] too)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _with_properties(
    note: Note, lines: list[str], props: Mapping[str, Property], nl: str
) -> tuple[list[str], str, int]:
    """Add vaultkit's keys at the end of the frontmatter (creating it if needed), then verify.

    Returns the new lines, a problem ('' if none) and the note line index the keys went before.
    """
    fm = note.frontmatter
    if fm is None:
        prefix = note.config.property_prefix
        rows = [f"{key}: {_yaml_scalar(value)}{nl}" for key, value in props.items()]
        created = [f"---{nl}", f"{prefix}{CREATED_KEY}: {CREATED_VALUE}{nl}", *rows, f"---{nl}"]
        new = created + lines
        start, end, at = 1, len(created) - 1, 0
        human: Mapping[str, Any] = {f"{prefix}{CREATED_KEY}": CREATED_VALUE}
    else:
        if not fm.is_mapping:
            return lines, "frontmatter is not a key: value mapping, so vaultkit adds no properties to it", 0
        close = fm.end_line - 1  # 0-based index of the closing ---
        nl = eol(lines[close - 1]) if close > 0 and eol(lines[close - 1]) else nl
        rows = [f"{key}: {_yaml_scalar(value)}{nl}" for key, value in props.items()]
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
    if not isinstance(data, dict) or len(data) != len(human) + len(props) or not all(k in data for k in human):
        return lines, problem, at
    if any(type(data.get(k)) is not type(v) or data.get(k) != v for k, v in props.items()):
        return lines, problem, at
    return new, "", at


def property_name(pass_name: str, key: str) -> str:
    """`<pass>_<key>` with anything but letters, digits, `_` and `-` made `_`, so clean can find it."""
    return re.sub(r"[^\w-]", "_", f"{pass_name}_{key}")
