"""`vaultkit watch` with real watchdog observers on temp folders: saves like a person, Obsidian and
vim make, bursts, a save while vaultkit computes, deletes; one save, at most one write; the lock and
the signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from linkserver import LinkServer, loopback_only
from vaultkit import Context, Display, Note, PassResult
from vaultkit.config import Config, load_config
from vaultkit.lock import LockedError
from vaultkit.passes import Registered, discover, select
from vaultkit.pipeline import RunOptions
from vaultkit.watch import watch

ANSWER = "# Notes\n\nMy own line.\n\n> [!ai]+ Answer\n> Groq's LPU delivers 750 tokens per second on Llama models.\n"
QUIET = 0.3


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll until `check()` holds (observers and the quiet period take a moment)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


class Daemon:
    """`watch` running in a thread on a temp vault, its log kept."""

    def __init__(self, root: Path, passes: list[Registered], polling: bool = False, online: bool = False) -> None:
        self.root = root
        self.online = online
        self.log: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(passes, polling), daemon=True)

    def _run(self, passes: list[Registered], polling: bool) -> None:
        try:
            config = load_config(self.root) if self.online else Config()
            watch(self.root, config, passes, RunOptions(offline=not self.online), quiet=QUIET, polling=polling,
                  log=self.log.append, stop=self.stop, ready=self.ready)
        except BaseException as exc:  # surfaced by the test
            self.error = exc
            self.ready.set()

    def writes(self, rel: str) -> int:
        return sum(1 for r in list(self.log) if r.get("note") == rel and r["action"] == "written")

    def settle(self, rel: str, count: int) -> None:
        """Wait for `count` writes of the note, then a little longer, so that a loop would show."""
        assert wait_for(lambda: self.writes(rel) >= count), (rel, self.log)
        time.sleep(QUIET * 4)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(passes: list[Registered] | None = None, polling: bool = False, online: bool = False) -> Daemon:
        root = tmp_path / "vault"
        root.mkdir(exist_ok=True)
        chosen = passes if passes is not None else select(discover(), ["claims"], [], Config())
        d = Daemon(root, chosen, polling, online)
        d.thread.start()
        assert d.ready.wait(15) and d.error is None, d.error
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop.set()
        d.thread.join(10)
        assert not d.thread.is_alive()


def _has_callout(path: Path) -> bool:
    return path.exists() and "%%vaultkit:claims/claims%%" in path.read_text(encoding="utf-8")


def test_one_save_gives_one_write_and_vaultkits_own_write_is_an_echo(daemon: Callable[..., Daemon]) -> None:
    d = daemon()
    note = d.root / "a.md"
    note.write_text(ANSWER, encoding="utf-8")
    d.settle("a.md", 1)
    assert d.writes("a.md") == 1
    text = note.read_text(encoding="utf-8")
    assert _has_callout(note) and ANSWER.splitlines()[2] in text and ANSWER.splitlines()[-1] in text
    assert any(r.get("note") == "a.md" and r.get("why") == "vaultkit's own write" for r in d.log)


def test_a_box_ticked_in_obsidian_is_written_once_as_a_dismissal(daemon: Callable[..., Daemon]) -> None:
    """The reader ticks a claim off in vaultkit's callout: the daemon takes it as a dismissal (no edit of
    vaultkit's callout), writes the title once, and the tick stays."""
    d = daemon()
    note = d.root / "a.md"
    note.write_text(ANSWER, encoding="utf-8")
    d.settle("a.md", 1)
    text = note.read_text(encoding="utf-8")
    assert "vaultkit — 1 of 1 claim uncited %%" in text
    note.write_text(text.replace("> - [ ] Groq's", "> - [x] Groq's"), encoding="utf-8")
    d.settle("a.md", 2)
    assert d.writes("a.md") == 2
    text = note.read_text(encoding="utf-8")
    assert "> - [x] Groq's" in text and "vaultkit — nothing flagged · 1 dismissed %%" in text
    assert "vaultkit_claims_uncited: 0" in text
    assert not any(r.get("action") == "written" and "edited" in str(r.get("why", "")) for r in d.log)


