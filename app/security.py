"""Password hashing with Argon2id at OWASP's recommended minimum.

m = 19 MiB, t = 2, p = 1 is OWASP's first Argon2id configuration. It costs about a tenth
of a second per sign-in on a small server and keeps the memory a burst of sign-ins needs
modest. A stored hash made with other parameters (argon2-cffi's heavier defaults, or a
future raise) is re-hashed at the user's next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
