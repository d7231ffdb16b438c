"""vaultkit: find AI text in an Obsidian vault, check it, and write results back losslessly.

This module names what plugin authors may import; everything else may change.
"""

from __future__ import annotations

from vaultkit.errors import VaultkitError
from vaultkit.note import Note, Target
from vaultkit.passes import Context, Display, Finding, NotePass, PassResult, VaultPass, line_ref

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
]