def test_a_save_like_obsidians_temp_file_and_rename(daemon: Callable[..., Daemon]) -> None:

    d = daemon()
    tmp = d.root / "a.md.tmp"
    tmp.write_text(ANSWER, encoding="utf-8")
    os.replace(tmp, d.root / "a.md")
    d.settle("a.md", 1)
    assert d.writes("a.md") == 1 and _has_callout(d.root / "a.md")
    assert not any(str(r.get("note", "")).endswith(".tmp") for r in d.log)


def test_a_save_like_vims_backup_dance(daemon: Callable[..., Daemon]) -> None:
    d = daemon()
    note = d.root / "a.md"
    note.write_text(ANSWER, encoding="utf-8")
    d.settle("a.md", 1)
    # (an edit of the answer: vaultkit's callout quotes it, so the save must be written again)
    edited = note.read_text(encoding="utf-8").replace("My own line.", "My own line, edited in vim.").replace(
        "750 tokens", "800 tokens", 1)

    probe = d.root / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    os.replace(note, d.root / "a.md~")
    note.write_text(edited, encoding="utf-8")
    (d.root / "a.md~").unlink()
    d.settle("a.md", 2)
    assert d.writes("a.md") == 2
    assert "My own line, edited in vim." in note.read_text(encoding="utf-8") and _has_callout(note)


def test_a_burst_of_saves_is_written_once_with_the_last_text(daemon: Callable[..., Daemon]) -> None:
    d = daemon()
    note = d.root / "a.md"
    for i in range(15):
        note.write_text(ANSWER + f"\nDraft line {i}.\n", encoding="utf-8")
        time.sleep(0.02)
    d.settle("a.md", 1)
    assert d.writes("a.md") <= 2  # a scheduler hiccup longer than the quiet period may split the burst
    text = note.read_text(encoding="utf-8")
    assert "Draft line 14." in text and "Draft line 13." not in text and _has_callout(note)


class SlowPass:
    """Takes its time, so that a person can save while vaultkit computes."""

    version = "1"
    started = threading.Event()

    def analyze(self, note: Note, ctx: Context) -> PassResult:
        SlowPass.started.set()
        time.sleep(1.0)
        return PassResult((), tuple(Display(t, "slow result", "Slow") for t in note.targets), {})


def test_a_save_while_vaultkit_computes_wins_and_is_processed_after(daemon: Callable[..., Daemon]) -> None:
    SlowPass.started.clear()
    d = daemon([Registered("slow", SlowPass(), "tests")])
    note = d.root / "a.md"
    note.write_text(ANSWER, encoding="utf-8")
    assert SlowPass.started.wait(15)
    note.write_text(ANSWER + "\nTyped while vaultkit worked.\n", encoding="utf-8")  # lands mid-computation
    assert wait_for(lambda: any(r.get("note") == "a.md" and "changed while vaultkit worked" in str(r.get("why"))
                                for r in d.log)), d.log
    d.settle("a.md", 1)
    text = note.read_text(encoding="utf-8")
    assert "Typed while vaultkit worked." in text and "**Slow** %%vaultkit:slow%%" in text


def test_a_deleted_note_and_the_next_save_elsewhere(daemon: Callable[..., Daemon]) -> None:
    d = daemon()
    (d.root / "gone.md").write_text(ANSWER, encoding="utf-8")
    (d.root / "gone.md").unlink()  # deleted before it was quiet
    (d.root / "Drafts").mkdir()
    (d.root / "Drafts" / "b.md").write_text(ANSWER, encoding="utf-8")
    d.settle("Drafts/b.md", 1)
    os.rename(d.root / "Drafts", d.root / "Essays")  # a folder renamed: its note is looked at again
    assert wait_for(lambda: any(r.get("note") == "Essays/b.md" for r in d.log)), d.log
    assert d.writes("gone.md") == 0 and d.error is None


def test_polling_works_where_os_events_do_not(daemon: Callable[..., Daemon]) -> None:
    d = daemon(polling=True)
    (d.root / "a.md").write_text(ANSWER, encoding="utf-8")
    d.settle("a.md", 1)
    assert _has_callout(d.root / "a.md")


