"""`vaultkit cache info|clear`: what the cache keeps for a vault, and starting it afresh (part of the CLI)."""

from __future__ import annotations

from pathlib import Path

import click

from vaultkit.errors import ConfigError


@click.group()
def cache() -> None:
    """See or clear the cache vaultkit keeps for a vault (results, lookups, the undo journal).

    Example: vaultkit cache info ~/Notes
    """


def vault_root(vault: str | None) -> Path:
    """The vault folder named on the command line (the current folder when none is)."""
    root = Path(vault or ".")
    if not root.is_dir():
        raise ConfigError(f"{vault}: not a folder — pass the vault's root folder")
    return root


def _files(path: Path) -> list[Path]:
    """The database and SQLite's side files (write-ahead log, shared memory) that exist."""
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


@cache.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
def info(vault: str | None) -> int:
    """Where the vault's cache is, how big against the vault's notes, and each table's share.

    Example: vaultkit cache info ~/Notes
    """
    from vaultkit.cache import Cache, cache_path
    from vaultkit.vault import scan

    root = vault_root(vault)
    path = cache_path(root)
    if not path.exists():
        click.echo(f"no cache yet for {root.resolve()} (it would be {path})")
        return 0
    notes = sum(nf.path.stat().st_size for nf in scan(root))
    on_disk = sum(p.stat().st_size for p in _files(path))
    db = Cache(path)
    try:
        tables = db.info()
    finally:
        db.close()
    click.echo(f"{path}\n{on_disk / 1e6:.1f} MB on disk, {on_disk / max(notes, 1):.2f}× the vault's notes "
               f"({notes / 1e6:.1f} MB)")
    for name, rows, size in tables:
        if rows or size:
            click.echo(f"  {name:<10} {rows:>8} rows  {size / 1e6:8.1f} MB")
    return 0


@cache.command()
@click.argument("vault", required=False, type=click.Path(file_okay=False))
def clear(vault: str | None) -> int:
    """Delete the vault's cache: results, lookups and the undo journal (the next run starts cold).

    Example: vaultkit cache clear ~/Notes
    """
    from vaultkit.cache import cache_path
    from vaultkit.lock import VaultLock

    root = vault_root(vault)
    path = cache_path(root)
    with VaultLock(path.with_suffix(".lock"), root):  # (not under a running `vaultkit watch`)
        files = _files(path)
        size = sum(p.stat().st_size for p in files)
        for p in files:
            p.unlink()
    click.echo(f"cleared {size / 1e6:.1f} MB ({path}); `vaultkit undo` has nothing left to undo" if files
               else f"no cache to clear for {root.resolve()}")
    return 0
