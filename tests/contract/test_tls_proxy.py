"""TLS and proxies as users have them: ``--ca-bundle``, ``--client-cert`` (mTLS), ``--no-tls-verify``
(reported loudly), and ``HTTP_PROXY`` / ``NO_PROXY`` honoured by every request (probe and suite).

The certificates come from a throwaway CA (``trustme``); the servers are the faithful reference server
on uvicorn in this process, over TLS; the proxy is a small forward proxy that counts what it relays.
"""

from __future__ import annotations

import http.client
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from tests.contract.conftest import Faulty, gate

pytestmark = pytest.mark.slow
SCOPE = ("--api", "navigable", "--max-examples", "2", "--seed", "1", "--include-name", "GET /api/v1/chat")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA (ca.pem), the server's key and chain (server.pem), a client's (client.pem)."""
    root = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
        str(root / "server.pem")
    )
    ca.issue_cert("chatgate-client@example.org").private_key_and_cert_chain_pem.write_to_path(
        str(root / "client.pem")
    )
    return {name: root / f"{name}.pem" for name in ("ca", "server", "client")}


def _tls(pki: dict[str, Path], mutual: bool) -> dict[str, object]:
    options: dict[str, object] = {"ssl_certfile": str(pki["server"])}
    if mutual:
        options |= {"ssl_ca_certs": str(pki["ca"]), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return options


def test_mutual_tls_with_a_private_ca(pki: dict[str, Path], faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none", tls=_tls(pki, mutual=True))
    assert server.base_url.startswith("https://")
    ok = gate("--base-url", server.base_url, *SCOPE, "--ca-bundle", str(pki["ca"]), "--client-cert",
              str(pki["client"]), report_dir=tmp_path / "ok")  # fmt: skip
    assert ok.exit_code == 0, ok.output[-2000:]
    assert ok.summary["settings"]["tls"] == {
        "verify": True,
        "ca_bundle": str(pki["ca"]),
        "client_cert": str(pki["client"]),
    }
    no_cert = gate(
        "--base-url", server.base_url, *SCOPE, "--ca-bundle", str(pki["ca"]), report_dir=tmp_path / "b"
    )
    assert no_cert.exit_code == 3 and "chatgate: error:" in no_cert.output
    unknown_ca = gate("--base-url", server.base_url, *SCOPE, "--client-cert", str(pki["client"]),
                      report_dir=tmp_path / "c")  # fmt: skip
    assert unknown_ca.exit_code == 3 and "TLS failure" in unknown_ca.output


def test_no_tls_verify_is_reported_loudly(pki: dict[str, Path], faulty: Faulty, tmp_path: Path) -> None:
    server = faulty("none", tls=_tls(pki, mutual=False))
    run = gate("--base-url", server.base_url, *SCOPE, "--no-tls-verify", report_dir=tmp_path)
    assert run.exit_code == 0, run.output[-2000:]
    assert "WARNING: --no-tls-verify" in run.output and run.summary["settings"]["tls"]["verify"] is False
    assert "not verified" in (tmp_path / "summary.md").read_text()
    missing = gate(
        "--base-url", server.base_url, *SCOPE, "--ca-bundle", str(tmp_path / "nope.pem"), report_dir=tmp_path
    )
    assert missing.exit_code == 2 and "--ca-bundle" in missing.output


class _ForwardProxy(http.server.ThreadingHTTPServer):
    """An HTTP forward proxy (absolute-form requests, no CONNECT) that counts what it relays."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.relayed = 0
        self.lock = threading.Lock()


class _Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ForwardProxy

    def log_message(self, *args: object) -> None:
        pass

    def _relay(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")
        }
        upstream = http.client.HTTPConnection(str(target.hostname), target.port or 80, timeout=60)
        upstream.request(
            self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers
        )
        answer = upstream.getresponse()
        data = answer.read()
        with self.server.lock:
            self.server.relayed += 1
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()


for _method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY", "HEAD"):
    setattr(_Relay, f"do_{_method}", _Relay._relay)


@pytest.fixture
def forward_proxy() -> Iterator[_ForwardProxy]:
    proxy = _ForwardProxy()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def test_proxies_from_the_environment(faulty: Faulty, forward_proxy: _ForwardProxy, tmp_path: Path) -> None:
    server = faulty("none")
    proxy_url = f"http://127.0.0.1:{forward_proxy.server_address[1]}"
    env = {"HTTP_PROXY": proxy_url, "http_proxy": proxy_url, "NO_PROXY": "", "no_proxy": ""}
    run = gate("--base-url", server.base_url, *SCOPE, report_dir=tmp_path / "a", env=env)
    assert run.exit_code == 0, run.output[-2000:]
    # every request went through the proxy: the probe (httpx) and the suite (requests)
    assert forward_proxy.relayed == run.summary["totals"]["requests"] > 20
    before = forward_proxy.relayed
    bypass = gate("--base-url", server.base_url, *SCOPE, report_dir=tmp_path / "b",
                  env={**env, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})  # fmt: skip
    assert bypass.exit_code == 0 and forward_proxy.relayed == before
