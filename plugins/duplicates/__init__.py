"""`duplicates`: sections and callouts repeated across the vault — MinHash signatures (`_minhash`),
the index of similar pairs (`_index`) and the saved copy of it a hook reads (`_snapshot`)."""

from .plugin import DuplicatesPass

__all__ = ["DuplicatesPass"]
