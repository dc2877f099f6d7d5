"""The CA bundle setting: a broker whose certificate is signed by a CA outside the system store
(like the Russian Trusted Root CA of invest-public-api.tbank.ru) is trusted only with it."""

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.broker.client import TInvestClient
from bot.broker.errors import BrokerConnectionError
from tests.bot.broker.fakes import config

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return crt, key


@pytest.fixture
async def https_url(cert: tuple[Path, Path]) -> AsyncIterator[str]:
    async def accounts(request: web.Request) -> web.Response:
        return web.json_response({"accounts": [{"id": "tls-acc"}]})

    app = web.Application()
    app.router.add_post(
        "/rest/tinkoff.public.invest.api.contract.v1.UsersService/GetAccounts", accounts
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}/rest"
    await runner.cleanup()


async def test_trusted_with_the_ca_bundle(https_url: str, cert: tuple[Path, Path]) -> None:
    async with TInvestClient(config(rest_url=https_url, ca_bundle=str(cert[0]))) as client:
        (acc,) = await client.get_accounts()
    assert acc.id == "tls-acc"


async def test_refused_without_it(https_url: str) -> None:
    async with TInvestClient(config(rest_url=https_url)) as client:
        with pytest.raises(BrokerConnectionError) as err:
            await client.get_accounts()
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) or "certificate" in str(err.value)


def test_a_missing_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot load the CA bundle"):
        TInvestClient(config(ca_bundle=str(tmp_path / "missing.pem")))
