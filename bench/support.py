"""Benchmarks of the support pass (issue 18), each a section of BENCHMARKS.md "Source support":

  python bench/support.py extractors        main text of the fixture pages: trafilatura, readability-lxml, jusText
  python bench/support.py bm25 [--runs N]   passage ranking: the pass's numpy BM25 against bm25s
  python bench/support.py fixtures          the verdicts on the dev and held-out fixture sets
  python bench/support.py throughput [--runs N]
                                            200 claims citing 50 loopback pages at 50 ms: the cold online run,
                                            the re-run after an edit (requests made), CPU per verdict
  python bench/support.py corpus [--runs N] [--vault V]
                                            a cold offline run of obsidian-help with every pass, with and
                                            without `support`, taking turns (median of N each)

readability-lxml, jusText and bm25s are only needed for their sections (`pip install readability-lxml
justext bm25s`). Every run starts its own servers on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from source_fixtures import SETS, served, score, vault_for, verdicts  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "obsidian-help"
CALLOUT_TYPES = ["note", "tip", "info", "warning", "todo", "example", "danger", "abstract", "question", "hint",
                 "important", "faq", "success", "compatibility", "quote", "failure", "bug", "summary", "error", "done"]


def _claims() -> list[tuple[str, dict[str, Any]]]:
    return [(name, c) for name in ("dev", "heldout")
            for c in json.loads((SETS / name / "claims.json").read_text(encoding="utf-8"))]


def _boilerplate_figure(claim: dict[str, Any]) -> str | None:
    """The figure a claim took from a page's sidebar, script or metadata (as the claim writes it)."""
    why = claim.get("why", "").lower()
    if not ("only" in why and any(w in why for w in ("sidebar", "teaser", "script", "meta description", "banner"))):
        return None
    from vaultkit_plugins.support._figures import claimed, figures

    if claim.get("claim_figure"):
        return str(claim["claim_figure"])
    found = [f for f in claimed(figures(claim["claim"])) if not f.is_year]
    return max(found, key=lambda f: len(f.text)).text if found else None


def extractors() -> None:
    """Body recall (the page's figure behind each planted mismatch is kept) and leakage (a figure found
    only in boilerplate gets through), per extractor, over the fixture sets' HTML pages."""
    from vaultkit_plugins.support._read import charset, extract

    def readability(html: str) -> str:
        from lxml import html as lhtml
        from readability import Document  # type: ignore[import-untyped]

        return lhtml.fromstring(Document(html).summary()).text_content()

    def jus(html: str) -> str:
        import justext  # type: ignore[import-untyped]

        lang = "German" if "lang=\"de\"" in html[:500] else "English"
        return "\n".join(p.text for p in justext.justext(html, justext.get_stoplist(lang)) if not p.is_boilerplate)

    pages = {}
    for name in ("dev", "heldout"):
        for page in sorted((SETS / name / "pages").glob("*.html")):
            body = page.read_bytes()
            pages[(name, page.name)] = (body, body.decode(charset(body, "text/html"), errors="replace"))
    tools = {"trafilatura (the pass)": lambda body, html: extract(body, "text/html"),
             "readability-lxml": lambda body, html: readability(html), "jusText": lambda body, html: jus(html)}
    print(f"{len(pages)} HTML pages\n\n| extractor | body figures kept | boilerplate figures let through | ms/page |\n|---|---|---|---|")
    for label, tool in tools.items():
        try:
            start = time.perf_counter()
            texts = {key: tool(*value) for key, value in pages.items()}
            ms = (time.perf_counter() - start) * 1000 / len(pages)
        except ImportError as exc:
            print(f"| {label} | not installed ({exc.name}) | | |")
            continue
        kept = total = leaked = planted = 0
        for name, c in _claims():
            key = (name, c["page"])
            if key not in texts:
                continue
            if c["expect"] == "mismatch" and c.get("source_figure"):
                total += 1
                kept += c["source_figure"] in texts[key]
            figure = _boilerplate_figure(c)
            if figure:
                planted += 1
                leaked += figure in texts[key]
        print(f"| {label} | {kept}/{total} | {leaked}/{planted} | {ms:.1f} |")


