"""Built-in tasks and composition helpers (flux-core import path: `flux.tasks`)."""

from flux.tasks.builtins import choice, now, randint, randrange, sleep, uuid4
from flux.tasks.call import call
from flux.tasks.graph import Graph
from flux.tasks.parallel import parallel, pipeline
from flux.tasks.pause import pause
from flux.tasks.progress import progress

__all__ = [
    "Graph",
    "call",
    "choice",
    "now",
    "parallel",
    "pause",
    "pipeline",
    "progress",
    "randint",
    "randrange",
    "sleep",
    "uuid4",
]
