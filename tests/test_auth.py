"""Named admin tokens: parsing the setting, roles, and which token a request presents."""
from __future__ import annotations

import logging

import pytest

from navplugin.auth import Admin, AdminTokens


def test_named_tokens_with_roles_and_the_single_legacy_token():
    tokens = AdminTokens.from_settings("alice:alice-secret-0000000, bob:bob-secret-00000000:read",
                                       "legacy-secret-000000")
    assert tokens.authenticate("alice-secret-0000000") == Admin("alice", "admin")
    assert tokens.authenticate("bob-secret-00000000") == Admin("bob", "read")
    assert tokens.authenticate("legacy-secret-000000") == Admin("admin", "admin")
    assert tokens.authenticate("alice-secret-000000") is None  # a prefix is not the token
    assert tokens.authenticate("") is None
    assert Admin("alice", "admin").can_write and not Admin("bob", "read").can_write


def test_no_tokens_is_falsy():
    assert not AdminTokens.from_settings(None, None)
    assert not AdminTokens.from_settings(" , ", "")


@pytest.mark.parametrize("spec, message", [
    ("alice", "expected name:token"),
    ("alice:", "expected name:token"),
    (":secret-secret-secret", "expected name:token"),
    ("alice:secret-secret-secret:owner", "role of 'alice'"),
    ("alice:secret-secret-1111,alice:secret-secret-2222", "alice repeated"),
])
def test_bad_settings_fail_at_start_without_echoing_the_secret(spec, message):
    with pytest.raises(ValueError) as error:
        AdminTokens.from_settings(spec, None)
    assert message in str(error.value)
    assert "secret-secret" not in str(error.value)


def test_short_tokens_are_logged_as_weak(caplog):
    with caplog.at_level(logging.WARNING, logger="navplugin.auth"):
        AdminTokens.from_settings("carol:short", None)
    assert "'carol' is shorter than 16" in caplog.text
    assert "short" not in caplog.text.replace("shorter", "")