def bm25(runs: int) -> None:
    """Index one page and rank its claims: the pass's numpy postings against bm25s, on the fixture pages."""
    from vaultkit_plugins.support._passages import Index, terms
    from vaultkit_plugins.support._read import extract

    import bm25s  # type: ignore[import-untyped]

    texts: dict[tuple[str, str], str] = {}
    for name in ("dev", "heldout"):
        for page in sorted((SETS / name / "pages").iterdir()):
            texts[(name, page.name)] = extract(page.read_bytes(), "text/plain" if page.suffix == ".txt" else "text/html")
    queries = {key: [terms(c["claim"]) for name, c in _claims() if (name, c["page"]) == key] for key in texts}

    def ours() -> list[int]:
        out = []
        for key, text in texts.items():
            ix = Index(text)
            out += [(ix.best(q, 1) or [(-1, 0.0)])[0][0] for q in queries[key]]
        return out

    def theirs() -> list[int]:
        out = []
        for key, text in texts.items():
            ix = Index(text)  # the same passages and terms, so only the ranking differs
            docs = [terms(text[p.start:p.end]) for p in ix.passages]
            retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
            retriever.index(docs, show_progress=False)
            for q in queries[key]:
                got, _ = retriever.retrieve([q], k=1, show_progress=False) if q else ([[-1]], None)
                out.append(int(got[0][0]))
        return out

    timings: dict[str, list[float]] = {"numpy postings (the pass)": [], "bm25s": []}
    picks = {}
    for _ in range(runs):
        for label, fn in (("numpy postings (the pass)", ours), ("bm25s", theirs)):
            start = time.perf_counter()
            picks[label] = fn()
            timings[label].append(time.perf_counter() - start)
    n = sum(len(q) for q in queries.values())
    print(f"{len(texts)} pages, {n} claims, median of {runs}\n\n| ranking | ms for all (index + query) | ms per page |\n|---|---|---|")
    for label, times in timings.items():
        ms = statistics.median(times) * 1000
        print(f"| {label} | {ms:.1f} | {ms / len(texts):.2f} |")
    same = sum(a == b for a, b in zip(*picks.values()))
    print(f"\nSame best passage: {same} of {n}.")


def fixtures() -> None:
    """The verdicts on both sets, through `vaultkit run` (in process)."""
    from vaultkit.cli import run_cli

    for name in ("dev", "heldout"):
        with served(name) as (_, claims), tempfile.TemporaryDirectory() as tmp:
            root = vault_for(Path(tmp) / "v", claims)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                run_cli(["run", str(root), "--only", "claims", "--only", "support", "--json", "--no-cache"])
            s = score(claims, verdicts(json.loads(out.getvalue())))
        wrong = s.pop("wrong")
        print(name, json.dumps(s))
        for w in wrong:
            print("   ", json.dumps(w, ensure_ascii=False)[:300])