def test_a_note_held_open_by_its_writer_waits_for_the_close(daemon: Callable[..., Daemon]) -> None:
    """inotify reports the first write long before the writer is done; vaultkit waits for the close."""
    d = daemon()
    (d.root / "b.md").write_text(ANSWER, encoding="utf-8")  # a whole save: the daemon learns closes are reported
    d.settle("b.md", 1)
    note = d.root / "a.md"
    more = "> It also runs Mixtral at 480 tokens per second.\n"
    with note.open("w", encoding="utf-8") as fh:
        fh.write(ANSWER)  # already an answer vaultkit would write a callout for
        fh.flush()
        time.sleep(QUIET * 6)  # quiet for longer than the quiet period, but still open
        assert d.writes("a.md") == 0 and note.read_text(encoding="utf-8") == ANSWER
        fh.write(more)
    d.settle("a.md", 1)
    text = note.read_text(encoding="utf-8")
    assert d.writes("a.md") == 1 and _has_callout(note) and all(line in text for line in (ANSWER + more).splitlines())


def test_when_the_os_refuses_more_watches_the_daemon_polls(daemon: Callable[..., Daemon],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """inotify's watch or instance limit (ENOSPC, EMFILE) must not stop the daemon: it says so and polls."""
    import errno

    import watchdog.observers

    class Exhausted(watchdog.observers.Observer):  # type: ignore[misc,valid-type]  # (the platform's class)
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Exhausted)
    d = daemon()
    assert any(r["action"] == "polling" and "max_user_watches" in r["why"] for r in d.log), d.log
    (d.root / "a.md").write_text(ANSWER, encoding="utf-8")
    d.settle("a.md", 1)
    assert _has_callout(d.root / "a.md")


def _cited(urls: list[str], mine: str = "") -> str:
    refs = "\n".join(f"[{i}] Source number {i} {u}" for i, u in enumerate(urls, 1))
    return (f"# Q\n\n{mine}> [!ai]+ AI\n> The answer cites{''.join(f'[{i}]' for i in range(1, len(urls) + 1))}.\n\n"
            f"Citations:\n{refs}\n")


