"""`vocalis certs` makes a self-signed certificate that TLS clients accept, and `vocalis serve` serves https://
with it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from vocalis.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, model_cache: Path) -> dict[str, str]:
    return {"VOCALIS_HOME": str(tmp_path / "home"), "VOCALIS_MODEL_CACHE": str(model_cache), "COLUMNS": "200"}


def test_certs_covers_loopback_and_extra_hosts(env: dict[str, str], tmp_path: Path):
    out_dir = tmp_path / "tls"
    result = runner.invoke(
        app,
        ["certs", "--out-dir", str(out_dir), "--host", "vocalis.lan", "--host", "10.0.0.7", "--days", "30"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    certfile, keyfile = out_dir / "cert.pem", out_dir / "key.pem"
    certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "vocalis.lan"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("10.0.0.7"),
    ]
    common_name = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert common_name == "localhost" and certificate.issuer == certificate.subject
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert abs(lifetime - datetime.timedelta(days=30)) < datetime.timedelta(minutes=5)
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # The key is the certificate's own, signs it, and is private to its owner.
    key = serialization.load_pem_private_key(keyfile.read_bytes(), password=None)
    assert key.public_key() == certificate.public_key()
    certificate.verify_directly_issued_by(certificate)
    assert keyfile.stat().st_mode & 0o777 == 0o600
    for hint in (
        f"export SSL_CERT_FILE={certfile}",
        f"export REQUESTS_CA_BUNDLE={certfile}",
        f"vocalis serve --ssl-certfile {certfile} --ssl-keyfile {keyfile}",
    ):
        assert hint in result.output


def test_certs_does_not_replace_a_certificate_without_force(env: dict[str, str], tmp_path: Path):
    out_dir = tmp_path / "tls"
    assert runner.invoke(app, ["certs", "--out-dir", str(out_dir)], env=env).exit_code == 0
    first = (out_dir / "cert.pem").read_bytes()
    refused = runner.invoke(app, ["certs", "--out-dir", str(out_dir)], env=env)
    assert refused.exit_code == 1 and "--force" in refused.output
    assert (out_dir / "cert.pem").read_bytes() == first
    assert runner.invoke(app, ["certs", "--out-dir", str(out_dir), "--force"], env=env).exit_code == 0
    assert (out_dir / "cert.pem").read_bytes() != first


def test_certs_defaults_to_the_vocalis_home(env: dict[str, str]):
    result = runner.invoke(app, ["certs"], env=env)
    assert result.exit_code == 0, result.output
    assert (Path(env["VOCALIS_HOME"]) / "tls" / "cert.pem").is_file()


def test_serve_needs_both_tls_files(env: dict[str, str], tmp_path: Path):
    assert runner.invoke(app, ["certs", "--out-dir", str(tmp_path)], env=env).exit_code == 0
    result = runner.invoke(app, ["serve", "--ssl-certfile", str(tmp_path / "cert.pem")], env=env)
    assert result.exit_code != 0
    assert "--ssl-keyfile" in result.output


def test_serve_speaks_https_with_the_certificate(env: dict[str, str], tmp_path: Path):
    assert runner.invoke(app, ["certs", "--out-dir", str(tmp_path)], env=env).exit_code == 0
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The certificate comes as an option and the key from the environment: both sources reach uvicorn.
    server = subprocess.Popen(
        [sys.executable, "-m", "vocalis", "serve", "--port", str(port), "--log-level", "warning"]
        + ["--ssl-certfile", str(certfile)],
        env={**os.environ, **env, "VOCALIS_SSL_KEYFILE": str(keyfile)},
    )
    trusted = ssl.create_default_context(cafile=certfile)
    # Python 3.13 verifies this strictly by default; the certificate must pass on older Pythons too.
    trusted.verify_flags |= ssl.VERIFY_X509_STRICT
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trusted, timeout=1)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "server did not start"
                assert server.poll() is None, "server exited"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"https://localhost:{port}/healthz", verify=trusted).status_code == 200
        # A client that was not given the certificate refuses the server, and plain HTTP is not answered.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/healthz")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.terminate()
        server.wait(timeout=10)
