"""The practice password: a salted, slow hash (scrypt) in ``.streamlit/secrets.toml``, and a per-server backoff
that slows repeated wrong guesses.

``python -m progress.password`` asks for the password twice and prints the line to put in ``secrets.toml``::

    password_hash = "scrypt$16384$8$1$<salt, base64>$<hash, base64>"

The old ``password_sha256 = "<hex>"`` (unsalted, fast to guess) is still accepted, with a warning to upgrade.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from progress.errors import ProgressError

__all__ = [
    "SCRYPT_N",
    "Backoff",
    "PasswordFormatError",
    "hash_password",
    "is_loopback",
    "main",
    "verify_password",
]

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""scrypt's cost (about 16 MB and 50 ms a guess): slow for a guesser, unnoticeable for the practitioner."""
_SALT_BYTES = 16
_KEY_BYTES = 32
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class PasswordFormatError(ProgressError):
    """The password setting in ``secrets.toml`` is not a hash this program made."""

    code = "password_format"


def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """The line's value for ``password_hash``: ``scrypt$N$r$p$salt$hash`` (salt and hash in base64)."""
    if not password:
        raise ValueError("Expected a password, got an empty one.")
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    key = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)])


def verify_password(password: str, *, password_hash: str | None = None, legacy_sha256: str | None = None) -> bool:
    """Whether ``password`` matches the scrypt ``password_hash`` (preferred) or the old unsalted SHA-256 hex.

    Raises:
        PasswordFormatError: ``password_hash`` is set but is not a ``scrypt$...`` value of :func:`hash_password`.
    """
    if password_hash:
        parts = password_hash.strip().split("$")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise PasswordFormatError(
                "The password_hash in .streamlit/secrets.toml is not a scrypt hash: make a new "
                "one with 'python -m progress.password'."
            )
        try:
            n, r, p = (int(part) for part in parts[1:4])
            salt, expected = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
            key = _scrypt(password, salt, n, r, p, length=len(expected))
        except ValueError as error:
            raise PasswordFormatError(
                "The password_hash in .streamlit/secrets.toml is damaged: make a new one "
                "with 'python -m progress.password'."
            ) from error
        return hmac.compare_digest(key, expected)
    if legacy_sha256:
        digest = hashlib.sha256(password.encode()).hexdigest()
        return hmac.compare_digest(digest, legacy_sha256.strip().lower())
    return False


@dataclass
class Backoff:
    """Per-server slowing of wrong guesses: the first ``free`` wrong passwords in a row cost nothing (typos);
    after the k-th one beyond them no password is checked for ``base × 2^(k−1)`` seconds (at most ``ceiling``).
    A right password resets it. Thread-safe (one instance serves every browser session).
    """

    free: int = 3
    base: float = 1.0
    ceiling: float = 60.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._until = 0.0

    def wait(self) -> float:
        """Seconds before the next guess is checked (0 when one may be checked now)."""
        with self._lock:
            return max(0.0, self._until - self.clock())

    def failed(self) -> float:
        """Record a wrong guess; returns the seconds the next one must wait."""
        with self._lock:
            self._failures += 1
            beyond = self._failures - self.free
            delay = 0.0 if beyond <= 0 else min(self.ceiling, self.base * 2 ** (beyond - 1))
            self._until = self.clock() + delay
            return delay

    def succeeded(self) -> None:
        """A right password: the next wrong one starts from the base delay again."""
        with self._lock:
            self._failures, self._until = 0, 0.0


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` (Streamlit's ``server.address``) is reachable from this computer
    only. Unset or empty means every interface: not loopback."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Ask for the password twice and print the ``password_hash`` line for ``.streamlit/secrets.toml``."""
    del argv
    first = getpass.getpass("New practice password: ")
    if not first:
        print("No password given: nothing to do.", file=sys.stderr)
        return 1
    if getpass.getpass("The same password again: ") != first:
        print("The two passwords differ: nothing was made.", file=sys.stderr)
        return 1
    print("# Put this line in .streamlit/secrets.toml (and remove any password_sha256 line):")
    print(f'password_hash = "{hash_password(first)}"')
    return 0


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, *, length: int = _KEY_BYTES) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * 2**20)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


if __name__ == "__main__":
    sys.exit(main())
