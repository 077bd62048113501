"""Advanced Usage, "Task Metadata" (flux-core README 0.2.7 and 0.4.8).

Run: python examples/09_metadata.py
"""
# The document's code is kept verbatim: its `= {}` default is what flux-core users write.
# ruff: noqa: B006

# The document's import, and the ones its snippet needs besides.
from flux import ExecutionContext, task, workflow
from flux.decorators import TaskMetadata


# The document leaves `process_data` undefined; this is the smallest sensible one.
def process_data(data):
    return data[::-1]


# fmt: off
@task.with_options(metadata=True)
async def metadata_aware_task(data, metadata: TaskMetadata = {}):
    print(f"Task ID: {metadata.task_id}")
    print(f"Task Name: {metadata.task_name}")
    return process_data(data)
# fmt: on


@workflow
async def metadata_workflow(ctx: ExecutionContext[str]):
    return await metadata_aware_task(ctx.input)


if __name__ == "__main__":
    result = metadata_workflow.run("flux")
    print(f"Output: {result.output}")  # xulf