def _online_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A vault whose config lets vaultkit check links on loopback (and only there)."""
    loopback_only(monkeypatch)
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultkit.toml").write_text('[vaultkit]\nproperties = "all"\n[net]\nallow_private = true\ntimeout = 10.0\n',
                                        encoding="utf-8")  # (every count: they show what was written when)
    return root


def _saved_with_a_dead_link(daemon: Callable[..., Daemon], root: Path, srv: LinkServer,
                            also: tuple[str, ...] = ()) -> tuple[Daemon, Path]:
    """An online daemon with the citations pass, and a note citing a dead link, saved and written once."""
    d = daemon(passes=select(discover(), ["citations"], [], Config()), online=True)
    note = root / "a.md"
    note.write_text(_cited([srv.url(p) for p in ("/missing", *also)]), encoding="utf-8")
    assert wait_for(lambda: d.writes("a.md") >= 1), d.log
    return d, note


def test_online_the_offline_results_are_written_first_and_the_lookups_refresh_them(
        tmp_path: Path, daemon: Callable[..., Daemon], monkeypatch: pytest.MonkeyPatch) -> None:
    """The links are checked in the background; the offline callout does not wait for them."""
    root = _online_vault(tmp_path, monkeypatch)
    with LinkServer(delay=1.0) as srv:
        d, note = _saved_with_a_dead_link(daemon, root, srv, also=("/error",))  # (a 500 is never cached)
        first = note.read_text(encoding="utf-8")
        assert "vaultkit_citations_markers: 2" in first and "dead-link" not in first  # written before any answer
        assert wait_for(lambda: any(r["action"] == "looked up" for r in d.log)), d.log
        looked_up = len(srv.requests)
        assert wait_for(lambda: "dead link: " in note.read_text(encoding="utf-8")), d.log
        assert len(srv.requests) == looked_up  # the refresh takes the background's results: no request of its own
        online = [r for r in d.log if r.get("note") == "a.md" and r.get("why") == "online results"]
        assert len(online) == 1 and d.writes("a.md") == 2
        assert [r["action"] for r in d.log if r.get("note") == "a.md"].index("looked up") > 0
        asked = len(srv.requests)
        time.sleep(QUIET * 4)
        assert d.writes("a.md") == 2 and len(srv.requests) == asked  # vaultkit's own writes: no echo, no loop


def test_online_a_save_during_the_lookups_is_written_and_still_gets_its_refresh(
        tmp_path: Path, daemon: Callable[..., Daemon], monkeypatch: pytest.MonkeyPatch) -> None:
    """A person saves while the links of the last save are still being checked: the newer text wins,
    is written offline at once, and its own lookups bring the refresh (none is lost)."""
    root = _online_vault(tmp_path, monkeypatch)
    with LinkServer(delay=1.5) as srv:
        d, note = _saved_with_a_dead_link(daemon, root, srv)
        assert wait_for(lambda: len(srv.requests) >= 1), d.log  # its lookups are under way
        note.write_text(_cited([srv.url("/missing"), srv.url("/gone")], mine="My own new line.\n\n"),
                        encoding="utf-8")
        assert wait_for(lambda: note.read_text(encoding="utf-8").count("dead link: ") >= 2, timeout=30), d.log
        text = note.read_text(encoding="utf-8")
        assert "My own new line." in text and srv.url("/gone") in text
        assert not any(r.get("action") == "written" and r.get("note") != "a.md" for r in d.log)


def test_online_with_a_model_the_passes_that_ask_it_run_in_the_background(
        tmp_path: Path, daemon: Callable[..., Daemon], monkeypatch: pytest.MonkeyPatch) -> None:
    """With an `[llm]` model, claims asks it: that runs in the background too, after the offline write."""
    from llmserver import LlmServer, claims_reply

    root = _online_vault(tmp_path, monkeypatch)
    with LlmServer(slow=1.0) as llm:
        llm.mode = "slow"  # answers after a second (the client waits up to five)
        llm.reply = claims_reply(lambda s: ["Groq's LPU runs Llama models.", "It delivers 750 tokens per second."])
        with (root / ".vaultkit.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[llm]\nbase_url = "{llm.base_url}"\nmodel = "m"\ntimeout = 5.0\n\n[passes.claims]\nllm = true\n')
        d = daemon(passes=select(discover(), ["claims"], [], Config()), online=True)
        note = root / "a.md"
        note.write_text(ANSWER, encoding="utf-8")
        assert wait_for(lambda: d.writes("a.md") >= 1), d.log
        first = note.read_text(encoding="utf-8")
        assert "%%vaultkit:claims/claims%%" in first and "runs Llama models" not in first  # the offline claims, first
        assert wait_for(lambda: any(r["action"] == "looked up" for r in d.log)), d.log
        asked = len(llm.requests)
        assert asked >= 1
        assert wait_for(lambda: ">     - Groq's LPU runs Llama models." in note.read_text(encoding="utf-8")), d.log
        assert len(llm.requests) == asked  # the refresh took the background's answer: the loop asked nothing


def test_a_stale_lookups_event_leaves_the_newer_results_for_their_own() -> None:
    """Two saves' lookups can finish before the loop takes the first: the first event (older bytes)
    must not take, and lose, the results of the second."""
    from vaultkit.watch import _Lookups

    lookups = object.__new__(_Lookups)  # (no thread: only the hand-over is under test)
    lookups.lock = threading.Lock()
    lookups.results = {"a.md": ("second", {"key": "online result"})}
    assert lookups.take("a.md", "first") is None
    assert lookups.take("a.md", "second") == {"key": "online result"}
    assert lookups.take("a.md", "second") is None


def test_a_reaction_keeps_nothing_its_phases_handed_each_other(tmp_path: Path) -> None:
    """Each save's first phase hands the second its parsed structure and pass results; a daemon that
    kept them would grow with every save."""
    from vaultkit.cache import Cache
    from vaultkit.pipeline import Runner
    from vaultkit.schedule import Schedule
    from vaultkit.watch import _process

    root = tmp_path / "vault"
    root.mkdir()
    options = RunOptions(offline=True)
    runner = Runner(root, Config(), select(discover(), ["claims", "duplicates"], [], Config()), options, Cache(None))
    log: list[dict[str, Any]] = []
    for i in range(3):
        (root / "a.md").write_text(ANSWER + f"> It also reached {100 + i} tokens per second.\n", encoding="utf-8")
        _process(runner, options, root, "a.md", Schedule(0), log.append)
        assert log[-1]["action"] == "written" and runner.memo == {} and runner.structures == {}


def test_a_second_watcher_on_the_same_vault_is_refused(daemon: Callable[..., Daemon]) -> None:
    d = daemon()
    with pytest.raises(LockedError):
        watch(d.root, Config(), [], RunOptions(offline=True), quiet=QUIET, polling=False, log=lambda r: None,
              stop=threading.Event())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_daemon_cleanly_with_exit_0(tmp_path: Path, sig: int) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", "from vaultkit.cli import main; main()", "watch", str(root),
                             "--offline", "--log-format", "json", "--quiet-seconds", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"started"' in line:
            break
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert '"stopped"' in out


def test_vault_passes_follow_saves_and_deletes_without_rereading_the_vault(daemon: Callable[..., Daemon]) -> None:
    """Duplicates in the daemon: a copy saved is found; once deleted, the other note's next save drops it."""
    d = daemon(select(discover(), ["duplicates"], [], Config()))
    section = ("Scaling laws promised that bigger models trained on more data would keep getting better at a "
               "predictable rate, and for years they did. Each doubling of compute now buys a smaller gain on "
               "the benchmarks people care about, while the cost of a frontier training run keeps growing.")
    body = f"# Notes\n\n> [!ai]+ Answer\n> {section}\n"
    (d.root / "a.md").write_text(body, encoding="utf-8")
    d.settle("a.md", 0)
    (d.root / "b.md").write_text(body.replace("# Notes", "# Copy"), encoding="utf-8")
    assert wait_for(lambda: "%%vaultkit:duplicates/duplicates%%" in (d.root / "b.md").read_text(encoding="utf-8")), d.log
    a = d.root / "a.md"
    a.write_text(a.read_text(encoding="utf-8") + "\nMy line.\n", encoding="utf-8")
    assert wait_for(lambda: "%%vaultkit:duplicates/duplicates%%" in a.read_text(encoding="utf-8")), d.log
    (d.root / "b.md").unlink()
    time.sleep(QUIET * 3)
    a.write_text(a.read_text(encoding="utf-8") + "Another line of mine.\n", encoding="utf-8")
    assert wait_for(lambda: "%%vaultkit:duplicates/duplicates%%" not in a.read_text(encoding="utf-8")), d.log
    assert "Another line of mine." in a.read_text(encoding="utf-8")


