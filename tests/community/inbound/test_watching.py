"""`community mail fetch` left running: a reply is handled as soon as it reaches the mailbox (IMAP IDLE).

The watcher runs in the test's thread (it uses the test's database session); a second
thread plays the outside world: it delivers mail, restarts the server or sends a signal
once the watcher's log says it is waiting, then tells the watcher to stop. The poll
interval is an hour, so only IDLE can explain a reply handled during a test; the
deadlines are only "does it happen at all" bounds.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from support_community.inbound import processing, watching
from support_community.inbound.models import InboundState
from tests.community.inbound.mails import bodies, reply_to, rows

AN_HOUR = 3600.0
BOUND = 60.0  # seconds after which a step that should happen is taken not to happen
IDLING = "waiting for new mail with IDLE"
POLLING = "next read of the mailbox in"


class WatcherLog(logging.Handler):
    """What the watcher logs, for the outside world to wait on."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.lines.append(record.getMessage())
            self.changed.notify_all()

    def count(self, text: str) -> int:
        with self.changed:
            return sum(text in line for line in self.lines)

    def wait_for(self, text: str, times: int = 1) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: sum(text in line for line in self.lines) >= times, BOUND):
                raise AssertionError(f"the watcher did not log {text!r} {times} time(s); it logged {self.lines}")


@pytest.fixture()
def watcher_log() -> Iterator[WatcherLog]:
    logger = logging.getLogger("support_community.inbound")
    handler, level = WatcherLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen")
        time.sleep(0.1)


def watch_while(world: Callable[[], None], community, **options) -> None:
    """Run the watcher here until ``world`` (run beside it) is over; ``world``'s failure is the test's."""
    stop, failures = threading.Event(), []

    def run_world() -> None:
        try:
            world()
        except BaseException as error:  # reported in the test's thread
            failures.append(error)
        finally:
            stop.set()

    outside = threading.Thread(target=run_world, daemon=True)
    deadline = time.monotonic() + 4 * BOUND
    outside.start()
    watching.watch(community, should_stop=lambda: stop.is_set() or time.monotonic() > deadline, **options)
    outside.join(BOUND)
    if failures:
        raise failures[0]
    assert stop.is_set(), "the watcher stopped by itself"


def test_a_reply_arriving_while_the_watcher_idles_reaches_its_case(community, mailbox, caught, watcher_log):
    case, mail = caught

    def world() -> None:
        watcher_log.wait_for(IDLING)
        mailbox.deliver(reply_to(mail, "Version 4.1, on Windows.").as_bytes())
        watcher_log.wait_for(IDLING, 2)  # the next wait: the reply was taken and handled before it

    watch_while(world, community, poll_seconds=AN_HOUR)

    assert bodies(case)[-1] == "Version 4.1, on Windows."
    assert mailbox.messages() == []
    assert [(row.source, row.outcome) for row in rows()] == [("imap", "added")]


def test_the_watcher_renews_its_idle_on_the_same_connection(community, mailbox, caught, watcher_log):
    case, mail = caught

    def world() -> None:
        watcher_log.wait_for(IDLING, 3)
        mailbox.deliver(reply_to(mail, "Still there?").as_bytes())
        wait_until(lambda: mailbox.messages() == [], "taking the reply from the mailbox")
        watcher_log.wait_for(IDLING, watcher_log.count(IDLING) + 1)

    watch_while(world, community, poll_seconds=AN_HOUR, idle_seconds=1)

    assert bodies(case)[-1] == "Still there?"
    assert watcher_log.count("reading the mailbox at") == 1, watcher_log.lines  # one connection throughout
    assert not any("failed" in line for line in watcher_log.lines), watcher_log.lines


def test_the_watcher_reconnects_after_the_server_restarts_and_takes_what_arrived_meanwhile(
    community, mailbox, caught, watcher_log
):
    case, mail = caught

    def world() -> None:
        watcher_log.wait_for(IDLING)
        mailbox.restart(while_down=lambda: mailbox.drop(reply_to(mail, "Sent while you were away.").as_bytes()))
        wait_until(lambda: mailbox.messages() == [], "taking the reply from the mailbox")
        watcher_log.wait_for(IDLING, 2)

    watch_while(world, community, poll_seconds=AN_HOUR)

    assert bodies(case)[-1] == "Sent while you were away."
    assert any("reading the mailbox failed" in line for line in watcher_log.lines), watcher_log.lines
    assert watcher_log.count("reading the mailbox at") == 2, watcher_log.lines


