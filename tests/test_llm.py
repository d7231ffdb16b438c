"""The model client (vaultkit/llm.py) and the claims pass's `llm = true`, against a loopback chat-completions server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from linkserver import closed_port
from llmserver import REFUSAL, LlmServer, claims_reply, numbered
from support import note_findings, write_note
from vaultkit.cache import Cache
from vaultkit.config import LlmConfig
from vaultkit_plugins.text.quoting import renders_as
from vaultkit.llm import ChatClient, LlmError, json_reply
from vaultkit.net import HttpClient

VK = Callable[..., tuple[int, str, str]]
MakeClient = Callable[..., HttpClient]

GROQ = "Groq's LPU delivers 750-1,345 tokens/second on Llama models."
RWKV = "Microsoft deployed RWKV to 1.5 billion Windows machines in 2024."
NOTE = f"# Fast inference\n\n> [!ai]+ Answer\n> {GROQ} {RWKV}\n"
ATOMIC = {
    GROQ: ["Groq's LPU delivers 750 to 1,345 tokens per second.", "Groq's LPU runs Llama models."],
    RWKV: ["Microsoft deployed RWKV to 1.5 billion Windows machines.", "Microsoft deployed RWKV in 2024."],
}
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture
def llm() -> Iterator[LlmServer]:
    """A chat-completions server on loopback; `slow` is above the timeouts the tests set."""
    with LlmServer(slow=1.0) as srv:
        yield srv


def _config(base_url: str, timeout: float = 2.0, **kw: Any) -> LlmConfig:
    return LlmConfig(base_url=base_url, model="m", api_key_env="VK_TEST_KEY", timeout=timeout, **kw)


def _chat(make_client: MakeClient, base_url: str, timeout: float = 2.0, retries: int = 0,
          environ: dict[str, str] | None = None, lookups: Any = None) -> ChatClient:
    return ChatClient(_config(base_url, timeout), make_client(retries=retries), lookups,
                      environ={} if environ is None else environ)


def _error(call: Callable[[], object]) -> LlmError:
    with pytest.raises(LlmError) as info:
        call()
    return info.value


# --- ChatClient ---------------------------------------------------------------------------------


def test_the_request_is_an_openai_chat_completion(llm: LlmServer, make_client: MakeClient) -> None:
    """Any OpenAI-compatible server must understand the request: path, model, messages, temperature 0."""
    llm.reply = lambda body: "Hello there."
    assert _chat(make_client, llm.base_url).complete(HELLO, max_tokens=64) == "Hello there."
    [hit] = llm.hits()
    assert (hit.method, hit.path) == ("POST", "/v1/chat/completions")
    assert hit.headers["content-type"] == "application/json"
    assert hit.body == {"model": "m", "messages": HELLO, "temperature": 0, "max_tokens": 64}


def test_a_trailing_slash_on_base_url_makes_no_double_slash(llm: LlmServer, make_client: MakeClient) -> None:
    """`base_url = ".../v1/"` is a common way to write it; `//chat/completions` 404s on real servers."""
    assert _chat(make_client, llm.base_url + "/").complete(HELLO) == "OK"
    assert [h.path for h in llm.hits()] == ["/v1/chat/completions"]


def test_the_key_is_sent_as_a_bearer_token_only_when_its_variable_is_set(llm: LlmServer,
                                                                        make_client: MakeClient) -> None:
    """The key comes only from the named environment variable; no variable, no Authorization header."""
    _chat(make_client, llm.base_url, environ={"VK_TEST_KEY": "sk-test-123"}).complete(HELLO)
    _chat(make_client, llm.base_url, environ={"OPENAI_API_KEY": "sk-other"}).complete(HELLO)
    with_key, without = llm.hits()
    assert with_key.headers["authorization"] == "Bearer sk-test-123"
    assert "authorization" not in without.headers


def test_a_refusal_is_refused_not_an_empty_answer(llm: LlmServer, make_client: MakeClient) -> None:
    """OpenAI refuses with content null and `refusal` set: the caller must learn why, not get ''."""
    llm.mode = "refusal"
    err = _error(lambda: _chat(make_client, llm.base_url).complete(HELLO))
    assert err.kind == "refused"
    assert REFUSAL in str(err)


@pytest.mark.parametrize("body", [
    b'{"object": "list", "data": []}',  # a 200 from some other endpoint
    b"<html><body>Welcome to nginx!</body></html>",  # a proxy's page
    b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}',
    b'{"choices": [{"index": 0, "message": "hi", "finish_reason": "stop"}]}',
    b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "  "}, "finish_reason": "stop"}]}',
    b'[1, 2, 3]',
], ids=["list-object", "html", "no-choices", "message-not-object", "blank-content", "json-array"])
def test_a_200_that_is_not_a_completion_is_malformed(llm: LlmServer, make_client: MakeClient, body: bytes) -> None:
    """A 200 of the wrong shape is a `malformed` LlmError, never a crash (KeyError/TypeError) in the caller."""
    llm.mode, llm.malformed = "malformed", body
    assert _error(lambda: _chat(make_client, llm.base_url).complete(HELLO)).kind == "malformed"


def test_a_401_is_http_with_the_servers_message(llm: LlmServer, make_client: MakeClient,
                                                sleeps: list[float]) -> None:
    """A wrong key must say so: the server's error.message reaches the user, and 401 is not retried."""
    llm.mode, llm.status = "error", 401
    err = _error(lambda: _chat(make_client, llm.base_url, retries=2).complete(HELLO))
    assert err.kind == "http"
    assert "401" in str(err) and "Incorrect API key provided" in str(err)
    assert len(llm.hits()) == 1 and sleeps == []


