"""Self-signed TLS certificates, so a local Vocalis can serve https:// and wss://.

The ElevenLabs SDK's realtime text to speech always dials wss://, so even a loopback server needs TLS that
clients trust. One self-signed certificate, handed to clients as their CA file (`SSL_CERT_FILE`), is the
smallest setup that works without a certificate authority.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertificateFiles:
    certfile: Path
    keyfile: Path
    hosts: tuple[str, ...]
    not_valid_after: datetime.datetime


def _subject_alternative_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def self_signed_certificate(
    hosts: Sequence[str], days: int
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for `hosts` (DNS names or IP addresses) that signs itself, valid for `days` days.

    It is an end-entity certificate (not a CA): a client that trusts it trusts exactly this server and cannot
    be tricked into accepting other certificates signed by its key.
    """
    if not hosts:
        raise ValueError("a certificate needs at least one host name or IP address")
    if days < 1:
        raise ValueError("days must be at least 1")
    key = ec.generate_private_key(ec.SECP256R1())
    names = [_subject_alternative_name(host) for host in dict.fromkeys(hosts)]
    dns_names = [name.value for name in names if isinstance(name, x509.DNSName)]
    common_name = dns_names[0] if dns_names else hosts[0]
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vocalis self-signed"),
        ]
    )
    # A minute in the past absorbs small clock differences between the machine that makes it and a client.
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Both key identifiers: Python 3.13's default strict verification rejects certificates without them.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def write_self_signed(directory: Path, hosts: Sequence[str], days: int) -> CertificateFiles:
    """Write `cert.pem` and `key.pem` (readable by the owner only) into `directory`."""
    certificate, key = self_signed_certificate(hosts, days)
    directory.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created with mode 0600 so the key is never readable by others, even for a moment; the chmod covers a
    # key file that already existed with a wider mode (O_CREAT's mode applies only to new files).
    descriptor = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    keyfile.chmod(0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    return CertificateFiles(
        certfile=certfile,
        keyfile=keyfile,
        hosts=tuple(dict.fromkeys(hosts)),
        not_valid_after=certificate.not_valid_after_utc,
    )
