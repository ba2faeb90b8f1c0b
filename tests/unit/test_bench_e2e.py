"""bench.e2e's own parts work (untimed): its requests pass Slack's signature check, its fake Slack
answers slack_sdk like Slack and counts the replies, and the exactly-once check catches misses."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bench.e2e import Acks, FakeSlack, Requests, Round, exactly_once, org_yaml, table
from bench.slack_servers import SECRET
from domain.directory.orgfile import parse_org_file


def test_every_request_is_a_distinct_signed_slash_command_from_the_next_member() -> None:
    built = Requests(port=1, members=2).build(3)
    bodies = []
    for channel, request in built:
        head, body = request.split(b"\r\n\r\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        assert SignatureVerifier(SECRET).is_valid(
            body.decode(), headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        assert (form["channel_id"], form["text"]) == (channel, "whoami")
        bodies.append(form)
    assert [b["user_id"] for b in bodies] == ["U00000000", "U00000001", "U00000000"]
    assert len({b["trigger_id"] for b in bodies}) == 3


def test_the_org_binds_every_member_to_their_slack_user() -> None:
    spec, _root = parse_org_file(org_yaml(3))
    assert [(m.handle, m.identities["slack"].user) for m in spec.members] == [
        (f"m{i:05d}", f"U{i:08d}") for i in range(3)
    ]


async def test_the_fake_slack_answers_slack_sdk_and_counts_fitting_replies() -> None:
    fake = await FakeSlack().start()
    web = AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
    try:
        posted = await web.chat_postMessage(channel="D00000007", text="You are @m00007")
        await web.chat_postMessage(channel="D00000007", text="You are @m00008")
        opened = await web.conversations_open(users="U00000007")
        assert await fake.settle(2, since=0.0, quiet=0.0) > 0
    finally:
        await fake.stop()
    assert posted["ok"] and posted["channel"] == "D00000007" and posted["ts"]
    assert opened["channel"]["id"] == "D00000007"
    assert (fake.replies, fake.wrong, fake.other) == (
        Counter({"D00000007": 2}),
        1,
        Counter({"conversations.open": 1}),
    )


def test_exactly_once_needs_one_reply_per_acknowledged_request_and_nothing_else() -> None:
    acks = Acks(sent=Counter({"D1": 2, "D2": 1}))
    assert exactly_once(acks, Counter({"D1": 2, "D2": 1}), wrong=0)
    assert not exactly_once(acks, Counter({"D1": 1, "D2": 1}), wrong=0)  # one lost
    assert not exactly_once(acks, Counter({"D1": 3, "D2": 1}), wrong=0)  # one doubled
    assert not exactly_once(acks, Counter({"D1": 2, "D2": 1}), wrong=1)  # one misdirected
    assert not exactly_once(Acks(), Counter(), wrong=0)  # nothing measured


def test_the_table_gives_medians_with_their_range_and_the_ratio_to_bare() -> None:
    rounds = [Round(bare_per_s=10_000, replies_per_s=r, exactly_once=True) for r in (100, 300, 200)]
    text = table(rounds, "SQLite", 64)
    assert "| 200 (100..300) | 0.020 (0.010..0.030) |" in text
