"""`summaries`: an extractive summary of each long AI answer and section (`_lexrank`), or a model's,
kept only when `_faithful` finds nothing in it that its text does not say."""

from .plugin import SummariesPass

__all__ = ["SummariesPass"]
