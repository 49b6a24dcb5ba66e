"""Configuration: console without tokens, one clear error for half-configured Slack."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_DATABASE_URL, ConfigError, Mode, Settings

BOT = "xoxb-111-222-abc"
APP = "xapp-1-A111-222-abc"
SECRET = "0123456789abcdef0123456789abcdef"


def test_no_tokens_means_console_on_default_sqlite() -> None:
    settings = Settings.from_env({})
    assert settings.mode is Mode.CONSOLE
    assert settings.database_url == DEFAULT_DATABASE_URL


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP}, Mode.SOCKET),
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET}, Mode.HTTP),
        ({"SLACK_BOT_TOKEN": " ", "SLACK_APP_TOKEN": ""}, Mode.CONSOLE),
    ],
)
def test_mode_follows_tokens(env: dict[str, str], mode: Mode) -> None:
    assert Settings.from_env(env).mode is mode


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_BOT_TOKEN": BOT}, "SLACK_APP_TOKEN"),
        ({"SLACK_APP_TOKEN": APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_APP_TOKEN": APP}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "localhost:9999"}, "SLACK_API_URL"),
        ({"ADMIN_USER_IDS": "U123, bob"}, "ADMIN_USER_IDS"),
        ({"PORT": "eighty"}, "PORT"),
    ],
)
def test_half_configured_slack_names_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert variable in str(err.value)


def test_tokens_never_appear_in_repr() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT,
            "SLACK_APP_TOKEN": APP,
            "DATABASE_URL": "postgresql+psycopg://bot:s3cret@db/lscb",
        }
    )
    shown = repr(settings)
    assert BOT not in shown and APP not in shown and "s3cret" not in shown
    assert "socket" in shown


def test_api_url_gets_trailing_slash_and_admins_parse() -> None:
    settings = Settings.from_env(
        {"SLACK_API_URL": "http://127.0.0.1:9/api", "ADMIN_USER_IDS": "U1AAA, U2BBB"}
    )
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.admin_user_ids == {"U1AAA", "U2BBB"}
