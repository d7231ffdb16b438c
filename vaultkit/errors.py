"""The vaultkit exception tree; only the CLI turns these into exit codes.

    VaultkitError
    ├── ConfigError      bad .vaultkit.toml or flags (exit 2)
    ├── NoteError        one note cannot be used: encoding, YAML, size, I/O
    │   └── ParseError   the note's bytes or frontmatter do not parse
    ├── PassError        a pass raised; becomes an error finding, never stops a run
    └── WriteError       a note could not be written back safely
"""

from __future__ import annotations


class VaultkitError(Exception):
    """Root of every error vaultkit raises on purpose."""


class ConfigError(VaultkitError):
    """The configuration or the command line is wrong; the user must fix it."""


class NoteError(VaultkitError):
    """One note cannot be processed; the run goes on with the others."""


class ParseError(NoteError):
    """The note's bytes are not UTF-8 or its frontmatter is not valid YAML."""


class PassError(VaultkitError):
    """A pass raised while analysing a note."""


class WriteError(NoteError):
    """The note could not be replaced safely; its bytes on disk are untouched."""
