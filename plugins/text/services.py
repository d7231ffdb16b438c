"""Where the scholarly services answer: a module of its own, so an offline hook never imports the clients."""

# Where each service answers, and who is asking (`[passes.citations]` options; the support pass reads them too).
SERVICES = {
    "arxiv_url": "https://export.arxiv.org/api/query",
    "crossref_url": "https://api.crossref.org/works",
    "openalex_url": "https://api.openalex.org/works",
    "semantic_scholar_url": "https://api.semanticscholar.org/graph/v1",
    "mailto": "",
}
