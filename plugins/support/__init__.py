"""`support`: whether the pages and papers AI answers cite say what they claim: from claim to source
(`_sources`), the source's words (`_read`), passages and BM25 (`_passages`), figures (`_figures`),
the embedded verdict (`_verdict`) and the optional model judge (`_judge`)."""

from .plugin import SupportPass

__all__ = ["SupportPass"]
