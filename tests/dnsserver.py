"""A DNS server on loopback UDP that answers A queries from a script, and a resolver that asks it.

    with DnsServer({"rebind.vaultkit-test.net": ["93.184.216.34", "127.0.0.1"]}) as dns:
        resolve = dns.resolver()       # (host, port) -> [address], for HttpClient(resolver=...)
        dns.asked                      # the names asked, in order

Each name's answers are given in turn, one per query, the last one repeated (TTL 0, as a rebinding
server answers). Unknown names get NXDOMAIN. Wire format per RFC 1035 §4: only what these tests need.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Callable


def _name(labels: str) -> bytes:
    return b"".join(bytes([len(part)]) + part.encode("ascii") for part in labels.rstrip(".").split(".")) + b"\0"


def _read_name(packet: bytes, at: int) -> tuple[str, int]:
    parts = []
    while packet[at]:
        if packet[at] & 0xC0 == 0xC0:  # a compression pointer ends the name
            return ".".join(parts), at + 2
        size = packet[at]
        parts.append(packet[at + 1:at + 1 + size].decode("ascii"))
        at += 1 + size
    return ".".join(parts), at + 1


class DnsServer:
    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = {k.lower().rstrip("."): list(v) for k, v in script.items()}
        self.asked: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                packet, peer = self._sock.recvfrom(512)
            except (socket.timeout, OSError):
                continue
            ident = packet[:2]
            name, end = _read_name(packet, 12)
            question = packet[12:end + 4]
            name = name.lower()
            self.asked.append(name)
            answers = self.script.get(name)
            if not answers:
                self._sock.sendto(ident + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + question, peer)  # NXDOMAIN
                continue
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(address)
            self._sock.sendto(ident + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + record, peer)

    def resolver(self) -> Callable[[str, int], list[str]]:
        """What HttpClient(resolver=...) takes: ask this server, never the system's resolver."""

        def resolve(host: str, port: int) -> list[str]:
            query = b"\x12\x34" + struct.pack(">HHHHH", 0x0100, 1, 0, 0, 0) + _name(host) + struct.pack(">HH", 1, 1)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.sendto(query, ("127.0.0.1", self.port))
                reply, _ = s.recvfrom(512)
            if reply[3] & 0x0F:
                raise socket.gaierror(socket.EAI_NONAME, f"{host}: no such name")
            count = struct.unpack(">H", reply[6:8])[0]
            _, at = _read_name(reply, 12)
            at += 4
            out = []
            for _ in range(count):
                _, at = _read_name(reply, at)
                kind, _, _, size = struct.unpack(">HHIH", reply[at:at + 10])
                at += 10
                if kind == 1 and size == 4:
                    out.append(socket.inet_ntoa(reply[at:at + 4]))
                at += size
            return out

        return resolve
