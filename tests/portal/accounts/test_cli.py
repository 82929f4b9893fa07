from __future__ import annotations

import pytest
from sqlalchemy import select

from panda_portal.accounts.models import WebSession
from panda_portal.accounts.services.lookup import find_account
from tests.portal.factories import PASSWORD


@pytest.fixture()
def panda_cli(panda):
    runner = panda.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return run


def test_users_add_creates_a_confirmed_support_agent_with_a_password_from_stdin(panda_cli, sign_in, panda_client):
    result = panda_cli(
        "users",
        "add",
        "Agent@Example.org",
        "--name",
        "Agent Smith",
        "--password-stdin",
        "--verified",
        "--support-agent",
        "--language",
        "nl",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "agent@example.org created" in result.output
    account = find_account("agent@example.org")
    assert (account.name, account.language, account.is_support_agent, account.is_verified) == (
        "Agent Smith",
        "nl",
        True,
        True,
    )
    assert sign_in(panda_client, "agent@example.org").status_code == 302


def test_users_add_without_verified_leaves_the_address_unconfirmed(panda_cli):
    result = panda_cli("users", "add", "ann@example.org", "--name", "Ann", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 0, result.output
    account = find_account("ann@example.org")
    assert not account.is_verified and not account.is_support_agent and account.language == "en"


def test_users_add_refuses_a_duplicate_address_in_any_case(panda_cli, make_account):
    make_account(email="ann@example.org")
    result = panda_cli("users", "add", "ANN@example.org", "--name", "Ann", "--password-stdin", input=PASSWORD)
    assert result.exit_code != 0
    assert "already exists" in result.output


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "at least 15 characters"),
        ("ann@example.org", "e-mail address or your name"),
        ("", "at least 15 characters"),
    ],
)
def test_users_add_refuses_a_weak_password(panda_cli, password, message):
    result = panda_cli("users", "add", "ann@example.org", "--name", "Ann", "--password-stdin", input=password)
    assert result.exit_code != 0
    assert message in result.output
    assert find_account("ann@example.org") is None


def test_users_add_needs_the_password_on_stdin(panda_cli):
    result = panda_cli("users", "add", "ann@example.org", "--name", "Ann")
    assert result.exit_code != 0
    assert "--password-stdin" in result.output


def test_users_add_refuses_a_malformed_address(panda_cli):
    result = panda_cli("users", "add", "not-an-address", "--name", "Ann", "--password-stdin", input=PASSWORD)
    assert result.exit_code != 0
    assert "not a valid e-mail address" in result.output


def test_users_disable_ends_the_sessions_and_enable_lets_the_person_back(
    panda_cli, panda_client, make_account, sign_in, panda_db
):
    make_account(email="ann@example.org")
    sign_in(panda_client, "ann@example.org")
    assert panda_client.get("/").status_code == 200

    result = panda_cli("users", "disable", "ann@example.org")
    assert result.exit_code == 0, result.output
    assert panda_db.session.execute(select(WebSession).where(WebSession.subject.is_not(None))).first() is None
    assert panda_client.get("/").status_code == 302
    assert sign_in(panda_client, "ann@example.org").status_code == 403

    assert panda_cli("users", "enable", "ann@example.org").exit_code == 0
    assert sign_in(panda_client, "ann@example.org").status_code == 302


def test_users_set_support_agent_turns_the_role_on_and_off(panda_cli, make_account):
    account = make_account(email="ann@example.org")
    assert panda_cli("users", "set-support-agent", "ann@example.org", "--on").exit_code == 0
    assert account.is_support_agent
    assert panda_cli("users", "set-support-agent", "ann@example.org", "--off").exit_code == 0
    assert not account.is_support_agent
    assert panda_cli("users", "set-support-agent", "ann@example.org").exit_code != 0


@pytest.mark.parametrize("command", [["disable"], ["enable"], ["set-support-agent", "--on"]])
def test_commands_on_an_unknown_address_fail_clearly(panda_cli, command):
    result = panda_cli("users", command[0], "nobody@example.org", *command[1:])
    assert result.exit_code != 0
    assert "No account uses nobody@example.org" in result.output


def test_the_commands_commit_their_change(panda_cli, panda_db):
    panda_cli("users", "add", "ann@example.org", "--name", "Ann", "--password-stdin", input=PASSWORD)
    panda_db.session.rollback()  # would undo anything left uncommitted
    assert find_account("ann@example.org") is not None
