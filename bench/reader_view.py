"""What a reader gets: run vaultkit on a copy of a vault and measure what it added to the notes.

Usage: python bench/reader_view.py [VAULT] [--python PY] [-- RUN ARGS]   (VAULT: sample_vault)

`--python` runs another checkout's vaultkit (the Python of its venv); the measuring is this one's.

Reports, over the notes vaultkit wrote: how much they grew, managed callouts per AI target, the most
`vaultkit_*` properties on one note, backslashes in managed callouts and how many of them are
needless (the line renders the same without it, through the Obsidian reading parser), heading links
that do not open exactly one heading, and lists that name one link twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from vaultkit.config import Config, load_config  # noqa: E402
from vaultkit.markdown import reading_parser  # noqa: E402
from vaultkit.note import parse_note  # noqa: E402


LINK = re.compile(r"\[\[([^\]|#]*)#([^\]|]+)\]\]")  # (no note: a heading of the same note)
HEADING = re.compile(r"^(?:> ?)*(#{1,6}) (.*)")


def opens(text: str, fragment: str) -> int:
    """How many headings of `text` a `#A#B` fragment can mean: those named B with the A's among their
    ancestors, in order (Obsidian opens the first; a reader cannot tell which was meant)."""
    heads, stack = [], []  # type: ignore[var-annotated]
    for line in text.split("\n"):
        m = HEADING.match(line)
        if m:
            level, name = len(m.group(1)), " ".join(re.sub(r"[\[\]|#^]", " ", m.group(2)).split()).casefold()
            while stack and stack[-1][0] >= level:
                stack.pop()
            heads.append((name, [s[1] for s in stack]))
            stack.append((level, name))
    *parents, last = fragment.casefold().split("#")

    def below(chain: list[str]) -> bool:
        it = iter(chain)
        return all(any(p == c for c in it) for p in parents)

    return sum(1 for name, chain in heads if name == last and below(chain))


def needless(line: str) -> int:
    """Backslashes in a callout line that change nothing there when taken out."""
    md = reading_parser()
    body = re.sub(r"^(?:> ?)+", "", line)
    base = md.render(body)
    return sum(1 for i, c in enumerate(body) if c == "\\" and (i == 0 or body[i - 1] != "\\")
               and md.render(body[:i] + body[i + 1:]) == base)


def _misplaced(path: Path, config: Config) -> int:
    """Managed callouts that do not sit right after an AI target, and targets without exactly one
    (vaultkit's own parser reads the note: where each callout was, and the targets once they are out)."""
    note = parse_note(path.read_bytes(), path.name, config.vaultkit)
    blocks = [b for b in note.blocks if b.intact]
    after = [b.after for b in blocks]
    ends = [t.end_line for t in note.targets]
    if config.vaultkit.layout != "answer":
        return sum(1 for a in after if a and a not in ends and not any(t.line <= a <= t.end_line for t in note.targets))
    return sum(1 for a in after if a not in ends) + sum(1 for e in ends if after.count(e) != 1)


def main() -> int:
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    python = sys.executable
    if "--python" in args:
        python = args.pop(args.index("--python") + 1)
        args.remove("--python")
    vault = Path(args[0]) if args else ROOT / "sample_vault"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "vault"
        shutil.copytree(vault, copy)
        env = {**os.environ, "VAULTKIT_CACHE_DIR": str(Path(tmp) / "cache")}
        done = subprocess.run([python, "-m", "vaultkit", "run", str(copy), "--offline", "--json", *extra],
                              env=env, capture_output=True, text=True, cwd=tmp)
        doc = json.loads(done.stdout)
        grew = before = callouts = targets = slashes = wasted = bad_links = repeats = most_props = misplaced = 0
        config = load_config(copy)
        for n in doc["notes"]:
            if n["status"] != "ok":
                continue
            old, new = (vault / n["path"]).read_bytes(), (copy / n["path"]).read_bytes()
            before += len(old)
            grew += len(new) - len(old)
            text = new.decode("utf-8")
            targets += len(n["targets"])
            callouts += text.count("[!vaultkit]")
            misplaced += _misplaced(copy / n["path"], config)
            most_props = max(most_props, len(set(re.findall(r"(?m)^vaultkit_\w+", text))))
            managed, listed = False, []  # type: ignore[var-annotated]
            for line in text.split("\n"):
                if "[!vaultkit]" in line:
                    managed, listed = True, []
                    continue
                if managed and not line.startswith(">"):
                    managed = False
                if not managed:
                    continue
                if "%%vaultkit:" in line:  # a section of an answer's callout: a list of its own
                    listed = []
                slashes += line.count("\\")
                wasted += needless(line)
                for note, fragment in LINK.findall(line):
                    target = next(copy.rglob(f"{note}.md"), None) if note else copy / n["path"]
                    if target is None or opens(target.read_text(encoding="utf-8"), fragment) != 1:
                        bad_links += 1
                links = re.findall(r"\[\[[^\]]+\]\]", line)
                repeats += sum(1 for link in links if link in listed)
                listed += links
        print(f"{len(doc['notes'])} notes, {targets} AI targets; written {doc['summary']['written']}")
        print(f"growth of the notes: {grew / max(before, 1):.1%} ({before} -> {before + grew} bytes)")
        print(f"managed callouts: {callouts} ({callouts / max(targets, 1):.1f} per AI target); "
              f"not right after an AI target, or a target without exactly one: {misplaced}")
        print(f"most vaultkit_* properties on one note: {most_props}")
        print(f"backslashes in managed callouts: {slashes}, needless: {wasted}")
        print(f"heading links that do not open exactly one heading: {bad_links}; links listed twice in a list: {repeats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
