"""Slack's re-deliveries are answered once, even when they reach another process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from slack_bolt import App, BoltRequest
from sqlalchemy import Engine

from bot.app import create_app
from bot.clock import now_utc
from bot.settings import Settings
from store import deliveries
from tests.conftest import event_request, interaction_request
from tests.fake_slack import FakeSlack

DM = {
    "type": "message",
    "channel_type": "im",
    "channel": "D0ALICE01",
    "user": "U0ALICE01",
    "text": "overview",
    "ts": "1700000000.000100",
}


def retried(request: BoltRequest, attempt: int) -> BoltRequest:
    """The same delivery as Slack re-sends it: same body, X-Slack-Retry-Num set."""
    headers = {k: list(v) for k, v in request.headers.items()}
    headers["x-slack-retry-num"] = [str(attempt)]
    headers["x-slack-retry-reason"] = ["http_timeout"]
    return BoltRequest(body=request.raw_body, headers=headers)


def settle(fake: FakeSlack, method: str, n: int) -> int:
    """Wait for `n` calls to `method`, then a little longer to catch any extra ones."""
    fake.wait_for(method, n)
    time.sleep(0.5)
    return len(fake.calls_to(method))


def test_an_event_and_its_retries_get_one_reply(slack_app: App, fake_slack: FakeSlack) -> None:
    first = event_request(DM)
    for request in (first, retried(first, 1), retried(first, 2)):
        assert slack_app.dispatch(request).status == 200
    assert settle(fake_slack, "chat.postMessage", 1) == 1


def test_a_retry_reaching_another_process_is_caught(
    slack_app: App, slack_settings: Settings, seeded: Engine, fake_slack: FakeSlack
) -> None:
    other = create_app(slack_settings, seeded)  # a second process on the same database
    first = event_request(DM)
    assert slack_app.dispatch(first).status == 200
    assert other.dispatch(retried(first, 1)).status == 200
    assert settle(fake_slack, "chat.postMessage", 1) == 1


def test_different_events_are_each_answered(slack_app: App, fake_slack: FakeSlack) -> None:
    for _ in range(3):
        slack_app.dispatch(event_request(DM))  # each has its own event_id
    assert settle(fake_slack, "chat.postMessage", 3) == 3


def test_deliveries_arriving_together_are_each_answered_once(
    slack_app: App, slack_settings: Settings, seeded: Engine, fake_slack: FakeSlack
) -> None:
    other = create_app(slack_settings, seeded)  # a second process on the same database
    repeated = event_request(DM)
    requests = [retried(repeated, n) for n in range(8)]  # one event, delivered 8 times
    requests += [event_request({**DM, "channel": f"D0OTHER0{i}"}) for i in range(5)]
    apps = [slack_app, other]
    with ThreadPoolExecutor(13) as pool:  # at once: they share the delivery record's commits
        statuses = list(pool.map(lambda n: apps[n % 2].dispatch(requests[n]).status, range(13)))
    assert statuses == [200] * 13
    assert settle(fake_slack, "chat.postMessage", 6) == 6
    channels = sorted(c.args["channel"] for c in fake_slack.calls_to("chat.postMessage"))
    assert channels == sorted(["D0ALICE01"] + [f"D0OTHER0{i}" for i in range(5)])


def test_a_retried_interaction_is_handled_once(
    slack_app: App, fake_slack: FakeSlack, seeded: Engine
) -> None:
    click = {
        "type": "block_actions",
        "user": {"id": "U0ALICE01"},
        "team": {"id": "T0TEAM001"},
        "trigger_id": "9.9.retry",
        "actions": [{"type": "button", "action_id": "progress_open", "value": "WSCB|1.1"}],
    }
    request = interaction_request(click)
    slack_app.dispatch(request)
    slack_app.dispatch(retried(request, 1))
    fake_slack.wait_until(
        lambda: fake_slack.calls_to("views.open") or fake_slack.calls_to("chat.postMessage")
    )
    time.sleep(0.5)
    opened = fake_slack.calls_to("views.open") + fake_slack.calls_to("chat.postMessage")
    assert len(opened) == 1, [c.method for c in fake_slack.calls]


def test_old_keys_are_pruned(seeded: Engine) -> None:
    now = now_utc()
    assert deliveries.first_delivery(seeded, "event:Ev1", now - timedelta(days=2))
    assert deliveries.first_delivery(seeded, "event:Ev2", now)
    assert not deliveries.first_delivery(seeded, "event:Ev2", now)
    assert deliveries.prune(seeded, now) == 1
    assert deliveries.first_delivery(seeded, "event:Ev1", now)  # forgotten, so new again
