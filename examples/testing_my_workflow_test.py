"""How you test your own workflow: pytest tests of `fulfil_order` (testing_my_workflow.py)
with `flux.testing`. Each test runs in milliseconds, though the workflow waits a day.

Run: python -m pytest examples/testing_my_workflow_test.py
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import testing_my_workflow as shop
from testing_my_workflow import OutOfStock, fulfil_order

from flux.errors import ExecutionTimeoutError
from flux.testing import Harness, harness

START = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
ORDER = {"id": "A-1", "item": "book"}


@pytest.fixture
def h() -> Iterator[Harness]:
    shop.reset()
    with harness(start=START) as h:
        yield h


def test_an_order_ships_a_day_after_it_is_paid(h: Harness) -> None:
    result = h.run(fulfil_order, ORDER)

    assert result.succeeded
    assert result.output == {
        "reservation": "reservation-A-1",
        "receipt": "receipt-A-1",
        "tracking": "tracking-A-1",
    }
    assert result.step("charge_card").finished_at == START
    assert result.step("ship").started_at == START + timedelta(days=1)
    assert shop.CHARGES == ["A-1"] and shop.SHIPMENTS == ["A-1"]


def test_a_declined_card_is_retried_with_backoff(h: Harness) -> None:
    h.fail(ConnectionError("declined"), task="charge_card", attempt=[1, 2])

    result = h.run(fulfil_order, ORDER)

    charge = result.step("charge_card")
    assert result.succeeded and charge.retries == 2
    assert [a.started_at - START for a in charge.attempts] == [
        timedelta(0),
        timedelta(minutes=10),
        timedelta(minutes=30),
    ]
    assert shop.CHARGES == ["A-1"]  # the two declined attempts never reached the gateway


def test_an_item_out_of_stock_fails_the_order_before_any_charge(h: Harness) -> None:
    result = h.run(fulfil_order, {"id": "B-2", "item": "lamp"})

    assert result.failed and isinstance(result.error, OutOfStock)
    assert [step.name for step in result.steps] == ["reserve_stock"]
    assert shop.CHARGES == []


def test_a_crash_after_the_charge_does_not_charge_twice(h: Harness) -> None:
    h.kill_after(task="charge_card")  # the process dies once the charge is recorded

    crashed = h.run(fulfil_order, ORDER)
    assert crashed.crashed and not crashed.finished

    result = h.recover(crashed)  # a restarted worker replays the log
    assert result.succeeded
    assert shop.CHARGES == ["A-1"]
    assert len(h.calls("charge_card")) == 1


def test_a_slow_carrier_times_out_and_is_retried(h: Harness) -> None:
    h.delay(timedelta(minutes=5), task="ship", attempt=1)  # longer than ship's 30 s timeout

    result = h.run(fulfil_order, ORDER)

    assert result.succeeded and result.step("ship").retries == 1
    first_try, second_try = h.calls("ship")
    assert first_try.finished_at == START + timedelta(days=1, seconds=30)
    assert second_try.succeeded


def test_a_carrier_that_never_answers_fails_the_order(h: Harness) -> None:
    h.delay(timedelta(hours=1), task="ship")

    result = h.run(fulfil_order, ORDER)

    assert result.failed
    assert isinstance(result.error.__cause__, ExecutionTimeoutError)
    # Three attempts cut off at 30 s each, with retry waits of 60 s and 120 s (backoff 2).
    assert result.finished_at == START + timedelta(days=1, seconds=30 + 60 + 30 + 120 + 30)