def _cli(vault: Path, cache: Path, *args: str) -> tuple[float, float, dict[str, Any]]:
    """One `vaultkit run` in its own process: wall seconds, CPU seconds of the child, and its --json."""
    env = {**os.environ, "VAULTKIT_CACHE_DIR": str(cache)}
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vaultkit", "run", str(vault), "--json", *args], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):
        raise SystemExit(f"vaultkit failed: {done.stderr[-500:]}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), \
        json.loads(done.stdout) if done.stdout.strip() else {}


def throughput(runs: int, jobs: int = 1) -> None:
    """200 claims in 50 notes, each note citing its own page (50 URLs, the fixture pages under 50 paths)."""
    from vaultkit_plugins.support._read import extract
    from vaultkit_plugins.support._passages import index
    from vaultkit_plugins.support._verdict import judge

    claims = _claims()
    by_page: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name, c in claims:
        by_page.setdefault((name, c["page"]), []).append(c)
    pages = sorted(by_page)
    cold, warm, cpu = [], [], []
    requests: list[tuple[int, int]] = []
    from sourceserver import SourceServer
    from source_fixtures import content_type

    for _ in range(runs):
        with SourceServer() as srv, tempfile.TemporaryDirectory() as tmp:
            srv.delay = 0.05
            vault = Path(tmp) / "vault"
            vault.mkdir()
            for i in range(50):
                name, page = pages[i % len(pages)]
                url = srv.page(f"/p{i}/{page}", (SETS / name / "pages" / page).read_bytes(), content_type(page))
                chosen = [by_page[(name, page)][(i // len(pages) * 4 + k) % len(by_page[(name, page)])]["claim"]
                          for k in range(4)]
                (vault / f"n{i:02d}.md").write_text(
                    f"# Note {i}\n\n> [!ai]+ Answer\n> {' '.join(chosen)}\n>\n> Sources:\n> [1] {url}\n", encoding="utf-8")
            (vault / ".vaultkit.toml").write_text("[net]\nallow_private = true\nmax_per_host = 4\n", encoding="utf-8")
            cache = Path(tmp) / "cache"
            wall, child_cpu, doc = _cli(vault, cache, "--only", "claims", "--only", "support", "--jobs", str(jobs))
            checked = sum(1 for n in doc.get("notes", []) for f in n["findings"] if f["pass"] == "support")
            first = len(srv.requests)
            for note in vault.glob("*.md"):  # an edit elsewhere in every note: the passes run, the sources are cached
                with note.open("a", encoding="utf-8") as fh:
                    fh.write("\nMy own remark.\n")
            wall2, _, _ = _cli(vault, cache, "--only", "claims", "--only", "support")
            requests.append((first, len(srv.requests) - first))
            cold.append(wall)
            warm.append(wall2)
            cpu.append(child_cpu)
    texts = {key: extract((SETS / key[0] / "pages" / key[1]).read_bytes(), content_type(key[1])) for key in pages}
    work = [(c["claim"], texts[(name, c["page"])]) for name, c in claims] * 3
    work = work[:200]
    per = []
    for _ in range(5):
        index.cache_clear()
        start = time.process_time()
        for claim, text in work:
            judge(claim, text)
        per.append((time.process_time() - start) / len(work))
    print(f"50 pages, 200 claims (verdicts given: {checked}), 50 ms per response, max_per_host 4, --jobs {jobs}; "
          f"median of {runs}\n")
    print(f"- cold online run: {statistics.median(cold):.2f} s wall ({statistics.median(cpu):.2f} s CPU), "
          f"{requests[0][0]} requests")
    print(f"- re-run after an edit to every note: {statistics.median(warm):.2f} s wall, {requests[0][1]} requests")
    print(f"- CPU per verdict (index built per page, then ranking and figures): {statistics.median(per) * 1000:.2f} ms")


def corpus(runs: int, vault: Path) -> None:
    """A cold offline run of the corpus with every pass, with and without `support`, in turns."""
    times: dict[str, list[float]] = {"every pass": [], "every pass but support": []}
    with tempfile.TemporaryDirectory() as tmp:
        config = "[vaultkit]\ncallout_types = [" + ", ".join(f'"{t}"' for t in ["ai", *CALLOUT_TYPES]) + "]\n"
        for r in range(runs):
            order = list(times) if r % 2 == 0 else list(reversed(times))
            for label in order:
                copy = Path(tmp) / f"v{r}{len(label)}"
                shutil.copytree(vault, copy)
                (copy / ".vaultkit.toml").write_text(config, encoding="utf-8")
                extra = ("--offline",) if label == "every pass" else ("--offline", "--skip", "support")
                wall, _, _ = _cli(copy, Path(tmp) / f"c{r}{len(label)}", *extra)
                times[label].append(wall)
                shutil.rmtree(copy)
    a, b = statistics.median(times["every pass"]), statistics.median(times["every pass but support"])
    print(f"median of {runs}: every pass {a:.2f} s, without support {b:.2f} s: support adds {a / b - 1:+.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["extractors", "bm25", "fixtures", "throughput", "corpus"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vault", type=Path, default=CORPUS)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if args.what == "extractors":
        extractors()
    elif args.what == "bm25":
        bm25(args.runs)
    elif args.what == "fixtures":
        fixtures()
    elif args.what == "throughput":
        throughput(args.runs, args.jobs)
    else:
        corpus(args.runs, args.vault)


if __name__ == "__main__":
    main()
