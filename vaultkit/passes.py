"""The pass interface (Protocols), what passes return, and the entry-point registry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Protocol, Sequence, runtime_checkable

from vaultkit.errors import ConfigError
from vaultkit.text import digest

if TYPE_CHECKING:
    from vaultkit.note import Note, Target

ENTRY_POINT_GROUP = "vaultkit.passes"
Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
Scalar = str | int | float | bool
Property = Scalar | list[str]  # a list of strings is a YAML list property ("[[note]]" links, tags)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a pass found, at a range of `note.lines` (1-based, inclusive, like Target.line).

    The pipeline maps these to lines of the file as read for reports.
    """

    kind: str  # kebab-case, part of the --json contract
    severity: Severity
    line: int
    end_line: int
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)
    pass_name: str = ""  # filled in by the pipeline from the entry-point name
    # What the finding is about (a claim's text, a URL), unchanged by edits elsewhere in the note: with
    # the kind it keys a dismissal. '' : the message, its line numbers left out.
    about: str = ""

    @property
    def key(self) -> str:
        """The finding's stable key within its pass: a person's tick in the callout is kept under it."""
        about = self.about or (_LINES.sub("", self.message) if "line" in self.message else self.message)
        return digest(self.kind, about, size=4)  # (8 hex digits: by kind and what it is about, never where)


_LINES = re.compile(r"\(?\blines? \d+(?:[–-]\d+)?\)?")


def task(finding: Finding, text: str) -> str:
    """A list line the reader can tick to dismiss `finding` (one line of Markdown; vaultkit adds its
    hidden key and ticks it while the finding stays dismissed)."""
    return f"- [ ] {' '.join(text.split())}\ue002{finding.key}\ue003"


SECTIONS = ("summary", "problems", "claims", "sources", "duplicates", "", "outline")  # their order in an answer's callout


@dataclass(frozen=True, slots=True)
class Display:
    """Markdown a pass wants shown in the note, in a managed callout after `target`.

    A vault step has no Note, so its displays name the target by id (`Target.id`, which a
    pass keeps in its summary); vaultkit resolves it, and drops it if the target is gone.
    `line` anchors the callout inside the target instead: it goes directly under that line
    (a heading's, in `note.lines` coordinates), at the heading's quote depth. With `target`
    None the callout belongs to the note, not to AI text: then `line` is required (a heading
    of the person's own text that a pass has something to say about).

    With `[vaultkit] layout = "answer"` (the default) every target gets one callout, and each display
    is a section of it: `section` says which (one of SECTIONS; '' for any other, shown under `title`
    after the known ones). Its `line` is then only an order within the section, and a display of
    the person's own text (`target` None) is not shown.
    """

    target: Target | str | None
    body: str
    title: str = ""
    line: int = 0  # 0: after the target
    section: str = ""


@dataclass(frozen=True, slots=True)
class PassResult:
    """What a pass returns for one note: findings, callout text and flat properties.

    `summary` is what a pass with a `combine` step keeps of this note for it (JSON-able,
    small): it is cached with the result, so an unchanged note is never re-read for it.
    `cacheable = False` keeps a stopgap (a fallback after a failed request) out of the cache,
    so the next run tries again.
    """

    findings: tuple[Finding, ...] = ()
    displays: tuple[Display, ...] = ()
    properties: Mapping[str, Property] = field(default_factory=dict)
    summary: Any = None
    cacheable: bool = True
    # An online pass's word on when its lookups for this note are worth asking again (seconds from
    # now; None: RECHECK_AFTER). An online run takes up an unchanged note again once that time is up.
    recheck_after: float | None = None


RECHECK_AFTER = 7 * 86400.0  # an unchanged note's lookups are checked again after a week, by default


@dataclass(frozen=True)
class PassOutput:
    """One pass's result for one note, with the hash of the input it was computed from."""

    name: str
    input_hash: str
    result: PassResult
    featured: frozenset[str] | None = None  # the property keys written by default (None: every one)
    headline: Callable[[Sequence[Finding], Sequence[Finding]], str] | None = None  # its words for an answer's title
    partial: bool = False  # an online pass run offline: findings it lists online may be missing


_LINE_REF = re.compile("\ue000(\\d+)\ue001")


def line_ref(line: int) -> str:
    """Stands in a display body for "line N of the file as vaultkit writes it" (N a `note.lines` line).

    A pass cannot know where a line ends up (vaultkit's own blocks and properties move it);
    the renderer replaces this with the final number.
    """
    return f"\ue000{line}\ue001"


def resolve_line_refs(body: str, new_line: Callable[[int], int]) -> str:
    """Put the final line numbers into a display body."""
    return _LINE_REF.sub(lambda m: str(new_line(int(m.group(1)))), body) if "\ue000" in body else body


