"""Benchmark: link checking of N distinct URLs against a loopback server with fixed latency, then a cached re-run.

Usage: python bench/bench_links.py [--urls 1000] [--latency 0.05] [--runs 3] [--hosts 1 8] [--max-per-host N]

For each host count H, the URLs are spread round-robin over loopback addresses 127.0.0.1 ..
127.0.0.H (one server, one port), served from a process of its own so that its request handling
does not take the client's interpreter lock (in the same process it held the client to a third of
the limit). The client runs with the default `[net]` limits
(`max_per_host`, 2 unless given, and `max_total`), so the ceiling is
min(H * max_per_host, max_total) / latency URLs per second. (Issue 20's case: `--hosts 20
--max-per-host 4`.) The cached re-run reads every URL from
the foundation's SQLite cache the way the citations pass will (TTL from `cacheable()`), and
checks only what is missing or expired; the server counts the requests it gets.
Each figure is the median of `--runs` runs, each with a fresh server, client and cache.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from vaultkit.cache import Cache  # noqa: E402
from vaultkit.config import NetConfig  # noqa: E402
from vaultkit.net import HttpClient  # noqa: E402
from vaultkit_plugins.citations._links import LinkResult, cacheable, check_links  # noqa: E402


def cached_check(urls: list[str], client: HttpClient, cache: Cache, now: float) -> dict[str, LinkResult]:
    """What the pass does: cached results first, the network only for the rest, then store what may be kept."""
    results: dict[str, LinkResult] = {}
    missing = []
    for url in dict.fromkeys(urls):
        hit = cache.get_result(f"link:{url}")
        if hit is not None and hit["expires"] > now:
            results[url] = LinkResult(**hit["result"])
        else:
            missing.append(url)
    if missing:
        fresh, down = check_links(missing, client)
        results.update(fresh)
        if not down:
            keep = [(r, cacheable(r)) for r in fresh.values()]
            cache.put_results([(f"link:{r.url}", {"expires": now + ttl, "result": asdict(r)}) for r, ttl in keep if ttl])
    return results


SERVE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from linkserver import LinkServer
with LinkServer(tuple(sys.argv[2].split(",")), delay=float(sys.argv[3])) as srv:
    print(srv.port, flush=True)
    for line in sys.stdin:
        print(json.dumps({"requests": len(srv.requests), "peak": max(srv.peak.values(), default=0),
                          "peak_conn": max(srv.peak_connections.values(), default=0)}), flush=True)
"""


class ServerProcess:
    """A LinkServer in a child process: its port, and its counters on request."""

    def __init__(self, addresses: tuple[str, ...], latency: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT / "tests"), ",".join(addresses), str(latency)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def url(self, path: str, host: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def counters(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def one_run(hosts: int, n: int, latency: float, tmp: Path, per_host: int) -> dict[str, float]:
    """One cold check and one cached re-run, each against a fresh server."""
    addresses = tuple(f"127.0.0.{i}" for i in range(1, hosts + 1))
    # (loopback only: the benchmark never leaves this machine)
    config = NetConfig(allow_private=True, max_per_host=per_host)
    cache = Cache(tmp / f"cache-{hosts}-{time.monotonic_ns()}.sqlite")
    srv = ServerProcess(addresses, latency)
    try:
        with HttpClient(config) as client:
            urls = [srv.url(f"/page/{i}", host=addresses[i % hosts]) for i in range(n)]
            t0 = time.perf_counter()
            results = cached_check(urls, client, cache, time.time())
            cold = time.perf_counter() - t0
            assert all(r.status == "ok" for r in results.values()), "some links failed"
            seen = srv.counters()
            t0 = time.perf_counter()
            again = cached_check(urls, client, cache, time.time())
            warm = time.perf_counter() - t0
            assert again == results
            warm_requests = srv.counters()["requests"] - seen["requests"]
    finally:
        srv.close()
        cache.close()
    return {
        "cold": cold, "rate": n / cold, "requests": seen["requests"], "peak_host": seen["peak"],
        "peak_conn": seen["peak_conn"], "warm": warm, "warm_requests": warm_requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--max-per-host", type=int, default=NetConfig().max_per_host)
    args = parser.parse_args()
    per_host = args.max_per_host
    max_total = getattr(NetConfig(), "max_total", None) or inspect.signature(HttpClient).parameters["max_total"].default
    print(f"{args.urls} URLs, {args.latency * 1000:.0f} ms per response, max_per_host={per_host}, max_total={max_total}")
    with tempfile.TemporaryDirectory() as tmp:
        for hosts in args.hosts:
            limit = min(hosts * per_host, max_total) / args.latency
            runs = [one_run(hosts, args.urls, args.latency, Path(tmp), per_host) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            def each(key: str, fmt: str = "{:.0f}", scale: float = 1.0) -> str:
                return ", ".join(fmt.format(r[key] * scale) for r in runs)

            print(f"\n{hosts} host(s): limit {limit:.0f} URLs/s")
            print(f"  cold:   median {med['cold']:.2f} s = {med['rate']:.1f} URLs/s ({med['rate'] / limit:.2f} of the limit)")
            print(f"          per run: {each('cold', '{:.2f} s')}; requests {each('requests')}")
            print(f"  peak in flight per host: {each('peak_host')}; peak open connections per address: {each('peak_conn')}")
            print(f"  cached: median {med['warm'] * 1000:.0f} ms (per run {each('warm', '{:.0f}', 1000)} ms), requests {each('warm_requests')}")

if __name__ == "__main__":
    main()
