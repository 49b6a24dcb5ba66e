"""manifest.json and README in step with the code: scopes, slash commands, `/lscb` subcommands.

Each check reads the code's own lists (the subcommand registry, the Web API methods the code
calls) so that adding a subcommand or a Slack call without updating the manifest fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.conversation import COMMANDS, SUBCOMMANDS

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
README = (ROOT / "README.md").read_text()

#: The bot-token scopes each Web API method needs (api.slack.com/methods/<method>). A method
#: the code calls that is not listed here fails the test until it is classified.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_open": {"im:write"},
    # digests read back channel, private channel and DM history to post exactly once
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_join": {"channels:join"},
    "files_upload_v2": {"files:write"},
    "files_info": {"files:read"},
    "users_info": {"users:read"},
    "views_open": set(),
    "views_publish": set(),
    "views_update": set(),
}
EVENT_SCOPES = {"app_mention": {"app_mentions:read"}, "message.im": {"im:history"}}
#: Scopes needed by something other than a Web API call.
FEATURE_SCOPES = {"commands"}  # the slash commands


def _called_methods() -> set[str]:
    """Web API methods called through a WebClient anywhere in the application code."""
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text()))
    return found


def _usage_hint_words() -> list[str]:
    [lscb] = [c for c in MANIFEST["features"]["slash_commands"] if c["command"] == "/lscb"]
    return [part.split()[0] for part in lscb["usage_hint"].split(" | ")]


def test_every_scope_is_used_and_every_call_has_its_scope() -> None:
    methods = _called_methods()
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"classify the scopes of {sorted(unknown)} in METHOD_SCOPES"
    needed = set(FEATURE_SCOPES)
    for method in methods:
        needed |= METHOD_SCOPES[method]
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        needed |= EVENT_SCOPES.get(event, set())
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert not scopes - needed, f"scopes nothing uses: {sorted(scopes - needed)}"
    assert not needed - scopes, f"scopes the code needs: {sorted(needed - scopes)}"


def test_the_manifest_lists_the_slash_commands_the_bot_handles() -> None:
    listed = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert listed == set(COMMANDS)


def test_the_usage_hint_lists_every_lscb_subcommand_and_no_other() -> None:
    words = _usage_hint_words()
    assert words[0] == "<question>"
    assert set(words[1:]) == set(SUBCOMMANDS) | {"help"}
    assert len(words) == len(set(words))


def test_the_readme_lists_every_lscb_subcommand() -> None:
    missing = [name for name in SUBCOMMANDS if f"`/lscb {name}" not in README]
    assert not missing, f"README does not mention /lscb {missing}"


def test_the_manifest_describes_the_app_at_length() -> None:
    info = MANIFEST["display_information"]
    # Slack refuses a long description shorter than 174 characters or longer than 4,000.
    assert 174 <= len(info["long_description"]) <= 4000
    assert len(info["description"]) <= 139
