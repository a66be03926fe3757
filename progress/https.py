"""A local self-signed certificate, so a tablet or phone on the practice network can use its camera in the app.

Browsers give a page the camera only in a secure context: ``localhost``, or HTTPS. The practice's computer serves
the app to the tablet over HTTPS with a certificate made here, once::

    python -m progress.https            # writes cert.pem and key.pem, prints the command that serves the app

The certificate names this computer (``localhost``, ``127.0.0.1``, its host name and its address on the local
network) and is valid for 825 days (the longest iOS and macOS accept). It is made by the ``openssl`` command
(Debian/Ubuntu: ``apt-get install openssl``; macOS has it), so no Python package is added. docs/capture.md says
how to make the tablet trust it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from progress.errors import ProgressError

__all__ = [
    "Certificate",
    "CertificateError",
    "default_folder",
    "local_names",
    "main",
    "make_certificate",
    "serve_command",
]

VALID_DAYS = 825
"""Apple platforms refuse TLS server certificates valid for longer."""


class CertificateError(ProgressError):
    """The certificate could not be made (no ``openssl`` command, or it failed)."""

    code = "certificate"


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate and its private key on disk.

    Attributes:
        certificate: PEM certificate (give it to the tablet to trust).
        key: PEM private key (stays on this computer; readable by its owner only).
        names: The host names and addresses it is valid for.
    """

    certificate: Path
    key: Path
    names: tuple[str, ...]


def default_folder() -> Path:
    """``<data folder>/tls``, beside the practice records (``PROGRESS_DATA_FOLDER``, else
    ``~/.local/share/progress``)."""
    base = os.environ.get("PROGRESS_DATA_FOLDER") or str(Path.home() / ".local" / "share" / "progress")
    return Path(base) / "tls"


def local_names() -> tuple[str, ...]:
    """This computer's names: localhost, 127.0.0.1, its host name (and ``<name>.local``) and its LAN address.

    The LAN address is the one the system would route from; finding it sends nothing (a UDP socket is only
    connected, never written to).
    """
    names = ["localhost", "127.0.0.1"]
    host = socket.gethostname()
    if host and host != "localhost":
        names += [host, host if host.endswith(".local") else f"{host}.local"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if address and not address.startswith("127."):
        names.append(address)
    return tuple(dict.fromkeys(names))


def _subject_alt_names(names: Sequence[str]) -> str:
    entries = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            entries.append(f"IP:{name}")
        except ValueError:
            entries.append(f"DNS:{name}")
    return ",".join(entries)


def make_certificate(folder: Path, names: Sequence[str], *, days: int = VALID_DAYS) -> Certificate:
    """Write a self-signed certificate for ``names`` and its key into ``folder`` (replacing older ones).

    Raises:
        CertificateError: No ``openssl`` command, or it failed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError(
            "The openssl command is needed to make the certificate: install it "
            "(apt-get install openssl) and run this again."
        )
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = folder / "cert.pem", folder / "key.pem"
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-sha256",
        "-days",
        str(days),
        "-subj",
        "/CN=progress practice computer",
        "-keyout",
        str(key),
        "-out",
        str(certificate),
        "-addext",
        f"subjectAltName={_subject_alt_names(names)}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
        "-addext",
        "extendedKeyUsage=serverAuth",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CertificateError(f"openssl could not make the certificate: {result.stderr.strip()[-400:]}")
    key.chmod(0o600)
    return Certificate(certificate, key, tuple(names))


def serve_command(certificate: Certificate, *, port: int = 8501) -> str:
    """The command that serves the app to the practice network over HTTPS with ``certificate``."""
    return (
        f"streamlit run app.py --server.address 0.0.0.0 --server.port {port} "
        f"--server.sslCertFile {certificate.certificate} --server.sslKeyFile {certificate.key}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m progress.https [--folder DIR] [--name HOST_OR_IP]...``: make the certificate, print how to serve."""
    parser = argparse.ArgumentParser(prog="python -m progress.https", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None, help="where to write cert.pem and key.pem")
    parser.add_argument("--name", action="append", default=[], help="another host name or address to cover")
    arguments = parser.parse_args(argv)
    folder = arguments.folder or default_folder()
    try:
        made = make_certificate(folder, (*local_names(), *arguments.name))
    except CertificateError as error:
        print(error)
        return 1
    print(f"Certificate: {made.certificate}\nKey:         {made.key}\nValid for:   {', '.join(made.names)}")
    print(f"\nServe the app to the practice network:\n  {serve_command(made)}")
    addresses = [name for name in made.names if name[0].isdigit() and not name.startswith("127.")]
    if addresses:
        print(f"\nOn the tablet, open https://{addresses[0]}:8501 (trust the certificate first: docs/capture.md).")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
