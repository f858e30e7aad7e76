"""The rules a new password must meet: each refusal by its message key, in both
languages."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.services import passwords


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("password123", "err_password_common"),
        ("qwertyuiop", "err_password_common"),
        ("Liverpool1", "err_password_common"),
        ("lars.lund2026", "err_password_own_name"),
        ("LundLund2026", "err_password_own_name"),
        ("abcdefghij", "err_password_guessable"),
        ("aaaaaaaaaaaa", "err_password_guessable"),
        ("short", "err_password_short"),
    ],
)
def test_a_common_or_own_name_password_is_refused_saying_why(password: str, key: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check_new_password(
            password, username="lars.lund", display_name="Lars Lund (teamleder, Aarhus)"
        )
    assert refused.value.key == key
    assert refused.value.message("da") and refused.value.message("en")


@pytest.mark.parametrize(
    "password", ["tulip lantern 47 river", "ips-demo-2026", "Hestestald-9-blomst", "x7$Qp!2vLm#9"]
)
def test_a_strong_password_is_taken(password: str) -> None:
    passwords.check_new_password(password, username="lars.lund", display_name="Lars Lund")
