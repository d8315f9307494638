"""Shared by the batch tests: a run_batch that fails a test instead of stopping pytest, and
tqdm without the thread and lock that hang forked mutation runs."""

from __future__ import annotations

import threading

import pytest
from tqdm import std

from coopstats import batch
from coopstats.batch import RunResult


def run_batch(*args, **kwargs) -> list[RunResult]:
    """coopstats.batch.run_batch, with an unexpected BatchInterrupted (a KeyboardInterrupt,
    which would stop pytest itself) turned into a plain test failure."""
    try:
        return batch.run_batch(*args, **kwargs)
    except batch.BatchInterrupted as exc:
        raise AssertionError(f"batch interrupted: {exc.results}") from None


@pytest.fixture(autouse=True)
def plain_tqdm(monkeypatch):
    """tqdm without its monitor thread and its lock shared between processes (every bar takes
    both, even a hidden one): they outlive the test, and mutation testing forks a process per
    mutant, which then waits for ever for a lock held at the fork or by a process it killed."""
    monkeypatch.setattr(std.tqdm, "monitor_interval", 0)
    monkeypatch.setattr(batch.tqdm, "_lock", threading.RLock(), raising=False)
