"""vaultkit's first-party passes, installed as `vaultkit_plugins` and registered by entry point.

One package per pass (`citations`, `claims`, `duplicates`, `summaries`; `stats` is one module),
each holding its pass (`plugin.py`) and the `_private` modules only it uses. What two or more passes
share is in `text`, which third-party passes may import too. No pass imports another pass's modules.
"""
