"""Test-wide settings: no display, no W&B network, one torch thread (CI has 2 cores)."""

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# One torch thread in every test and every training it starts: pytest-xdist already runs one worker per core, and
# the tests' tiny networks run fastest on one thread (the default suite took 7% less time on 2 cores).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny networks run fastest on one torch thread; the old setting is put back for other test modules
    (a module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``)."""
    import torch  # here, not at collection: most test modules never touch torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The files whose tests train the most (their summed durations, longest first, from `pytest --durations=0`). With
# one file per worker (--dist loadfile) the suite ends when the last file does: handed out first, the long files
# run while the short ones fill the gaps, instead of one of them starting last and running alone (6m00s -> 5m52s
# on 2 cores, docs/performance.md).
LONGEST_FIRST = ["test_compare.py", "test_train.py", "test_resume_identical.py", "test_faults.py", "test_report.py",
                 "test_bad_input.py", "test_ray.py", "test_contributing.py"]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's own order is kept
