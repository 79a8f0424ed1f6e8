"""Passwords as the portal keeps them: salted PBKDF2 hashes only, never the password."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["DEFAULT_HASH_ITERATIONS", "HARNESS_HASH_ITERATIONS", "PasswordHash"]

# The PBKDF2 cost is a deployment setting, not flow behaviour: a stand-alone portal
# uses a production-like cost; the harness (verify, features, explorer) a low one so
# thousands of logins stay fast. Either way only salted hashes are stored.
DEFAULT_HASH_ITERATIONS = 100_000
HARNESS_HASH_ITERATIONS = 1_000


@dataclass(frozen=True)
class PasswordHash:
    """A salted PBKDF2-SHA256 hash; the password itself is never kept."""

    salt: bytes
    digest: bytes
    iterations: int

    @classmethod
    def of(cls, password: str, iterations: int) -> PasswordHash:
        salt = secrets.token_bytes(16)
        return cls(salt, _pbkdf2(password, salt, iterations), iterations)

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(self.digest, _pbkdf2(password, self.salt, self.iterations))

    def __repr__(self) -> str:
        return "PasswordHash(<hidden>)"


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    # surrogatepass: any str a form can carry hashes; it just never matches.
    return hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8", "surrogatepass"), salt, iterations
    )
