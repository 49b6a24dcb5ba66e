"""One settings object, read from the environment (and `.env`), that fails fast on bad config."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///data/lscb.db"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Mode(Enum):
    CONSOLE = "console"
    SOCKET = "socket"
    HTTP = "http"


_TOKEN_SHAPES = {
    "SLACK_BOT_TOKEN": (re.compile(r"^xoxb-[A-Za-z0-9-]+$"), "a bot token starting with xoxb-"),
    "SLACK_APP_TOKEN": (
        re.compile(r"^xapp-[A-Za-z0-9-]+$"),
        "an app-level token starting with xapp-",
    ),
    "SLACK_SIGNING_SECRET": (re.compile(r"^[0-9a-fA-F]{16,}$"), "the app's hex signing secret"),
}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str | None = None
    default_board: str | None = None
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)
    port: int = 3000
    log_level: str = "INFO"
    digest_lease_seconds: int = 120  # how long a digest claim is honoured (store.digests)
    slack_timeout_seconds: int = 10  # each digest call to Slack gives up after this long
    seed_sample_plans: bool = True  # load the five sample boards into an empty database

    def __repr__(self) -> str:  # never let a token reach a log line through repr()
        return (
            f"Settings(database_url={_redact_url(self.database_url)!r}, "
            f"mode={self.mode.value}, default_board={self.default_board!r})"
        )

    @property
    def mode(self) -> Mode:
        """How the bot talks to Slack, decided by which tokens are present."""
        if self.slack_bot_token and self.slack_app_token:
            return Mode.SOCKET
        if self.slack_bot_token and self.slack_signing_secret:
            return Mode.HTTP
        return Mode.CONSOLE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, serving: bool = True) -> Settings:
        """Build settings from `env` (default: the process environment); raise ConfigError.

        `serving=False` is for one-shot commands (digest, export, seed, say): each token is still
        checked for shape, but a bot token alone is enough, as `digest` needs nothing more.
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        tokens = {name: get(name) for name in _TOKEN_SHAPES}
        for name, value in tokens.items():
            pattern, shape = _TOKEN_SHAPES[name]
            if value is not None and not pattern.match(value):
                raise ConfigError(f"{name} is malformed: expected {shape}.")
        bot, app, secret = (tokens[n] for n in _TOKEN_SHAPES)
        if serving:
            _check_slack_pairs(bot, app, secret)

        api_url = get("SLACK_API_URL")
        if api_url is not None:
            if not re.match(r"^https?://", api_url):
                raise ConfigError("SLACK_API_URL is malformed: expected an http(s):// URL.")
            if not api_url.endswith("/"):
                api_url += "/"

        port_text = get("PORT") or "3000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError("PORT is malformed: expected a TCP port number.")

        admins = frozenset(
            part.strip() for part in (get("ADMIN_USER_IDS") or "").split(",") if part.strip()
        )
        for admin in admins:
            if not re.match(r"^[UW][A-Z0-9]+$", admin):
                raise ConfigError(
                    f"ADMIN_USER_IDS is malformed: {admin!r} is not a Slack user id (U012ABCDEF)."
                )

        timing = {}
        for name, default in (("DIGEST_LEASE_SECONDS", 120), ("SLACK_TIMEOUT_SECONDS", 10)):
            text = get(name) or str(default)
            if not text.isdigit() or int(text) < 1:
                raise ConfigError(f"{name} is malformed: expected a whole number of seconds.")
            timing[name] = int(text)
        if timing["DIGEST_LEASE_SECONDS"] <= 6 * timing["SLACK_TIMEOUT_SECONDS"]:
            raise ConfigError(
                "DIGEST_LEASE_SECONDS must be more than 6 × SLACK_TIMEOUT_SECONDS: a digest claim "
                "has to outlast the slowest single post, or two workers could both post it."
            )

        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            slack_bot_token=bot,
            slack_app_token=app,
            slack_signing_secret=secret,
            slack_api_url=api_url,
            default_board=get("DEFAULT_BOARD"),
            admin_user_ids=admins,
            port=int(port_text),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            digest_lease_seconds=timing["DIGEST_LEASE_SECONDS"],
            slack_timeout_seconds=timing["SLACK_TIMEOUT_SECONDS"],
            seed_sample_plans=_flag("SEED_SAMPLE_PLANS", get("SEED_SAMPLE_PLANS"), default=True),
        )

    def ensure_sqlite_dir(self) -> None:
        """Create the folder of a file-based SQLite database so first start just works."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            Path(self.database_url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def _check_slack_pairs(bot: str | None, app: str | None, secret: str | None) -> None:
    """A Slack connection needs the bot token and one of the app token or the signing secret."""
    if app and not bot:
        raise ConfigError(
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both "
            "(or remove SLACK_APP_TOKEN to use the local console)."
        )
    if secret and not bot:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: HTTP mode needs both "
            "(or remove SLACK_SIGNING_SECRET to use the local console)."
        )
    if bot and not (app or secret):
        raise ConfigError(
            "SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not: set SLACK_APP_TOKEN for "
            "Socket Mode (or SLACK_SIGNING_SECRET for HTTP mode), or remove "
            "SLACK_BOT_TOKEN to use the local console."
        )


def _flag(name: str, value: str | None, *, default: bool) -> bool:
    """A true/false setting; anything but the usual spellings is a ConfigError."""
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} is malformed: expected true or false.")


def _redact_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