def test_a_500_is_retried_then_http(llm: LlmServer, make_client: MakeClient, sleeps: list[float]) -> None:
    """A server error is transient: retried by the shared client, then an `http` error with the message."""
    llm.mode, llm.status, llm.error_message = "error", 500, "The server had an error while processing your request."
    err = _error(lambda: _chat(make_client, llm.base_url, retries=2).complete(HELLO))
    assert err.kind == "http"
    assert "500" in str(err) and "The server had an error" in str(err)
    assert len(llm.hits()) == 3 and len(sleeps) == 2


def test_a_slow_server_is_a_timeout(llm: LlmServer, make_client: MakeClient) -> None:
    """`[llm] timeout` bounds the wait; running past it is `timeout`, not `unavailable`."""
    llm.mode = "slow"
    started = time.monotonic()
    err = _error(lambda: _chat(make_client, llm.base_url, timeout=0.3).complete(HELLO))
    assert err.kind == "timeout"
    assert time.monotonic() - started < llm.slow


def test_the_llm_timeout_not_the_link_timeout_governs(llm: LlmServer, make_client: MakeClient) -> None:
    """A local model is slower than a link check: the [net] timeout must not cut off an [llm] request."""
    llm.mode, llm.slow = "slow", 0.4
    client = ChatClient(_config(llm.base_url, timeout=2.0), make_client(timeout=0.1, retries=0), environ={})
    assert client.complete(HELLO) == "OK"


def test_nothing_listening_is_unavailable(make_client: MakeClient, sleeps: list[float]) -> None:
    """No server on the port (Ollama not started): `unavailable`, at once, without retries."""
    url = f"http://127.0.0.1:{closed_port()}/v1"
    err = _error(lambda: _chat(make_client, url, retries=2).complete(HELLO))
    assert err.kind == "unavailable"
    assert "/v1/chat/completions" in str(err)
    assert sleeps == []


def test_json_reply_finds_the_object_in_a_fence_or_prose() -> None:
    """Models wrap JSON in ```json fences and chatter; the object inside is what counts."""
    fenced = 'Sure! Here it is:\n```json\n{"claims": [{"n": 1, "atomic": ["a {b}"]}]}\n```\nAnything else?'
    assert json_reply(fenced) == {"claims": [{"n": 1, "atomic": ["a {b}"]}]}
    assert json_reply('{"x": 1}') == {"x": 1}


@pytest.mark.parametrize("text", ["I cannot split these sentences.", "```json\n{\"claims\": [1, 2,]}\n```", "} {"])
def test_json_reply_without_a_parsable_object_is_malformed(text: str) -> None:
    """No object, or one that does not parse, is `malformed` (so the caller falls back), not a JSONDecodeError."""
    assert _error(lambda: json_reply(text)).kind == "malformed"


