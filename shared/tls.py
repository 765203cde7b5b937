"""One TLS client context per process, for the httpx clients a process makes more than once.

httpx builds a new SSLContext for each client made without one, and loading the CA bundle into it costs ~30 ms of
CPU. Readiness polls, service starts and the tests make many clients (the test suite about 2,000: a minute of CPU);
a context is safe to share between clients, threads and event loops, so each process builds it once. A CLI that
makes one client and exits gains nothing and keeps httpx's default.
"""
from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls() -> ssl.SSLContext:
    """httpx's own default context (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR), made once: pass as `verify=`."""
    return httpx.create_ssl_context()
