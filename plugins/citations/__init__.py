"""`citations`: markers, reference lists, identifiers and source lines in AI text, checked offline;
links and scholarly metadata checked online (`_online`, `_links`, `_scholar`, `_scholar_apis`)."""

from .plugin import CitationsPass

__all__ = ["CitationsPass"]
