"""Fuzzing the web chat API: any text gets 200 or 400, and every accepted message an answer.

Hypothesis generates 10,000 texts in bursts of 50, and the test posts each burst at once through
``POST /api/messages`` of one in-process server (SQLite) and lets the pipeline settle; at the end
every accepted message must have a reply and no inbox row may have failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.webchat.translate import event_id_of
from bot.config import Settings
from bot.pipeline.tables import InboxRow, InboxStatus, OutboxRow
from tests.webchat import Site, frame_id, local_login, serving

pytestmark = pytest.mark.slow

EXAMPLES = 10_000
BURST = 50  # texts posted at once per hypothesis example: concurrency, and no per-post round trip
POST_BOUND = 3 * EXAMPLES  # sanity bound: replays and shrinking add some, never without end
SETTLE_BOUND = 1800.0  # seconds before a pipeline that never drains fails the test (not timing)
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_BODY = 64 * 1024  # the API's limit on one request; the texts below stay under it

FULL_WIDTH = "，。！？：；、（）【】《》〈〉「」『』〔〕…—～·＠＃％＆＊＋－＝／＼｜　０１２ＡＢＣ"
QUOTES = "\"'`“”‘’«»‹›„‚"
COMMANDS = (
    "/help", "/帮助", "/h", "/ping", "/lang", "/语言", "/whoami", "/我是谁",
    "/invite", "/邀请", "/bind", "/绑定", "/tap", "／help", "／帮助 whoami", "/lang zh",
)  # fmt: skip

controls = st.characters(codec=None, categories=["Cc"])
surrogates = st.characters(categories=["Cs"])
punctuation = st.sampled_from(FULL_WIDTH + QUOTES)
anything = st.characters()
kinds = st.sampled_from(["say", "say", "say", "tap"])
mixed_alphabet = st.one_of(punctuation, controls, anything, surrogates, st.sampled_from(" /-=\n"))

texts = st.one_of(
    st.text(),
    st.text(alphabet=mixed_alphabet, max_size=200),
    st.builds(str.__add__, st.sampled_from(["/", "／"]), st.text(alphabet=mixed_alphabet)),
    st.builds(
        lambda command, sep, rest: command + sep + rest,
        st.sampled_from(COMMANDS),
        st.sampled_from([" ", "　", "", "\t", "=", " --"]),
        st.text(alphabet=mixed_alphabet, max_size=60),
    ),
    st.builds(
        lambda piece, size: (piece * size)[:size],
        st.text(alphabet=mixed_alphabet, min_size=1, max_size=6),
        st.integers(min_value=3_990, max_value=10_000),
    ),
)


def body_of(frame: dict[str, Any]) -> bytes:
    """What a browser would send: UTF-8, with lone surrogates (which UTF-8 cannot carry) escaped."""
    text = json.dumps(frame, ensure_ascii=False)
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


@contextlib.contextmanager
def served(runner: asyncio.Runner, settings: Settings) -> Iterator[Site]:
    """The web chat on ``runner``'s loop, which runs only while ``runner.run`` does."""
    stack = contextlib.AsyncExitStack()
    site = runner.run(stack.enter_async_context(serving(local_login(settings))))
    try:
        yield site
    finally:
        runner.run(stack.aclose())


def test_any_text_gets_200_or_400_and_every_accepted_message_an_answer(
    sqlite_settings: Settings,
) -> None:
    accepted: list[str] = []
    refused: list[str] = []
    with asyncio.Runner() as runner, served(runner, sqlite_settings) as site:
        runner.run(site.login("alice"))

        @hypothesis_settings(
            max_examples=EXAMPLES // BURST,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(burst=st.lists(st.tuples(texts, kinds), min_size=BURST, max_size=BURST))
        def post(burst: list[tuple[str, str]]) -> None:
            if len(accepted) + len(refused) >= POST_BOUND:
                pytest.fail(f"more than {POST_BOUND} posts: hypothesis did not stop")
            frames = [
                {"type": kind, "id": frame_id(), "text" if kind == "say" else "token": text}
                for text, kind in burst
            ]
            statuses = runner.run(_post_all(site, frames))  # at once, as many browsers would
            # and handled before the next burst, so that alice's queue stays short: a claim
            # looks at every event waiting in a conversation, so a 10,000-deep queue is slow
            runner.run(asyncio.wait_for(site.runtime.settle(), SETTLE_BOUND))
            for frame, status in zip(frames, statuses, strict=True):
                assert status in (200, 400), (status, frame)
                (accepted if status == 200 else refused).append(frame["id"])

        post()
        rows = runner.run(_outcomes(site))
    assert len(accepted) + len(refused) >= EXAMPLES // 2, "hypothesis ran far fewer examples"
    assert accepted and refused
    stored = sorted(event_id_of("alice", client_id) for client_id in accepted)
    assert sorted(rows) == stored, "accepted and stored events differ"
    failed = {event_id: row for event_id, row in rows.items() if row[0] != InboxStatus.DONE}
    assert not failed
    unanswered = [event_id for event_id, (_status, replies) in rows.items() if replies < 1]
    assert not unanswered


async def _post_all(site: Site, frames: list[dict[str, str]]) -> list[int]:
    return list(await asyncio.gather(*(_post(site, body_of(frame)) for frame in frames)))


async def _post(site: Site, body: bytes) -> int:
    assert len(body) < MAX_BODY
    response = await site.client.post(
        "/api/messages", data=body, headers={"Content-Type": "application/json"}
    )
    await response.read()
    return response.status


async def _outcomes(site: Site) -> dict[str, tuple[str, int]]:
    """Each stored event's status and how many outbox rows it caused."""
    query = (
        select(InboxRow.event_id, InboxRow.status, func.count(OutboxRow.id))
        .outerjoin(OutboxRow, OutboxRow.cause_id == InboxRow.id)
        .group_by(InboxRow.id, InboxRow.event_id, InboxRow.status)
    )
    rows = await site.runtime.db.run(lambda s: s.execute(query).all())
    return {event_id: (status, replies) for event_id, status, replies in rows}