def test_an_answer_is_asked_once_then_read_from_the_lookup_store(llm: LlmServer, make_client: MakeClient,
                                                                 tmp_path: Path) -> None:
    """A re-run (even a new process with the same cache file) asks the model nothing again."""
    llm.reply = lambda body: "Answer #" + str(len(llm.hits()))
    cache = Cache(tmp_path / "c.sqlite")
    try:
        first = _chat(make_client, llm.base_url, lookups=cache).complete(HELLO)
        again = _chat(make_client, llm.base_url, lookups=cache).complete(HELLO)
        other = _chat(make_client, llm.base_url, lookups=cache).complete([{"role": "user", "content": "Bye."}])
    finally:
        cache.close()
    assert first == again == "Answer #1"
    assert other == "Answer #2"
    assert len(llm.hits()) == 2


def test_a_failure_is_not_remembered(llm: LlmServer, make_client: MakeClient, tmp_path: Path) -> None:
    """Once the server is back, the next call asks it: an error must never be cached as the answer."""
    cache = Cache(tmp_path / "c.sqlite")
    try:
        llm.mode = "refusal"
        _error(lambda: _chat(make_client, llm.base_url, lookups=cache).complete(HELLO))
        llm.mode = "ok"
        assert _chat(make_client, llm.base_url, lookups=cache).complete(HELLO) == "OK"
    finally:
        cache.close()
    assert len(llm.hits()) == 2


# --- the claims pass with `llm = true`, through the CLI ----------------------------------------------


def _vault(tmp_path: Path, base_url: str, *, llm_table: bool = True, extra: str = "") -> tuple[Path, Path]:
    """A vault with one AI answer holding two check-worthy claims, and a config file outside it."""
    root = tmp_path / "vault"
    write_note(root, "a.md", NOTE)
    config = tmp_path / "vaultkit.toml"
    table = f'[llm]\nbase_url = "{base_url}"\nmodel = "m"\napi_key_env = "VK_TEST_KEY"\ntimeout = 2.0\n\n'
    config.write_text((table if llm_table else "") + "[passes.claims]\nllm = true\n" + extra, encoding="utf-8")
    return root, config


def _run(vk: VK, root: Path, config: Path, *flags: str) -> list[dict[str, Any]]:
    return note_findings(vk, root, "--only", "claims", "--config", config, *flags)


def _kinds(findings: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["kind"] == kind]


def _callout(root: Path) -> str:
    """The claims pass's managed callout in the written note."""
    text = (root / "a.md").read_text(encoding="utf-8")
    start = text.index("%%vaultkit:claims/claims%%")
    return text[start:]


