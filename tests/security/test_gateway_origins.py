"""Which hosts a server can make assetgen fetch from (SPEC section 10).

Gateway results come only from the gateway's own origin unless
`routes.gateway.result_hosts` allows more; link-local and metadata addresses never,
whatever the manifest says; every check happens before a request is sent; a foreign
host's error body is never quoted; API calls never follow redirects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assetgen.commands import build as build_command
from assetgen.core.hosts import forbidden_host, host_entry_problem
from assetgen.errors import PermanentError
from assetgen.routes.gateway_poll import Poller, Task
from assetgen.routes.url_policy import HostPolicy
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes, run_cli, write_site

GW_KEY = "gw-origins-key-0123456789"
GATEWAY = "https://gw.test/v1"
METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one number
    "http://0xa9fea9fe/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://metadata.google.internal./computeMetadata/v1/",
    "http://169.254.10.20:8080/x.png",  # any link-local address
    "http://[fe80::1]/x.png",
]
SITE = """\
version: 1
output_dir: public
defaults:
  route: gateway
  model: gpt-image-2
  quality: low
routes:
  gateway:
    base_url: {base}
    api_key_env: GATEWAY_API_KEY
    provider: example
    poll_intervals_s: [0.02, 0.05]
    timeout_s: 10
{extra}assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket on a launch pad"
    size: 1024x1024