def test_a_write_the_system_refuses_is_logged_and_the_daemon_goes_on(daemon: Callable[..., Daemon],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: str, dst: str, *a: Any, **kw: Any) -> None:
        if Path(dst).name == "full.md":
            raise OSError(28, "No space left on device")
        real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    d = daemon()
    (d.root / "full.md").write_text(ANSWER, encoding="utf-8")
    assert wait_for(lambda: any(r.get("note") == "full.md" and r["action"] == "not written" for r in list(d.log)))
    assert (d.root / "full.md").read_text(encoding="utf-8") == ANSWER
    (d.root / "fine.md").write_text(ANSWER, encoding="utf-8")  # the daemon is still at work
    d.settle("fine.md", 1)
    assert _has_callout(d.root / "fine.md") and d.thread.is_alive()
    entry = next(r for r in d.log if r.get("action") == "not written")
    assert "No space left on device" in entry["why"]


def test_the_daemon_removes_temp_files_a_killed_run_left_when_it_starts(tmp_path: Path,
                                                                          daemon: Callable[..., Daemon]) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    stale = root / ".n.md.q8w7e6r5.vaultkit-tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    mine = root / ".n.md.swp"
    mine.write_bytes(b"vim's")
    d = daemon()
    assert not stale.exists() and mine.exists()
    assert any(r.get("action") == "removed" and r.get("note") == stale.name for r in d.log)


def test_online_each_offline_pass_runs_once_per_save(tmp_path: Path, daemon: Callable[..., Daemon],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline write and the online refresh share what does not depend on the network."""
    calls: list[str] = []

    class Counting:
        """An offline pass that counts its runs."""

        version = "1"

        def analyze(self, note: Note, ctx: Context) -> PassResult:
            calls.append(note.path)
            return PassResult((), tuple(Display(t, "counted") for t in note.targets))

    root = _online_vault(tmp_path, monkeypatch)
    with LinkServer() as srv:
        passes = [Registered("counting", Counting(), "tests"), *select(discover(), ["citations"], [], Config())]
        d = daemon(passes=passes, online=True)
        note = root / "a.md"
        note.write_text(_cited([srv.url("/missing")]), encoding="utf-8")
        assert wait_for(lambda: "dead link: " in note.read_text(encoding="utf-8")), d.log
        assert d.writes("a.md") == 2  # the offline write, then the online refresh
        assert calls == ["a.md"]  # …and the offline pass ran once for both
