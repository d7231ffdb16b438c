"""The optional model judge (`[passes.support] llm = true`): does the best evidence support the claim?

The model gets the claim and the source's best passages and answers JSON: a label (supported,
partial, unsupported, contradicted) and a verbatim quote. Its verdict counts only when the quote
really is in the source's text (whitespace aside); otherwise the embedded verdict stands, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ._verdict import quote_in

LABELS = {"supported": "support-found", "partial": "support-unclear", "unsupported": "not-in-source",
          "contradicted": "contradicted-by-source"}
_PROMPT = (
    "You check whether a source supports a claim. Read the claim and the numbered passages from the "
    "source. Answer with only JSON: {\"label\": \"supported\" | \"partial\" | \"unsupported\" | "
    "\"contradicted\", \"quote\": \"the exact words of the passage your label rests on, copied verbatim\"}. "
    "supported: the passages state the claim, with the same figures. partial: they state part of it. "
    "unsupported: they do not say it. contradicted: they say something incompatible (another figure, "
    "the opposite). Judge only by the passages.\n\n"
)


@dataclass(frozen=True, slots=True)
class Ruling:
    """The model's answer, and whether it counts."""

    label: str  # one of LABELS, or '' when the model gave none
    quote: str
    kept: bool
    why: str  # when not kept: why the embedded verdict stands


def rule(client: Any, claim: str, passages: Sequence[str], text: str) -> Ruling:
    """Ask the model about one claim; a reply whose quote is not in `text` is not kept."""
    from vaultkit.llm import LlmError, json_reply

    numbered = "\n".join(f"{i}. {p}" for i, p in enumerate(passages, 1))
    prompt = f"{_PROMPT}Claim: {claim}\n\nPassages:\n{numbered}"
    try:
        reply = json_reply(client.complete([{"role": "user", "content": prompt}], max_tokens=400))
    except LlmError as exc:
        return Ruling("", "", False, f"the model gave no usable answer ({exc})")
    label = str(reply.get("label", "")).strip().lower() if isinstance(reply, dict) else ""
    quote = str(reply.get("quote", "")) if isinstance(reply, dict) else ""
    if label not in LABELS:
        return Ruling("", quote, False, f"the model's label {label!r} is not one of {', '.join(LABELS)}")
    if not quote_in(quote, text):
        return Ruling(label, quote, False, "the model's quote is not in the source")
    return Ruling(label, " ".join(quote.split()), True, "")
