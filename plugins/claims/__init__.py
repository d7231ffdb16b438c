"""`claims`: the check-worthy factual claims in AI text (scored by `vaultkit_plugins.text.worthy`), which
of them cite a source, and figures two places in the vault give differently (`_facts`)."""

from .plugin import ClaimsPass

__all__ = ["ClaimsPass"]
