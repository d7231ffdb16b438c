"""vaultkit: find AI text in an Obsidian vault, check it, and write results back losslessly.

This module names what plugin authors may import; everything else may change. The text tools the
first-party passes share (sentences, the citation parser, units, Markdown stripping) are not part
of it: they live with the passes, in `vaultkit_plugins.text`, which third-party passes may import
too (the README's "Writing a third-party pass" says how); the core itself never imports a pass.
"""

from __future__ import annotations

from vaultkit.errors import VaultkitError
from vaultkit.note import Note, Target
from vaultkit.passes import Context, Display, Finding, NotePass, PassResult, VaultPass, line_ref, task

__version__ = "0.1.0"
__all__ = [
    "Context",
    "Display",
    "Finding",
    "Note",
    "NotePass",
    "PassResult",
    "Target",
    "VaultPass",
    "VaultkitError",
    "__version__",
    "line_ref",
    "task",
]

