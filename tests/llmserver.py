"""A threaded loopback server that speaks OpenAI's chat-completions API, and records what it was asked.

    with LlmServer() as llm:
        llm.base_url                 # http://127.0.0.1:PORT/v1 (what `[llm] base_url` takes)
        llm.reply = lambda body: "…" # the assistant's text for a request body (default: "OK")
        llm.mode = "ok"              # or "slow" | "malformed" | "refusal" | "error"
        llm.requests                 # [Request(method, path, headers, body), ...] in arrival order

Modes, each answering the way the real API (or a server that is not one) does:
    ok          200 chat.completion: choices[0].message.content = reply(body), finish_reason "stop"
    slow        waits `slow` seconds (longer than the client's timeout), then answers as "ok"
    malformed   200 with `malformed` as the body (default `{"object": "list", "data": []}`: a 200
                that is not a completion); set it to non-JSON bytes for a proxy's HTML page
    refusal     200 chat.completion whose message has content null and `refusal` set
    error       `status` (default 401) with OpenAI's error object carrying `error_message`
Any path not ending in /chat/completions answers 404 with OpenAI's unknown-URL error.

`claims_reply(split)` builds a reply function for the claims pass's prompt: it reads the
numbered sentences from the user message and answers `{"claims": [{"n": i, "atomic": split(s)}]}`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Literal

Mode = Literal["ok", "slow", "malformed", "refusal", "error"]
Reply = Callable[[dict[str, Any]], str]

REFUSAL = "I'm sorry, but I can't assist with that request."
INVALID_KEY = ("Incorrect API key provided: sk-test***. You can find your API key at "
               "https://platform.openai.com/account/api-keys.")


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON body, or None when it did not parse
    raw: bytes

    @property
    def prompt(self) -> str:
        """The text of every message in the body, joined (what the model was asked)."""
        messages = self.body.get("messages", []) if isinstance(self.body, dict) else []
        return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


def numbered(prompt: str) -> list[str]:
    """The `N. sentence` lines of a prompt, in order."""
    return re.findall(r"(?m)^\d+\. (.+)$", prompt)


def claims_reply(split: Callable[[str], list[str]], fence: bool = False) -> Reply:
    """A reply function answering the claims prompt with `split(sentence)` per numbered sentence."""

    def reply(body: dict[str, Any]) -> str:
        messages = body.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        data = {"claims": [{"n": i, "atomic": split(s)} for i, s in enumerate(numbered(prompt), 1)]}
        text = json.dumps(data, ensure_ascii=False)
        return f"Here are the claims:\n```json\n{text}\n```" if fence else text

    return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a "slow" handler still waiting must not hold up shutdown
    owner: LlmServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        code, ctype, body = self.server.owner._serve(
            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.do_POST()


def _error(message: str, code: str | None = None, type_: str = "invalid_request_error") -> bytes:
    return json.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}}).encode()


class LlmServer:
    """Context manager on 127.0.0.1; settings and `requests` are shared with the handler threads."""

    def __init__(self, *, model: str = "m", slow: float = 1.0) -> None:
        self.model = model
        self.slow = slow
        self.mode: Mode = "ok"
        self.reply: Reply = lambda body: "OK"
        self.refusal = REFUSAL
        self.malformed: bytes = b'{"object": "list", "data": []}'
        self.status = 401
        self.error_message = INVALID_KEY
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port: int = self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What `[llm] base_url` takes for this server."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlmServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # wakes a "slow" handler
        self._server.shutdown()
        self._server.server_close()

    def hits(self) -> list[Request]:
        """Requests so far."""
        with self._lock:
            return list(self.requests)

    def _serve(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, str, bytes]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Request(method, path, headers, body, raw))
            mode = self.mode
        if not path.split("?", 1)[0].endswith("/chat/completions") or method != "POST":
            unknown = (f"Unknown request URL: {method} {path}. Please check the URL for typos, "
                       "or see the docs at https://platform.openai.com/docs/api-reference/.")
            return 404, "application/json", _error(unknown, "unknown_url")
        if mode == "error":
            return self.status, "application/json", _error(
                self.error_message, "invalid_api_key" if self.status == 401 else None,
                "invalid_request_error" if self.status < 500 else "server_error")
        if mode == "malformed":
            return 200, "application/json", self.malformed
        if not isinstance(body, dict):
            return 400, "application/json", _error("We could not parse the JSON body of your request.")
        if mode == "slow":
            self._stop.wait(self.slow)
        if mode == "refusal":
            message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": self.refusal}
            content = ""
        else:
            content = self.reply(body)
            message = {"role": "assistant", "content": content, "refusal": None}
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        completion_tokens = len(content.split())
        completion = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", self.model)),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
            "system_fingerprint": "fp_test",
        }
        return 200, "application/json", json.dumps(completion).encode()
