"""Shared test setup: an isolated cache directory and the Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "vaultkit",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("vaultkit"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "vaultkit")


@pytest.fixture(scope="session", autouse=True)
def _session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module- and session-scoped fixtures run before function fixtures: keep them off the user's cache too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAULTKIT_CACHE_DIR", str(tmp_path_factory.mktemp("vaultkit-cache-session")))
        yield


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the internet: host names other than localhost do not resolve, as on a plane.

    (Tests that serve HTTP use 127.0.0.1 and `linkserver.loopback_only` on top of this.)
    """
    import ipaddress
    import re
    import socket

    real = socket.getaddrinfo

    def offline(host: object, *args: object, **kw: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.strip("[]"))
            return real(host, *args, **kw)  # type: ignore[arg-type]  # a literal needs no DNS
        except ValueError:
            if name == "localhost" or name.endswith(".localhost") or re.fullmatch(r"(?:0[xX])?[0-9][0-9a-fA-FxX.]*", name):
                return real(host, *args, **kw)  # type: ignore[arg-type]
        raise socket.gaierror(socket.EAI_NONAME, f"tests have no internet ({name})")

    monkeypatch.setattr(socket, "getaddrinfo", offline)


@pytest.fixture(autouse=True)
def _outside_the_repo(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`vaultkit run` defaults to the current folder: never let a test run it over the repository."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty cache directory (never the user's)."""
    path = tmp_path_factory.mktemp("vaultkit-cache")
    monkeypatch.setenv("VAULTKIT_CACHE_DIR", str(path))
    return path


@pytest.fixture
def vk(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: vk("run", path, "--json") -> (exit code, stdout, stderr)."""
    from vaultkit.cli import run_cli

    def call(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()  # drop anything printed before
        code = run_cli([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Any TCP connection outside loopback fails the test; returns the attempts."""
    from linkserver import loopback_only

    return loopback_only(monkeypatch)


@pytest.fixture
def server() -> Iterator[Any]:
    """A loopback link server (see tests/linkserver.py)."""
    from linkserver import LinkServer

    with LinkServer(slow=1.0) as srv:
        yield srv


@pytest.fixture
def sleeps() -> list[float]:
    """What an HttpClient would have slept, recorded instead."""
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Iterator[Callable[..., Any]]:
    """HttpClients whose sleeps are recorded, not slept; loopback allowed unless told otherwise."""
    from vaultkit.config import NetConfig
    from vaultkit.net import HttpClient

    made: list[HttpClient] = []

    def make(allow_private: bool = True, timeout: float = 2.0, max_per_host: int = 2, **kw: Any) -> HttpClient:
        config = NetConfig(allow_private=allow_private, timeout=timeout, max_per_host=max_per_host)
        client = HttpClient(config, sleep=sleeps.append, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace the installed passes (the entry-point registry) for this test."""
    import vaultkit.passes

    def install(*passes: Any) -> None:
        monkeypatch.setattr(vaultkit.passes, "discover", lambda: list(passes))

    return install
