"""A small client for an OpenAI-compatible `POST {base_url}/chat/completions` (Ollama, llama.cpp
server, vLLM, hosted APIs), shared by the passes that can use a model (claims, summaries).

The `[llm]` table names the server and model; the API key is read only from the environment
variable `[llm] api_key_env` names. Answers are cached in the run's lookup store, so a re-run
asks nothing again. Every failure is an LlmError with a one-line reason: the caller falls
back to its offline result and says so.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

from vaultkit.errors import VaultkitError
from vaultkit.text import digest

ANSWER_TTL = 30 * 86400.0  # a model's answer to the same prompt is kept a month


class LlmError(VaultkitError):
    """The model gave no usable answer: unavailable, timed out, refused or malformed."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class ChatClient:
    """Chat completions over the run's HttpClient: one user prompt in, the reply's text out."""

    def __init__(self, config: Any, http: Any, lookups: Any = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.config = config  # an LlmConfig
        self.http = http  # a vaultkit.net.HttpClient
        self.lookups = lookups
        self.timeout = float(getattr(config, "timeout", 60.0))
        env = os.environ if environ is None else environ
        self.api_key = env.get(config.api_key_env, "") if config.api_key_env else ""

    @property
    def url(self) -> str:
        """The endpoint: `base_url` (e.g. `http://localhost:11434/v1`) + `/chat/completions`."""
        return self.config.base_url.rstrip("/") + "/chat/completions"

    def complete(self, messages: Sequence[Mapping[str, str]], max_tokens: int = 512) -> str:
        """The model's reply to `messages`, deterministic (temperature 0); raises LlmError."""
        from vaultkit.net import NetError

        body = {"model": self.config.model, "messages": list(messages), "temperature": 0, "max_tokens": max_tokens}
        key = "llm:" + digest(self.config.base_url, self.config.model, json.dumps(body, sort_keys=True))
        if self.lookups is not None:
            known = self.lookups.lookup(key)
            if isinstance(known, str):
                return known
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            # The server is the user's own choice in config (often localhost), never a note's.
            response = self.http.request("POST", self.url, json=body, headers=headers, allow_private=True,
                                         timeout=self.timeout)
        except NetError as exc:
            raise LlmError("unavailable" if exc.kind != "timeout" else "timeout", f"{self.url}: {exc.detail}") from exc
        if response.status_code != 200:
            raise LlmError("http", f"{self.url} answered {response.status_code}: {_error_text(response)}")
        text = _reply_text(response)
        if self.lookups is not None:
            self.lookups.remember(key, text, ANSWER_TTL)
        return text


def _error_text(response: Any) -> str:
    try:
        data = response.json()
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        return str(message or response.text[:200]).splitlines()[0] if (message or response.text) else "no details"
    except ValueError:
        return response.text[:200].replace("\n", " ") or "no details"


def _reply_text(response: Any) -> str:
    """`choices[0].message.content`, unless the model refused or the reply is not that shape."""
    try:
        data = response.json()
        choice = data["choices"][0]
        message = choice["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LlmError("malformed", f"no choices[0].message in the reply ({type(exc).__name__})") from exc
    if not isinstance(message, dict):
        raise LlmError("malformed", "choices[0].message is not an object")
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise LlmError("refused", str(message.get("refusal") or "content filter"))
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise LlmError("malformed", "the reply has no text")
    return content


def chat_client(ctx: Any) -> tuple[ChatClient | None, str]:
    """The run's chat client for a pass, or None and why not (offline, or no `[llm]` server/model)."""
    llm = getattr(ctx.config, "llm", None)
    if llm is None or not llm.base_url or not llm.model:
        return None, "set [llm] base_url and model to use a model"
    if ctx.offline or ctx.net is None:
        return None, "the run is offline"
    return ChatClient(llm, ctx.net.client(), ctx.lookups), ""


def json_reply(text: str) -> Any:
    """The JSON object in a reply, also when the model wrapped it in a ``` fence or prose."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise LlmError("malformed", "the reply holds no JSON object")
    try:
        return json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise LlmError("malformed", f"the reply's JSON does not parse ({exc.msg})") from exc