def test_a_server_without_idle_is_read_every_poll_interval(community, mailbox_without_idle, caught, watcher_log):
    case, mail = caught

    def world() -> None:
        watcher_log.wait_for(POLLING)
        mailbox_without_idle.deliver(reply_to(mail, "No IDLE here.").as_bytes())
        wait_until(lambda: mailbox_without_idle.messages() == [], "taking the reply from the mailbox")
        watcher_log.wait_for(POLLING, watcher_log.count(POLLING) + 1)

    watch_while(world, community, poll_seconds=0.5)

    assert bodies(case)[-1] == "No IDLE here."
    assert any("the server does not offer IDLE" in line for line in watcher_log.lines), watcher_log.lines
    assert watcher_log.count(IDLING) == 0


def test_idle_switched_off_polls_a_server_that_offers_it(community, mailbox, caught, watcher_log):
    case, mail = caught

    def world() -> None:
        watcher_log.wait_for(POLLING)
        mailbox.deliver(reply_to(mail, "Polled.").as_bytes())
        wait_until(lambda: mailbox.messages() == [], "taking the reply from the mailbox")
        watcher_log.wait_for(POLLING, watcher_log.count(POLLING) + 1)

    watch_while(world, community, poll_seconds=0.5, idle_seconds=0)

    assert bodies(case)[-1] == "Polled."
    assert watcher_log.count(IDLING) == 0


def test_a_mail_due_again_is_retried_without_waiting_for_the_idle_to_end(
    community, mailbox, caught, watcher_log, monkeypatch
):
    """A reply whose first handling failed (Panda away, say) is tried again when due, not 25 minutes later."""
    case, mail = caught
    real_handle, calls = processing.handle, []

    def fails_once(row):
        calls.append(row.id)
        if len(calls) == 1:
            raise ConnectionError("Panda did not answer")
        return real_handle(row)

    monkeypatch.setattr(processing, "handle", fails_once)
    monkeypatch.setattr(processing, "BASE_DELAY", processing.BASE_DELAY / 15)  # due again in 2 seconds

    def world() -> None:
        watcher_log.wait_for(IDLING)
        mailbox.deliver(reply_to(mail, "Second time lucky.").as_bytes())
        wait_until(lambda: len(calls) >= 2, "a second try")
        watcher_log.wait_for(IDLING, 3)  # the first; until the second try; after it

    watch_while(world, community, poll_seconds=AN_HOUR)

    assert bodies(case)[-1] == "Second time lucky."
    assert [(row.attempts, row.outcome) for row in rows()] == [(2, "added")]


# -- stopping: SIGTERM (the container stops) and SIGINT (Ctrl-C) ------------------------------------------
@pytest.fixture()
def hang_guard() -> Iterator[None]:
    """A watcher that ignored the signal would run for ever: end the run with every thread's stack instead."""
    faulthandler.dump_traceback_later(4 * BOUND, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_sigterm_stops_the_watcher_after_the_message_in_hand_and_loses_nothing(
    community, mailbox, caught, monkeypatch, hang_guard, watcher_log
):
    case, mail = caught
    for text in ("First.", "Second.", "Third."):
        mailbox.deliver(reply_to(mail, text).as_bytes())
    real_handle, handled = processing.handle, []

    def terminated_while_handling(row):
        if not handled:
            os.kill(os.getpid(), signal.SIGTERM)  # as `docker stop` does, in the middle of the first reply
        handled.append(row.id)
        return real_handle(row)

    monkeypatch.setattr(processing, "handle", terminated_while_handling)
    monkeypatch.setitem(community.config, "COMMUNITY_IMAP_POLL_SECONDS", AN_HOUR)
    handler_before = signal.getsignal(signal.SIGTERM)

    result = community.test_cli_runner().invoke(args=["mail", "fetch"])

    assert result.exit_code == 0, result.output
    assert bodies(case)[-1] == "First."  # the reply in hand was finished
    assert [row.state for row in rows()] == [InboundState.DONE, InboundState.PENDING, InboundState.PENDING]
    assert mailbox.messages() == []  # the other two are stored, so the mailbox could let them go
    assert len(handled) == 1
    assert signal.getsignal(signal.SIGTERM) is handler_before  # the command put the previous handler back

    monkeypatch.setattr(processing, "handle", real_handle)
    processing.process_due()
    assert bodies(case)[-3:] == ["First.", "Second.", "Third."]


def test_ctrl_c_stops_a_watcher_waiting_in_idle(community, mailbox, caught, hang_guard, watcher_log, monkeypatch):
    monkeypatch.setitem(community.config, "COMMUNITY_IMAP_POLL_SECONDS", AN_HOUR)

    def press_ctrl_c() -> None:
        watcher_log.wait_for(IDLING)
        os.kill(os.getpid(), signal.SIGINT)

    outside = threading.Thread(target=press_ctrl_c, daemon=True)
    outside.start()
    result = community.test_cli_runner().invoke(args=["mail", "fetch"])
    outside.join(BOUND)

    assert result.exit_code == 0, result.output
    assert "stopped reading the mailbox" in watcher_log.lines[-1]
