"""Host names and addresses assetgen never sends a request to, and `result_hosts` entries.

Kept free of httpx so that loading a manifest (which checks `result_hosts`) stays
as quick as `verify` needs.
"""

from __future__ import annotations

import ipaddress
import re

# Cloud instance-metadata endpoints: AWS/GCP/Azure/OpenStack (IPv4 and AWS's IPv6),
# GCP's name, Alibaba's address. Their answers can hold credentials.
METADATA_HOSTS = frozenset({
    "169.254.169.254", "fd00:ec2::254", "metadata.google.internal", "metadata.goog",
    "100.100.100.200",
})
HOST_ENTRY = re.compile(r"^(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])"
                        r"(:(?P<port>[0-9]{1,5}))?$")
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")  # 2852039166, 0xa9fea9fe, 169.254.43518


_PLAIN_HOST = re.compile(r"^[a-z0-9._:-]+$")


def normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


def plain_host(host: str) -> bool:
    """Letters, digits, dots, dashes, colons: safe to show, and what a resolver reads as-is."""
    return bool(_PLAIN_HOST.match(host))


def shown_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def forbidden_host(host: str) -> str | None:
    """Why ``host`` is never fetched (a link-local or metadata address), or None."""
    name = normal_host(host)
    if name in METADATA_HOSTS:
        return "a cloud metadata address"
    address = _as_ip(name)
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if str(address) in METADATA_HOSTS:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    return None


def _as_ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(name) and any(c.isdigit() for c in name):
        # The system resolver reads these legacy spellings as IPv4 addresses too.
        import socket  # only for these spellings: socket costs ~2 ms to import

        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def host_entry_problem(entry: object) -> str | None:
    """What is wrong with one `result_hosts` entry (a host name or host:port), or None."""
    if not isinstance(entry, str) or not entry.strip():
        return "must be a host name or host:port, e.g. cdn.example.com"
    text = entry.strip().lower()
    if "://" in text or "/" in text:
        return f"`{entry}` must be a host name or host:port, not a URL (e.g. cdn.example.com)"
    match = HOST_ENTRY.match(text)
    if match is None:
        return f"`{entry}` is not a host name or host:port (e.g. cdn.example.com:8443)"
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return f"`{entry}`: the port must be between 1 and 65535"
    reason = forbidden_host(match.group("host"))
    if reason:
        return f"`{entry}` is {reason}: assetgen never fetches from it"
    return None


def result_host_problems(entries: object) -> list[tuple[int, str]]:
    """(index, problem) of each bad string in a `result_hosts` list (types are checked
    by the manifest's key table)."""
    if not isinstance(entries, list):
        return []
    return [(index, problem) for index, entry in enumerate(entries)
            if isinstance(entry, str) and (problem := host_entry_problem(entry))]
