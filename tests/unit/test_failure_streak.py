"""A failing loop's waits double up to a cap, and each streak is logged once at each end."""

from __future__ import annotations

from structlog.testing import capture_logs

from bot.logging import get_logger
from bot.pipeline.backoff import FailureStreak


def test_waits_double_up_to_the_cap_and_a_streak_is_logged_once_at_each_end() -> None:
    streak = FailureStreak(get_logger("test"), "loop", first_wait=1.0, longest_wait=60.0)
    with capture_logs() as logs:
        waits = [streak.failed(RuntimeError("down")) for _ in range(9)]
        streak.succeeded()
        streak.succeeded()  # no streak running: nothing to say
        again = streak.failed(RuntimeError("down again"))
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert again == 1  # a new streak starts from the first wait
    assert [(e["event"], e.get("failures")) for e in logs] == [
        ("loop.failing", None),
        ("loop.recovered", 9),
        ("loop.failing", None),
    ]
    assert str(logs[0]["exc_info"]) == "down" and logs[0]["retry_in"] == 1


def test_a_very_long_streak_keeps_waiting_the_longest_wait() -> None:
    streak = FailureStreak(get_logger("test"), "loop", first_wait=0.5, longest_wait=30.0)
    with capture_logs():
        waits = [streak.failed(RuntimeError("down")) for _ in range(2000)]
    assert waits[-1] == 30.0
