"""Advanced Usage, "Task Caching" (flux-core README 0.2.7 and 0.4.8).

The cache is durable: it lives in the database under ./.flux, so running this file a second
time from the same directory does not call `complex_calculation` at all.

Run: python examples/08_caching.py
"""

from flux import ExecutionContext, task, workflow

calls: list[int] = []


# The document leaves `complex_calculation` undefined; this is the smallest sensible one.
def complex_calculation(input_data):
    calls.append(input_data)
    return sum(i * i for i in range(input_data))


# fmt: off
@task.with_options(cache=True)
async def expensive_computation(input_data):
    # Results will be cached based on input
    return complex_calculation(input_data)
# fmt: on


@workflow
async def caching_workflow(ctx: ExecutionContext[int]):
    return await expensive_computation(ctx.input)


if __name__ == "__main__":
    first = caching_workflow.run(1000)
    second = caching_workflow.run(1000)
    print(f"First run: {first.output}")  # 332833500
    print(f"Second run: {second.output}")  # 332833500, from the cache
    print(f"complex_calculation calls in this process: {len(calls)}")
