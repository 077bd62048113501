"""Testing your own workflow with `flux.testing`: the workflow is in this file, its tests in
`testing_my_workflow_test.py` beside it (see docs/testing.md).

`fulfil_order` reserves stock, charges a card through a flaky gateway (retried every 10
minutes, then 20, then 40), waits a one-day cooling-off period, and ships. Under the harness
it runs inline on an in-memory store, with no server and no database, in a few milliseconds
of real time, while its recorded timestamps still show the day it waited.

Run the tests: python -m pytest examples/testing_my_workflow_test.py
Run this demo: python examples/testing_my_workflow.py
"""

from datetime import timedelta

from flux import ExecutionContext, task, workflow
from flux.tasks import sleep

# Stand-ins for the outside world (a stock database, a payment gateway, a carrier), so that
# the example needs nothing else. A real project's tasks would call real services; its tests
# would swap those clients for fakes, and use the harness's faults for failures.
STOCK: dict[str, int] = {}
CHARGES: list[str] = []
SHIPMENTS: list[str] = []


def reset(stock: dict[str, int] | None = None) -> None:
    STOCK.clear()
    STOCK.update(stock if stock is not None else {"book": 3, "lamp": 0})
    CHARGES.clear()
    SHIPMENTS.clear()


class OutOfStock(Exception):
    pass


@task
async def reserve_stock(order: dict) -> str:
    if STOCK.get(order["item"], 0) < 1:
        raise OutOfStock(order["item"])
    STOCK[order["item"]] -= 1
    return f"reservation-{order['id']}"


@task.with_options(retry_max_attempts=3, retry_delay=600, retry_backoff=2)
async def charge_card(order: dict) -> str:
    CHARGES.append(order["id"])
    return f"receipt-{order['id']}"


@task.with_options(timeout=30, retry_max_attempts=2, retry_delay=60)
async def ship(order: dict) -> str:
    SHIPMENTS.append(order["id"])
    return f"tracking-{order['id']}"


@workflow
async def fulfil_order(ctx: ExecutionContext[dict]) -> dict:
    order = ctx.input
    reservation = await reserve_stock(order)
    receipt = await charge_card(order)
    await sleep(timedelta(days=1))  # cooling-off period: the customer may still cancel
    tracking = await ship(order)
    return {"reservation": reservation, "receipt": receipt, "tracking": tracking}


reset()

if __name__ == "__main__":
    import time
    from datetime import UTC, datetime

    from flux.testing import harness

    started = time.perf_counter()
    with harness(start=datetime(2030, 1, 1, 9, 0, tzinfo=UTC)) as h:
        # The gateway declines the first attempt: the charge is retried 10 minutes later.
        h.fail(ConnectionError("gateway timeout"), task="charge_card", attempt=1)
        result = h.run(fulfil_order, {"id": "A-1", "item": "book"})
        print(f"State: {result.state.value}")
        print(f"Output: {result.output}")
        for step in result.steps:
            tries = len(step.attempts)
            print(f"  {step.started_at:%Y-%m-%d %H:%M} {step.name}: {tries} attempt(s)")
        print(f"Virtual duration: {result.duration}")
    print(f"Real time under a second: {time.perf_counter() - started < 1}")