def test_claims_carry_the_models_atomic_claims(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """`llm = true` on an online run: each claim finding gets its sentence's atomic claims from the model."""
    llm.reply = claims_reply(lambda s: ATOMIC[s], fence=True)
    root, config = _vault(tmp_path, llm.base_url)
    findings = _run(vk, root, config)
    assert _kinds(findings, "llm-fallback") == []
    claims = {f["data"]["text"]: f["data"] for f in _kinds(findings, "claim")}
    assert {text: data["atomic"] for text, data in claims.items()} == ATOMIC
    assert all(data["cited"] is False for data in claims.values())


def test_the_model_is_asked_about_the_claim_sentences_once(llm: LlmServer, vk: VK, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """One request per note, numbered sentences in one user message, the configured model and key."""
    monkeypatch.setenv("VK_TEST_KEY", "sk-vault")
    llm.reply = claims_reply(lambda s: ATOMIC[s])
    root, config = _vault(tmp_path, llm.base_url)
    _run(vk, root, config)
    [hit] = llm.hits()
    assert hit.path == "/v1/chat/completions"
    assert hit.headers["authorization"] == "Bearer sk-vault"
    assert hit.body["model"] == "m" and hit.body["temperature"] == 0
    [message] = hit.body["messages"]
    assert message["role"] == "user"
    assert numbered(message["content"]) == [GROQ, RWKV]


def test_the_callout_lists_atomic_claims_as_sub_bullets(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """The note shows each sentence's atomic claims indented under it, in the model's order."""
    llm.reply = claims_reply(lambda s: ATOMIC[s])
    root, config = _vault(tmp_path, llm.base_url)
    _run(vk, root, config)
    rows = [line for line in _callout(root).splitlines() if line.startswith(">     - ")]
    assert len(rows) == 4
    shown = [row.removeprefix(">     - ") for row in rows]
    for sentence, atomic in ATOMIC.items():  # each sentence's in the model's order
        assert [a for a in shown if a in atomic] == atomic

    # each under its own sentence
    parent = ""
    for line in _callout(root).splitlines():
        if line.startswith("> - [ ] "):
            parent = line
        elif line.startswith(">     - "):
            assert ("RWKV" in line) == ("RWKV" in parent), (parent, line)



def test_the_models_markdown_is_escaped_in_the_note(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """The model's text is untrusted: links, emphasis, tags, comments and callouts it writes stay inert."""
    hostile = "**bold** [[link]] #tag %%hidden%% <b>x</b>\n> [!danger] injected"
    llm.reply = claims_reply(lambda s: [hostile])
    root, config = _vault(tmp_path, llm.base_url)
    findings = _run(vk, root, config)
    assert all(f["data"]["atomic"] == [hostile.strip()] for f in _kinds(findings, "claim"))
    callout = _callout(root)
    row = next(line for line in callout.split("\n") if "bold" in line).removeprefix(">     - ")
    assert renders_as(row, " ".join(hostile.split()))  # shown as the model wrote it, as plain text
    assert "\n> [!danger]" not in callout


def test_a_sentence_the_model_skipped_gets_no_atomic_claims(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """Entries for unknown or malformed numbers are dropped; the other sentences still get theirs."""
    llm.reply = lambda body: json.dumps({"claims": [
        {"n": 2, "atomic": ATOMIC[RWKV]}, {"n": 7, "atomic": ["out of range"]}, {"n": "1", "atomic": ["a string n"]},
    ]})
    root, config = _vault(tmp_path, llm.base_url)
    findings = _run(vk, root, config)
    assert _kinds(findings, "llm-fallback") == []
    atomic = {f["data"]["text"]: f["data"]["atomic"] for f in _kinds(findings, "claim")}
    assert atomic == {GROQ: [], RWKV: ATOMIC[RWKV]}
    assert "out of range" not in _callout(root) and "a string n" not in _callout(root)


def test_a_rerun_of_a_changed_note_asks_the_model_nothing_again(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """The answer is in the run's lookup store: editing elsewhere in the note costs no new request."""
    llm.reply = claims_reply(lambda s: ATOMIC[s])
    root, config = _vault(tmp_path, llm.base_url)
    _run(vk, root, config)
    with (root / "a.md").open("a", encoding="utf-8") as f:
        f.write("\nMy own notes, added later.\n")
    findings = _run(vk, root, config)
    assert len(llm.hits()) == 1
    assert {f["data"]["text"]: f["data"]["atomic"] for f in _kinds(findings, "claim")} == ATOMIC


def _assert_fell_back(findings: list[dict[str, Any]], reason: str, root: Path | None = None) -> None:
    """Exactly one llm-fallback warning with `reason`, and the offline claims, unrefined."""
    [fallback] = _kinds(findings, "llm-fallback")
    assert fallback["severity"] == "warning"
    assert fallback["data"] == {"reason": reason}
    claims = _kinds(findings, "claim")
    assert sorted(f["data"]["text"] for f in claims) == sorted([GROQ, RWKV])
    assert all("atomic" not in f["data"] for f in claims)
    assert fallback["line"] == min(f["line"] for f in claims)
    if root is not None:
        assert ">     - " not in _callout(root)


def test_a_server_that_is_down_falls_back_to_the_offline_claims(vk: VK, tmp_path: Path) -> None:
    """No server listening: the run still succeeds with the offline claims and says why (`unavailable`)."""
    root, config = _vault(tmp_path, f"http://127.0.0.1:{closed_port()}/v1")
    _assert_fell_back(_run(vk, root, config), "unavailable", root)


@pytest.mark.parametrize(("mode", "setup", "reason"), [
    ("malformed", {"malformed": b'{"object": "list", "data": []}'}, "malformed"),
    ("malformed", {"malformed": b"<html>502 Bad Gateway</html>"}, "malformed"),
    ("refusal", {}, "refused"),
    ("error", {"status": 401}, "http"),
    ("ok", {"reply": lambda body: "I'm not able to split these sentences."}, "malformed"),
    ("ok", {"reply": lambda body: '{"result": "done"}'}, "malformed"),
    ("ok", {"reply": lambda body: '{"claims": [{"n": 1, "atomic": []}, {"n": 9, "atomic": ["x"]}]}'}, "malformed"),
], ids=["wrong-object", "html", "refusal", "401", "prose", "no-claims-list", "no-usable-entry"])
def test_an_unusable_answer_falls_back_with_its_reason(llm: LlmServer, vk: VK, tmp_path: Path, mode: str,
                                                      setup: dict[str, Any], reason: str) -> None:
    """Whatever the model does wrong, the claims survive unrefined and one warning names the failure."""
    llm.mode = mode  # type: ignore[assignment]
    for name, value in setup.items():
        setattr(llm, name, value)
    root, config = _vault(tmp_path, llm.base_url)
    _assert_fell_back(_run(vk, root, config), reason, root)
    assert len(llm.hits()) == 1


def test_an_offline_run_asks_no_model_and_says_so(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """`--offline` means no request at all, even to a loopback model; the fallback reason is `unavailable`."""
    root, config = _vault(tmp_path, llm.base_url)
    _assert_fell_back(_run(vk, root, config, "--offline"), "unavailable", root)
    assert llm.hits() == []


def test_llm_true_without_an_llm_table_falls_back(vk: VK, tmp_path: Path) -> None:
    """`llm = true` with no [llm] base_url/model is a configuration gap, reported, not a crash."""
    root, config = _vault(tmp_path, "", llm_table=False)
    findings = _run(vk, root, config)
    _assert_fell_back(findings, "unavailable", root)
    assert "base_url" in _kinds(findings, "llm-fallback")[0]["message"]


def test_a_note_without_claims_asks_the_model_nothing(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """No check-worthy sentence, no request and no fallback warning."""
    root, config = _vault(tmp_path, llm.base_url)
    write_note(root, "a.md", "# Q\n\n> [!ai]+ Answer\n> I think that is a nice idea.\n")
    assert _run(vk, root, config) == []
    assert llm.hits() == []


# --- bugs the first version had ---------------------------------------------------------------


def test_a_string_instead_of_a_list_is_not_split_into_characters(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """Models often answer `"atomic": "one claim"`; that must not become one bullet per character."""
    llm.reply = lambda body: json.dumps({"claims": [{"n": 1, "atomic": "Groq's LPU is fast"},
                                                    {"n": 2, "atomic": ATOMIC[RWKV]}]})
    root, config = _vault(tmp_path, llm.base_url)
    findings = _run(vk, root, config)
    for f in _kinds(findings, "claim"):
        assert all(len(a) > 1 for a in f["data"].get("atomic", [])), f["data"].get("atomic")


def test_a_null_atomic_list_falls_back_instead_of_crashing(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """A malformed entry is a malformed reply: offline claims kept, never a pass-error that drops them."""
    llm.reply = lambda body: json.dumps({"claims": [{"n": 1, "atomic": None}, {"n": 2, "atomic": None}]})
    root, config = _vault(tmp_path, llm.base_url)
    findings = _run(vk, root, config)
    assert _kinds(findings, "pass-error") == []
    _assert_fell_back(findings, "malformed", root)


def test_the_next_run_after_a_failure_asks_the_model_again(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """A model that was down on one run must be asked on the next; the fallback is not a result to keep."""
    llm.mode = "error"
    root, config = _vault(tmp_path, llm.base_url)
    _assert_fell_back(_run(vk, root, config), "http")
    llm.mode, llm.reply = "ok", claims_reply(lambda s: ATOMIC[s])
    findings = _run(vk, root, config)
    assert len(llm.hits()) == 2
    assert _kinds(findings, "llm-fallback") == []
    assert {f["data"]["text"]: f["data"].get("atomic") for f in _kinds(findings, "claim")} == ATOMIC


def test_no_cache_asks_the_model_once_per_note(llm: LlmServer, vk: VK, tmp_path: Path) -> None:
    """A model call is slow and may cost money: one note, one request, even without the cache."""
    llm.reply = claims_reply(lambda s: ATOMIC[s])
    root, config = _vault(tmp_path, llm.base_url)
    _run(vk, root, config, "--no-cache")
    assert len(llm.hits()) == 1
