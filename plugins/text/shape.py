"""What a sentence of an AI answer is doing, by its shape: talking about the answer (meta-text),
reviewing a draft, asking, introducing a list, or naming a list item without saying anything.

Shared by the claims pass (none of these is a claim) and the summaries pass (none of these is a
summary), so both read an answer the same way. English patterns: other languages pass through.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .asides import split_label

# Talk about the answer or the conversation: "Here's a breakdown", "Let me unpack that", "Upon review".
META = re.compile(
    r"^(?:here(?:['’]s| is| are)|below|the following|in (?:summary|short|conclusion)|to (?:summari[sz]e|sum up)|"
    r"let me|let['’]s|let us|i hope|i['’]d|i would|would you|if you(?:['’]d| would) like|feel free|great question|sure[,!]|"
    r"certainly|of course|absolutely|overall,|in this (?:answer|section|post)|next,? we|this (?:guide|answer|section)|"
    r"upon (?:review|reviewing|closer)|after reviewing|to (?:ensure|verify|confirm) (?:the )?(?:accuracy|that)|"
    r"your (?:summary|draft|question|essay|text|point)|you(?:['’]re| are) (?:absolutely |completely |quite |so )?"
    r"(?:right|correct)|good (?:point|catch|question)|thanks?\b|thank you|great (?:point|catch|idea))",
    re.I,
)
# Talk about a draft or its sources rather than about the world: "The draft adheres well to academic
# standards", "It should be verified against the actual paper", "Checking its details will ensure …".
REVIEW = re.compile(
    r"\b(?:the|this|your|my) (?:draft|introduction|conclusion|essay|summary|revision|citations?|references?)\b"
    r"|\b(?:should|must|needs? to|has to|have to|would need to) be (?:verified|checked|confirmed|double-checked|"
    r"cross-checked|corrected|cross-referenced)\b|^(?:verification|checking|verifying|double-checking|cross-checking)\b"
    r"|\b(?:could|would) (?:benefit from|be strengthened|be improved|enhance (?:its|the))\b"
    r"|\bwill (?:further )?(?:strengthen|bolster|enhance|improve) (?:its|the|their) (?:credibility|rigou?r|depth|clarity)\b"
    r"|\b(?:important|crucial|essential|advisable|necessary|worth|wise) to (?:verify|check|confirm|ensure|"
    r"double-check|cross-check|note|consider|remember)\b"
    r"|\b(?:lacks|provides|offers|gives) (?:a |an )?(?:critical|comprehensive|clear|balanced|nuanced|thorough|"
    r"solid|good) (?:examination|overview|discussion|analysis|perspective|view|definition|introduction)\b",
    re.I,
)
# A list item that names something without saying anything about it: a gerund or participle leads
# ("Training across multiple GPUs or TPUs.", "Designed for matrix multiplication.") and no finite verb
# follows (an auxiliary, a third-person "-es" verb, a verb after an adverb like "often", a clause after
# a comma) and no figure (which a reader may want to check).
_VERBAL = re.compile(
    r"^(?:[A-Z][a-z]+ly\s+[a-z]{2,}ing|[A-Z][a-z]{2,}ing(?!\s+[A-Z])|[A-Z][a-z]{2,}ed\s+(?:for|to|by|with|in|on|as|from|into))\b"
    r"(?<!During)(?<!Nothing)(?<!Something)(?<!Everything)(?<!Anything)(?<!String)(?<!Thing)(?<!King)"
    r"(?<!Spring)(?<!Morning)(?<!Evening)(?<!Bring)(?<!Ring)(?<!Building)(?<!Ceiling)(?<!Wedding)")
_FINITE = re.compile(
    r"\b(?:is|are|was|were|am|has|have|had|do|does|did|can|could|will|would|shall|should|may|might|must|"
    r"isn't|aren't|wasn't|weren't|hasn't|haven't|doesn't|don't|didn't|can't|won't|it's|that's|there's|they're)\b"
    r"|\b[a-z]{3,}(?<!ss)es\s+(?:the|a|an|its|their|this|these|those|that|more|less|it|them|up|out|much|many|"
    r"most|substantial|significant|significantly|only|all|each|every|both|no|new)\b"
    r"|\b(?:often|also|typically|usually|generally|still|always|never|largely|mainly|rarely|frequently|commonly|"
    r"significantly|directly|actually|simply)\s+[a-z]{3,}(?<!ing)(?<!ly)\b"
    r"|,\s+(?:this|that|these|those|the|it|they|he|she|we|its|their|his|her)\s"
    r"|(?<![\w.-])\d", re.I)


_MARKUP = re.compile(r"[*_`]|\[\d{1,3}(?:[,;–-]\s*\d{1,3})*\]")
LEAD_IN = re.compile(r"^(?:[A-Z][\w /&–-]{0,30}?):\s+(?=\S)")  # `Sun: place them…`: a plain label


def bare(text: str) -> str:
    """The sentence without its bold label, emphasis and markers: what it says."""
    text = split_label(text.strip())[1]
    if "*" in text or "_" in text or "`" in text or "[" in text:
        text = _MARKUP.sub("", text).strip()
    return LEAD_IN.sub("", text) if ":" in text[:34] else text


def is_fragment(text: str) -> bool:
    """A verbless list fragment (a label and markers in `text` are allowed): it names, it does not say."""
    return names_only(bare(text))


def names_only(said: str) -> bool:
    """`is_fragment` of a sentence already `bare`."""
    if not said[:1].isupper() or not _VERBAL.match(said):  # (most sentences: one cheap test)
        return False
    return not _FINITE.search(said.replace("’", "'"))


# Every `REVIEW` match holds one of these: a few substring tests skip its regex for most sentences.
_REVIEW_WORDS = ("draft", "introduction", "conclusion", "essay", "summary", "revision", "citation", "reference",
                 "verif", "check", "confirm", "correct", "benefit from", "strengthen", "improved", "enhance",
                 "to note", "to consider", "to remember", "to ensure", "lacks", "provides", "offers", "gives")


def is_review(text: str) -> bool:
    """Talk about a draft or its sources ("The draft adheres well…", "It should be verified…")."""
    low = text.lower()
    for word in _REVIEW_WORDS:
        if word in low:
            return REVIEW.search(text) is not None
    return False


def is_meta(text: str) -> bool:
    """Talk about the answer, the conversation or a draft, not about the world."""
    return bool(META.match(text)) or is_review(text)


@lru_cache(maxsize=4096)  # (an answer and each of its sections ask about the same sentences)
def says_something(text: str, words: int = 5) -> bool:
    """Could this sentence stand for an answer: a statement of a few words, not a question, a list's
    intro, meta-text, a review or a fragment? (What a summary may pick.)"""
    said = bare(text)
    if not said or said.endswith((":", "?", "：", "？")) or said.count(" ") + 1 < words:
        return False
    return not (is_meta(said) or names_only(said))