def merge(first: PassResult, second: PassResult) -> PassResult:
    """One pass's note result and its vault result as one: a target's two bodies share its callout."""
    displays = list(first.displays)
    for d in second.displays:
        at = next((i for i, x in enumerate(displays) if (x.target, x.line, x.section) == (d.target, d.line, d.section)),
                  None)
        if at is None:
            displays.append(d)
        else:
            old = displays[at]
            displays[at] = Display(old.target, old.body + "\n" + d.body, old.title or d.title, old.line, old.section)
    return PassResult(first.findings + second.findings, tuple(displays),
                      {**first.properties, **second.properties}, first.summary, first.cacheable and second.cacheable)


def validate(result: object, note: Note) -> None:
    """Refuse what a pass returns unless vaultkit can report and render all of it."""
    if not isinstance(result, PassResult):
        raise TypeError(f"analyze() returned {type(result).__name__}, not PassResult")
    for f in result.findings:
        if not isinstance(f, Finding) or not isinstance(f.kind, str) or f.severity not in SEVERITIES:
            raise TypeError(f"bad finding {f!r}: needs a str kind and severity error|warning|info")
        if type(f.line) is not int or type(f.end_line) is not int or not isinstance(f.message, str):
            raise TypeError(f"bad finding {f!r}: line and end_line must be int, message str")
        if not isinstance(f.about, str):
            raise TypeError(f"bad finding {f!r}: about must be str")
        json.dumps(dict(f.data))  # data goes into --json as it is
    targets = set(note.targets)
    for d in result.displays:
        if not isinstance(d, Display) or (d.target not in targets and d.target is not None) \
                or not isinstance(d.body, str) or not isinstance(d.title, str) or not isinstance(d.section, str):
            raise TypeError(f"bad display {d!r}: needs one of note.targets (or None) and str body/title/section")
        first, last = (d.target.line, d.target.end_line) if d.target is not None else (1, len(note.lines))
        if type(d.line) is not int or (d.line and not first <= d.line <= last) or (d.target is None and not d.line):
            raise TypeError(f"bad display {d!r}: line must be 0 or a line of its target (a line of the note without one)")
    if not isinstance(result.properties, Mapping):
        raise TypeError("properties must be a mapping")
    for key, value in result.properties.items():
        if not isinstance(key, str) or not (isinstance(value, (str, int, float, bool)) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise TypeError(f"property {key!r}: keys are str, values str/int/float/bool or a list of str")


@dataclass(frozen=True)
class Context:
    """What a pass may know about the run; passes never read files or print."""

    vault: Path
    options: Mapping[str, Any] = field(default_factory=dict)  # this pass's [passes.<name>] table
    offline: bool = True
    config: Any = None  # the whole Config, for [net] and [llm]
    net: Any = None  # a vaultkit.net.Session when the run may go online, else None
    lookups: Any = None  # the cache's lookup/remember store: network answers, costly splits (None: no cache)
    # The pass's own bytes kept between runs, `store.load(key)` / `store.save(key, data)` (None: no
    # cache): an index a vault step can update, instead of building it from every note's summary.
    store: Any = None
    # The keys (`Finding.key`) of this pass's findings the person ticked off in this note's callouts:
    # a pass leaves them out of its counts and properties (vaultkit ticks their lines and marks them).
    dismissed: frozenset[str] = frozenset()

    @property
    def layout(self) -> str:
        """`[vaultkit] layout`: "answer" (one callout per target, each display a section) or "passes"."""
        return str(getattr(getattr(self.config, "vaultkit", None), "layout", "answer"))


@runtime_checkable
class NotePass(Protocol):
    """A pass that analyses one note at a time (most passes)."""

    version: str  # bump when output changes: it is part of the cache key
    # (optional) options: dict[str, object] — the pass's option names and defaults; other keys
    # in its [passes.<name>] table are config errors
    # (optional) every_note = True — also analyse notes without AI text (most passes need not:
    # such notes are skipped, which keeps a run over a mostly human vault fast)
    # (optional) featured_properties: tuple[str, ...] — the keys of `PassResult.properties` worth a
    # place in the Properties panel; the others are written only with `[vaultkit] properties = "all"`
    # (without it, every property is written)
    # (optional) def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding]) -> str —
    # a few words for the title of an answer's callout ("2 problems") from this pass's findings in
    # that answer, those the reader ticked off apart; '' when nothing needs attention. Without it:
    # "N <pass> warnings", if any.

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        """Return what this pass finds in `note` (its targets are `note.targets`)."""
        ...

    # (optional) A vault step, for what one note cannot show alone (the same figure given
    # differently in two notes):
    #     def combine(self, summaries: Mapping[str, Any], ctx: Context) -> Mapping[str, PassResult]
    # gets every note's `PassResult.summary` by note path (fresh or from the cache) and returns
    # results by path; vaultkit merges each into that note's result. It must be pure and fast:
    # it runs on every run, over the whole vault's summaries.


@runtime_checkable
class VaultPass(Protocol):
    """A pass that needs every note at once (e.g. duplicate detection)."""

    version: str  # bump when output changes: it is part of the cache key
    scope: Literal["vault"]  # marks a vault pass

    def analyze_vault(self, notes: Sequence[Note], ctx: Context) -> Mapping[str, PassResult]:
        """Return results keyed by note path; notes without results may be left out."""
        ...


@dataclass(frozen=True)
class Registered:
    """An installed pass: its id (the entry-point name), the object, and where it came from."""

    name: str
    impl: Any
    origin: Any  # its entry point, or already a description of where it came from

    @cached_property
    def source(self) -> str:
        """"distribution version (module:attr)", read from the distribution's metadata only when
        shown: parsing it for every pass cost an editor hook milliseconds it never prints."""
        ep = self.origin
        if isinstance(ep, str):
            return ep
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"
        return f"{dist} ({ep.value})"

    @property
    def version(self) -> str:
        """The pass's own version string."""
        return str(getattr(self.impl, "version", "0"))

    @property
    def combines(self) -> bool:
        """A note pass with a vault step (`combine`) over every note's summary."""
        return not self.is_vault_pass and callable(getattr(self.impl, "combine", None))

    @property
    def featured(self) -> frozenset[str] | None:
        """The property keys the pass writes by default (`featured_properties`); None: all of them."""
        keys = getattr(self.impl, "featured_properties", None)
        return None if keys is None else frozenset(keys)

    @property
    def every_note(self) -> bool:
        """Runs on notes without AI text too (`every_note = True`: a copy of AI text can live there)."""
        return bool(getattr(self.impl, "every_note", False))

    @property
    def is_vault_pass(self) -> bool:
        """Vault passes see all notes; note passes see one."""
        return getattr(self.impl, "scope", "note") == "vault"

    def headline(self, findings: Sequence[Finding], dismissed: Sequence[Finding] = ()) -> str:
        """The pass's phrase for an answer's callout title (its own `headline`, or a count of warnings);
        a headline that raises says nothing rather than stopping the write."""
        own = getattr(self.impl, "headline", None)
        if callable(own):
            try:
                phrase = own(findings, dismissed)
            except Exception:  # noqa: BLE001 — a title is not worth a failed note
                return ""
            return " ".join(phrase.split()) if isinstance(phrase, str) else ""
        n = sum(1 for f in findings if f.severity != "info")
        return f"{n} {self.name} warning{'s' if n != 1 else ''}" if n else ""

    @property
    def description(self) -> str:
        """The first line of the pass's docstring, for `vaultkit passes`."""
        doc = (type(self.impl).__doc__ or getattr(self.impl, "__doc__", "") or "").strip()
        return doc.splitlines()[0] if doc else ""


def pass_error(p: Registered, exc: BaseException) -> Finding:
    """The finding that stands in for a pass that raised."""
    return Finding("pass-error", "error", 1, 1, f"pass {p.name} ({p.source}) failed: {type(exc).__name__}: {exc}",
                   {"pass": p.name, "source": p.source}, "vaultkit")


def discover() -> list[Registered]:
    """Load every pass in the `vaultkit.passes` entry-point group, sorted by id.

    A pass that fails to load is reported as a Registered whose impl is the
    exception, so `vaultkit passes` can show it and a run can report it.
    """
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            impl = obj() if isinstance(obj, type) else obj
        except (Exception, SystemExit) as exc:  # a broken plugin must not stop vaultkit
            impl = exc
        found.append(Registered(ep.name, impl, ep))
    return sorted(found, key=lambda r: r.name)


def select(available: Sequence[Registered], only: Sequence[str] = (), skip: Sequence[str] = (), config: Any = None) -> list[Registered]:
    """Choose passes: --only/--skip by id, then `enabled = false` tables; unknown ids are errors."""
    names = {r.name for r in available}
    for name in [*only, *skip]:
        if name not in names:
            raise ConfigError(f"no pass named '{name}' — installed: {', '.join(sorted(names)) or 'none'} (see `vaultkit passes`)")
    if config is not None:
        for name in config.passes:
            if name not in names:
                raise ConfigError(f"{config.source}: [passes.{name}] names no installed pass — installed: {', '.join(sorted(names))}")
        for r in available:
            declared = getattr(r.impl, "options", None)
            unknown = set(config.pass_options(r.name)) - set(declared or ()) if isinstance(declared, dict) else set()
            if unknown:
                raise ConfigError(f"{config.source}: [passes.{r.name}] unknown key '{sorted(unknown)[0]}' — known keys: "
                                  f"enabled, {', '.join(sorted(declared or ()))}")
    chosen = [r for r in available if (not only or r.name in only) and r.name not in skip]
    if config is not None and not only:
        chosen = [r for r in chosen if config.pass_enabled(r.name)]
    return chosen
