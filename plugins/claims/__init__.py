"""`claims`: the check-worthy factual claims in AI text (`_worthy`, `_worthy_model`), which of them
cite a source, and figures two places in the vault give differently (`_facts`)."""

from .plugin import ClaimsPass

__all__ = ["ClaimsPass"]
