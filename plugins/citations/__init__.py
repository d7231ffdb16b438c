"""`citations`: markers, reference lists, identifiers and source lines in AI text, checked offline;
links checked online (`_online`, `_links`), scholarly metadata through `vaultkit_plugins.text.scholar`."""

from .plugin import CitationsPass

__all__ = ["CitationsPass"]
