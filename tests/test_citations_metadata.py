"""End to end: `vaultkit run` with the citations pass resolving the seed references against loopback APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from apiserver import ApiServer
from linkserver import loopback_only
from support import by_path, run_json, write_note
from vaultkit_plugins.text import scholar as _scholar
from vaultkit_plugins.text.scholar import RateLimiter

VK = Callable[..., tuple[int, str, str]]

# The seed's revised draft (../shared/seeds, 000, lines 188-211), trimmed to its references.
NOTE = """# Review

> [!ai]+ AI
> Hoffmann et al. (2022) showed scaling laws flatten. [Hoffmann, J., Borgeaud, S., Mensch, A., Buchatskaya, E., Cai, T., Rutherford, E., ... & Sifre, L. (2022). Training language models to follow instructions with human feedback. *Advances in Neural Information Processing Systems*, *35*, 27730-27744.]
> Kaplan et al. (2020) described scaling laws. [Kaplan, J., McCandlish, S., Henighan, T., Brown, T. B., Chess, B., Child, R., ... & Amodei, D. (2020). Scaling laws for neural language models. *arXiv preprint arXiv:2001.08361*.]
> Garnelo et al. (2019) combined symbols and deep RL. [Garnelo, M., Arulkumaran, K., & Shanahan, M. (2019). Towards deep symbolic reinforcement learning. *arXiv preprint arXiv:1909.05518*.]
> Shazeer et al. (2017) introduced sparse experts. [Shazeer, N., Mirhoseini, A., Maziarz, K., Davis, A., Le, Q., Hinton, G., & Dean, J. (2017). Outrageously large neural networks: The sparsely-gated mixture-of-experts layer. *arXiv preprint arXiv:1701.06538*.]

Mine.
"""


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The published rate limits, on a clock that does not really wait."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limits = {name: RateLimiter(lim.interval, clock=lambda: now[0], sleep=sleep) for name, lim in _scholar.LIMITS.items()}
    monkeypatch.setattr(_scholar, "LIMITS", limits)
    loopback_only(monkeypatch)


def _toml(api: ApiServer) -> str:
    opts = api.options()
    table = "\n".join(f'{k} = "{v}"' for k, v in opts.items() if isinstance(v, str))
    return f"[net]\nallow_private = true\ntimeout = 2.0\n\n[passes.citations]\ncheck_links = false\n{table}\n"


def _verdicts(doc: dict[str, Any]) -> dict[int, str]:
    return {f["line"]: f["kind"] for f in by_path(doc)["a.md"]["findings"]
            if f["kind"] in ("metadata-mismatch", "likely-fabricated", "unverified")}


def test_seed_references_come_out_right_and_are_cached(tmp_path: Path, vk: VK) -> None:
    with ApiServer() as api:
        root = tmp_path / "v"
        write_note(root, "a.md", NOTE)
        (root / ".vaultkit.toml").write_text(_toml(api), encoding="utf-8")
        code, doc, err = run_json(vk, "run", root)
        assert code == 0, err
        verdicts = _verdicts(doc)
        assert verdicts.get(4) == "metadata-mismatch"  # the title is Ouyang et al. 2022
        assert verdicts.get(6) == "metadata-mismatch"  # Garnelo: the paper is arXiv:1609.05518 (2016)
        assert 5 not in verdicts and 7 not in verdicts  # Kaplan and Shazeer are right
        hoffmann = next(f for f in by_path(doc)["a.md"]["findings"] if f["line"] == 4 and f["kind"] == "metadata-mismatch")
        assert "Hoffmann" in hoffmann["message"] and hoffmann["data"]["record"]
        text = (root / "a.md").read_text(encoding="utf-8")
        assert "- [ ] metadata mismatch: " in text and "[[" not in text.split("[!vaultkit]", 1)[1]
        asked = len(api.requests)
        with (root / "a.md").open("a", encoding="utf-8") as fh:
            fh.write("\nAnother remark of mine.\n")
        code, doc, _ = run_json(vk, "run", root)
        assert len(api.requests) == asked  # every answer came from the cache
        assert sorted(_verdicts(doc).values()) == sorted(verdicts.values())


def test_offline_never_calls_a_reference_fabricated(tmp_path: Path, vk: VK) -> None:
    with ApiServer() as api:
        root = tmp_path / "v"
        write_note(root, "a.md", NOTE)
        (root / ".vaultkit.toml").write_text(_toml(api), encoding="utf-8")
        code, doc, _ = run_json(vk, "run", root, "--offline")
        assert _verdicts(doc) == {} and api.requests == []


def test_failing_services_leave_references_unverified(tmp_path: Path, vk: VK) -> None:
    with ApiServer(slow=0.5) as api:
        for service in ("arxiv", "crossref", "openalex", "semantic_scholar"):
            api.fail[service] = 503
        root = tmp_path / "v"
        write_note(root, "a.md", NOTE)
        (root / ".vaultkit.toml").write_text(_toml(api), encoding="utf-8")
        code, doc, _ = run_json(vk, "run", root)
        kinds = set(_verdicts(doc).values())
        assert kinds == {"unverified"}
