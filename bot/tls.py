"""The TLS context the bot's HTTP clients share.

httpx builds a new context for every client, each with its own copy of the ~150 CA certificates
it trusts (about 0.7 MB of memory apiece on this machine); the bot's two clients (the broker and
the Base) now use one, built once by httpx itself, so verification is exactly httpx's default
(certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR when set). Verification is never turned off.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def default_context() -> ssl.SSLContext:
    """httpx's default verifying context, one for the whole process."""
    return httpx.create_ssl_context()
