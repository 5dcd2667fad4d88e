"""The HTTP client's TLS context, made apart from httpx so that it can be made early.

httpx, left at ``verify=True`` and trusting the environment, makes its context with
`httpx.create_ssl_context`: the certificates of SSL_CERT_FILE, else of the folder
SSL_CERT_DIR, else certifi's bundle. `tls_context` makes the same choice (a test holds it
to httpx's, case by case) without importing httpx, so that `RouteSet.start_tls` can run
it in a worker thread while the main thread is still importing httpx and preparing the
build: OpenSSL loads a bundle (~30 ms) without holding the GIL.
"""

from __future__ import annotations

import os
import ssl

from assetgen.errors import ConfigError


def client_verify(transport: object | None) -> ssl.SSLContext | bool:
    """A client's ``verify=``: this module's context, or httpx's default (``True``, which
    then goes unused) when an injected transport (tests' MockTransport) makes the
    connections itself."""
    return True if transport is not None else tls_context()


def tls_context() -> ssl.SSLContext:
    """httpx's default context; certificates that cannot be loaded are a ConfigError
    naming where they were looked for, not a bare "No such file or directory"."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    try:
        if cafile:
            return ssl.create_default_context(cafile=cafile)
        if capath:
            return ssl.create_default_context(capath=capath)
        import certifi  # httpx's own dependency: its bundle is httpx's default

        return ssl.create_default_context(cafile=certifi.where())
    except OSError as exc:  # ssl.SSLError too: a file that holds no PEM certificate
        where = f"SSL_CERT_FILE={cafile}" if cafile else \
            f"SSL_CERT_DIR={capath}" if capath else "certifi's bundle"
        raise ConfigError(f"cannot load the TLS certificates of {where}: "
                          f"{exc.strerror or exc}",
                          hint="point it at a readable PEM bundle (SSL_CERT_FILE) or folder "
                               "(SSL_CERT_DIR), or unset it to use certifi's") from exc
