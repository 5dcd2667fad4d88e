"""Which URLs a server's answer may make assetgen fetch (SPEC section 10).

A gateway's answers name URLs (result images, redirects). They are fetched only
on the gateway's own origin (scheme, host and port of `base_url`) or on a host
the manifest lists in `routes.gateway.result_hosts`, and never on a link-local
or cloud-metadata address, whatever the manifest says. Every check happens
before a request is sent. API calls never follow redirects at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import httpx

from assetgen.core.hosts import (
    HOST_ENTRY,
    forbidden_host,
    host_entry_problem,
    normal_host,
    plain_host,
    shown_host,
)
from assetgen.errors import PermanentError

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host, port


def origin_of(url: str | httpx.URL) -> Origin:
    parsed = httpx.URL(url) if isinstance(url, str) else url
    scheme = parsed.scheme.lower()
    return scheme, normal_host(parsed.host), parsed.port or DEFAULT_PORTS.get(scheme, 0)


class HostPolicy(NamedTuple):
    """The origins and extra hosts a server-provided URL may point to."""

    origins: frozenset[Origin]
    hosts: frozenset[tuple[str, int | None]]  # (host, port); None = the scheme's default
    setting: str = "routes.gateway.result_hosts"

    @classmethod
    def for_origin(cls, base_url: str, extra_hosts: Iterable[object] = (),
                   setting: str = "routes.gateway.result_hosts") -> HostPolicy:
        hosts: set[tuple[str, int | None]] = set()
        for entry in extra_hosts:
            if host_entry_problem(entry) is not None:
                continue  # the manifest loader reports it; never widen the policy with it
            match = HOST_ENTRY.match(str(entry).strip().lower())
            assert match is not None
            port = match.group("port")
            hosts.add((normal_host(match.group("host")), int(port) if port else None))
        return cls(frozenset({origin_of(base_url)}), frozenset(hosts), setting)

    def allows_origin(self, url: str | httpx.URL) -> bool:
        return origin_of(url) in self.origins

    def refusal(self, url: str | httpx.URL, what: str) -> PermanentError | None:
        """A clear error when ``url`` may not be fetched, None when it may."""
        try:
            scheme, host, port = origin_of(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return _refused(f"{what} is not a valid URL", "no_url")
        if not host or not plain_host(host):
            return _refused(f"{what} has no usable host name", "no_url")
        shown = shown_host(host, port)
        reason = forbidden_host(host)
        if reason:
            return _refused(f"{what} points to {shown}, {reason}; assetgen never fetches "
                            "from link-local or metadata addresses", "host_forbidden")
        if scheme not in DEFAULT_PORTS:
            return _refused(f"{what} uses the scheme `{scheme}`; only http and https are "
                            "fetched", "host_refused")
        if (scheme, host, port) in self.origins:
            return None
        default = port == DEFAULT_PORTS[scheme]
        if (host, port) in self.hosts or (default and (host, None) in self.hosts):
            return None
        entry = (f"[{host}]" if ":" in host else host) if default else shown
        return _refused(f"{what} is on {shown}, not on the gateway's own origin, so it was "
                        "not fetched", "host_refused",
                        hint=f"if you trust that host, add `{entry}` to {self.setting} in "
                             "assetgen.yaml")


def _refused(message: str, code: str, hint: str | None = None) -> PermanentError:
    return PermanentError(message, route="gateway", code=code, hint=hint)


def redirect_refusal(response: httpx.Response, route: str) -> PermanentError | None:
    """API calls never follow redirects: a 3xx with a Location is a clear failure."""
    if not response.is_redirect:
        return None
    location = response.headers.get("location", "")
    try:
        target = response.url.join(location)
        shown = f"{target.scheme}://{target.host}" + (f":{target.port}" if target.port else "")
    except (httpx.InvalidURL, TypeError, ValueError):
        shown = "an invalid URL"
    return PermanentError(f"the server answered with a redirect to {shown}; assetgen does "
                          "not follow redirects of API calls", route=route,
                          status=response.status_code, code="redirect",
                          hint="set the base URL to the address the API really answers on")