"""


@pytest.fixture
def gw(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator.gateway_key = GW_KEY
    emulator.gateway_task_s = 0.05
    monkeypatch.setenv("GATEWAY_API_KEY", GW_KEY)
    return emulator


@pytest.fixture
def foreign() -> Iterator[Emulator]:
    """Another server on another port: it must never be asked anything."""
    with Emulator(api_key=TEST_KEY) as other:
        yield other


def site_for(tmp_path: Path, base: str, extra: str = "") -> Path:
    return write_site(tmp_path, SITE.format(base=base, extra=extra))


def build(site: Path) -> tuple[int, dict]:
    result = run_cli("-C", site, "build", "--json")
    return result.code, json.loads(result.out) if result.out.strip() else {"err": result.err}


def hero(document: dict) -> dict:
    return next(a for a in document["assets"] if a["asset_id"] == "hero")


# --------------------------------------------------------------------------- the real CLI


def test_a_result_url_on_another_port_is_refused_before_any_request(
        tmp_path: Path, gw: Emulator, foreign: Emulator) -> None:
    gw.gateway_file_origin = foreign.origin
    code, document = build(site_for(tmp_path, gw.gateway_url))
    assert code == 1
    error = hero(document)["error"]
    port = foreign.origin.rsplit(":", 1)[1]
    assert f"127.0.0.1:{port}" in error and "not on the gateway's own origin" in error
    assert f"add `127.0.0.1:{port}` to routes.gateway.result_hosts" in error
    assert foreign.requests == []  # never contacted: no key, no error body to quote
    assert not (tmp_path / "site" / "public" / "img" / "hero.png").exists()


def test_result_hosts_allows_another_host_which_never_gets_the_key(
        tmp_path: Path, gw: Emulator) -> None:
    port = gw.origin.rsplit(":", 1)[1]
    gw.gateway_file_origin = f"http://localhost:{port}"  # same server, another origin
    site = site_for(tmp_path, gw.gateway_url,
                    f"    result_hosts: [cdn.example.com, 'localhost:{port}']\n")
    code, document = build(site)
    assert code == 0, document
    assert hero(document)["action"] == "generated"
    files = [r for r in gw.requests if r.path.startswith("/gateway/files/")]
    assert len(files) == 1 and "authorization" not in files[0].headers


def test_the_own_origin_gets_the_key_for_its_results(tmp_path: Path, gw: Emulator) -> None:
    code, _ = build(site_for(tmp_path, gw.gateway_url))
    assert code == 0
    files = [r for r in gw.requests if r.path.startswith("/gateway/files/")]
    assert files and files[0].headers.get("authorization") == f"Bearer {GW_KEY}"


@pytest.mark.parametrize("entry", ["169.254.169.254", "metadata.google.internal",
                                   "[fe80::1]:80", "https://cdn.example.com", "cdn/x", "a:99999"])
def test_result_hosts_refuses_metadata_link_local_and_urls(tmp_path: Path, gw: Emulator,
                                                           entry: str) -> None:
    site = site_for(tmp_path, gw.gateway_url, f"    result_hosts: ['{entry}']\n")
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "assetgen.yaml:" in result.err and "result_hosts" in result.err
    assert gw.requests == []


@pytest.mark.parametrize("base", ["http://169.254.169.254/v1", "http://[fe80::1]:8080/v1"])
def test_a_gateway_base_url_on_a_metadata_address_is_refused(tmp_path: Path, base: str,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("GATEWAY_API_KEY", GW_KEY)
    seen: list[httpx.Request] = []
    site = site_for(tmp_path, base)
    with pytest.raises(Exception) as caught:
        build_command.run(None, site, [], transport=httpx.MockTransport(_recorder(seen, _never)))
    assert "never sends requests there" in str(caught.value)
    assert getattr(caught.value, "exit_code", None) == 2
    assert seen == []


# --------------------------------------------------------------------------- polls and results


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.url}")


def _recorder(seen: list[httpx.Request],
              answer: Callable[[httpx.Request], httpx.Response]) -> Callable[..., httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)
    return handler


def _poller(client: httpx.AsyncClient, hosts: list[str] | None = None) -> Poller:
    return Poller(client, GATEWAY, {"Authorization": f"Bearer {GW_KEY}"}, 5.0, (0.01,),
                  1_000_000, HostPolicy.for_origin(GATEWAY, hosts or []))


def _fetch(url: str, answer: Callable[[httpx.Request], httpx.Response],
           hosts: list[str] | None = None) -> tuple[bytes | PermanentError, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    async def run() -> bytes:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_recorder(seen, answer)),
                                     follow_redirects=False) as client:
            task = Task("t1", "completed", "completed", images=[("url", url)])
            return await _poller(client, hosts).fetch(task)

    try:
        return asyncio.run(run()), seen
    except PermanentError as exc:
        return exc, seen


@pytest.mark.parametrize("url", METADATA_URLS)
def test_a_result_on_a_metadata_or_link_local_address_is_never_requested(url: str) -> None:
    host = httpx.URL(url).host
    outcome, seen = _fetch(url, _never, hosts=[host, "169.254.169.254"])  # allowing is ignored
    assert isinstance(outcome, PermanentError) and outcome.code == "host_forbidden"
    assert "never fetches from link-local or metadata addresses" in outcome.message
    assert seen == []


def test_a_redirect_of_a_result_to_a_foreign_host_is_refused_before_following() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/"})

    outcome, seen = _fetch(f"{GATEWAY}/files/t1.png", answer)
    assert isinstance(outcome, PermanentError) and outcome.code == "host_forbidden"
    assert [r.url.host for r in seen] == ["gw.test"]

    def to_cdn(request: httpx.Request) -> httpx.Response:
        if request.url.host == "gw.test":
            return httpx.Response(302, headers={"location": "https://cdn.test/t1.png"})
        return httpx.Response(200, content=png_bytes(8, 8), headers={"content-type": "image/png"})

    outcome, seen = _fetch(f"{GATEWAY}/files/t1.png", to_cdn)
    assert isinstance(outcome, PermanentError) and outcome.code == "host_refused"
    assert "cdn.test" in outcome.message and [r.url.host for r in seen] == ["gw.test"]
    data, seen = _fetch(f"{GATEWAY}/files/t1.png", to_cdn, hosts=["cdn.test"])
    assert data == png_bytes(8, 8)
    assert [r.url.host for r in seen] == ["gw.test", "cdn.test"]
    assert "authorization" not in seen[1].headers  # the key stays with the gateway


def test_a_redirect_loop_of_a_result_is_a_clear_failure() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": str(request.url)})

    outcome, seen = _fetch(f"{GATEWAY}/files/t1.png", loop)
    assert isinstance(outcome, PermanentError) and outcome.code == "redirect_loop"
    assert len(seen) == 6


def test_the_error_body_of_a_foreign_host_is_never_quoted() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<Message>INTERNAL-ONLY: db=10.0.0.5</Message>")

    outcome, seen = _fetch("https://cdn.test/t1.png?sig=SIGNED", answer, hosts=["cdn.test"])
    assert isinstance(outcome, PermanentError)
    assert "HTTP 403" in outcome.message and "INTERNAL-ONLY" not in outcome.describe()
    assert "SIGNED" not in outcome.describe() and len(seen) == 1


def test_a_poll_redirected_to_the_metadata_address_is_not_followed() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": METADATA_URLS[0]})

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_recorder(seen, answer)),
                                     follow_redirects=True) as client:  # even so
            await _poller(client).wait(Task("t1", "queued", "queued"))

    with pytest.raises(PermanentError, match="redirect") as caught:
        asyncio.run(run())
    assert "169.254.169.254" in caught.value.message  # named, not followed
    assert [r.url.host for r in seen] == ["gw.test"]


# --------------------------------------------------------------------------- API calls


@pytest.mark.parametrize("location", ["https://elsewhere.test/v1/images/generations",
                                      "/v1/images/generations"])
def test_api_calls_never_follow_redirects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          location: str) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.test/v1")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    site = write_site(tmp_path, "version: 1\noutput_dir: public\nassets:\n"
                      "  - id: hero\n    path: img/hero.png\n    prompt: a rocket\n")
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(_recorder(
        seen, lambda r: httpx.Response(307, headers={"location": location})))
    result = build_command.run(None, site, [], transport=transport)
    assert result.exit_code == 1 and result.outcomes is not None
    assert "does not follow redirects" in (result.outcomes[0].error or "")
    assert len(seen) == 1 and seen[0].url.host == "api.test"


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize("host", ["169.254.169.254", "169.254.1.1", "fe80::1", "FE80::abcd",
                                  "fd00:ec2::254", "metadata.google.internal",
                                  "Metadata.Google.Internal.", "2852039166", "0xa9fea9fe",
                                  "169.254.43518", "::ffff:169.254.169.254", "[fe80::1]"])
def test_forbidden_hosts(host: str) -> None:
    assert forbidden_host(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "gw.test", "10.0.0.1", "::1", "cdn.example.com",
                                  "1.2.3.4"])
def test_ordinary_hosts_are_not_forbidden(host: str) -> None:
    assert forbidden_host(host) is None


@pytest.mark.parametrize(("entry", "ok"), [
    ("cdn.example.com", True), ("cdn.example.com:8443", True), ("127.0.0.1:9000", True),
    ("[::1]:8080", True), ("https://cdn.example.com", False), ("cdn.example.com/x", False),
    ("cdn.example.com:0", False), ("", False), ("bad host", False),
    ("169.254.169.254", False),
])
def test_result_host_entries(entry: str, ok: bool) -> None:
    assert (host_entry_problem(entry) is None) is ok
