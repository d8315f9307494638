"""Batch runner: failures are isolated and reported, outputs are written atomically."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from batch_support import plain_tqdm, run_batch  # noqa: F401  (plain_tqdm: autouse)

from coopstats.batch import RunResult, RunSpec, run_one, summary_lines

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("value = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = KERNELSPEC
    nbformat.write(nb, path)
    return path


def test_one_failure_does_not_stop_the_others_and_is_named():
    specs = [RunSpec(n, Path("x.ipynb"), Path(f"{n}.ipynb")) for n in ("a", "b", "c")]

    def runner(spec: RunSpec) -> RunResult:
        if spec.name == "b":
            return RunResult(spec, "failed", 0.1, "ValueError: broken county")
        return RunResult(spec, "ok", 0.2)

    results = run_batch(specs, runner=runner, progress=False)
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    text = "\n".join(summary_lines(results))
    assert "2 ok, 1 feilet" in text
    assert "FEILET b: ValueError: broken county" in text


def test_real_papermill_run_is_atomic_and_keeps_failed_notebook(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "result = value * 2\nprint(result)")
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('fylke mangler data')")
    out = tmp_path / "out"

    ok = run_one(RunSpec("good", good, out / "good.ipynb", {"value": 21}))
    failed = run_one(RunSpec("bad", bad, out / "bad.ipynb", {}))

    assert ok.status == "ok", ok.error
    executed = nbformat.read(out / "good.ipynb", as_version=4)
    nbformat.validate(executed)
    assert any("42" in o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert failed.status == "failed"
    assert "fylke mangler data" in failed.error
    assert not (out / "bad.ipynb").exists(), "a failed run must not leave a trusted output"
    assert (out / "bad.failed.ipynb").exists(), "the failed notebook is kept for inspection"
    assert not list(out.glob(".*.tmp.ipynb"))


def test_a_second_batch_over_the_same_run_is_refused(tmp_path):
    import fcntl

    from coopstats.batch import BatchSettings

    nb = _notebook(tmp_path / "nb.ipynb", "print(value)")
    out = tmp_path / "out" / "nb.ipynb"
    out.parent.mkdir()
    stale = out.parent / ".nb.999-1.tmp.ipynb"
    stale.write_text("{", encoding="utf-8")
    (out.parent / ".coopstats").mkdir()
    with open(out.parent / ".coopstats" / "nb.ipynb.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RuntimeError, match="en annen `coopstats run` kjører nb"):
            run_batch([RunSpec("nb", nb, out)], BatchSettings(jobs=1), progress=False)
    assert stale.exists(), "a running batch's temporary file is left alone"


# --------------------------------------------------------------------------- failure paths


PEOPLE = "person_id,unit_id,trial_id\nP1,nav-a,trial-a\n"


def _cached_spec(tmp_path: Path) -> RunSpec:
    """A run whose cache key covers ``participants.csv`` (whole file)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "participants.csv").write_text(PEOPLE, encoding="utf-8")
    nb = _notebook(tmp_path / "nb.ipynb", "print(value)")
    return RunSpec(
        "run-a", nb, tmp_path / "out" / "run-a.ipynb", {}, inputs=("participants",), data_dir=data
    )


class _Runner:
    """A runner that writes ``content`` as the output, or fails without touching it."""

    def __init__(self, content: str = "", *, fail: bool = False) -> None:
        self.content, self.fail, self.calls = content, fail, 0

    def __call__(self, spec: RunSpec) -> RunResult:
        self.calls += 1
        if self.fail:
            return RunResult(spec, "failed", 0.1, "ValueError: fylke mangler data")
        spec.output.parent.mkdir(parents=True, exist_ok=True)
        spec.output.write_text(self.content, encoding="utf-8")
        return RunResult(spec, "ok", 0.1)


def test_a_failed_run_never_makes_an_older_output_valid_for_new_inputs(tmp_path):
    spec = _cached_spec(tmp_path)
    first = run_batch([spec], runner=_Runner('{"run": 1}'), progress=False)
    assert [(r.status, r.cached) for r in first] == [("ok", False)]
    # new data arrives and the run fails: the output of the old data stays on disk ...
    people = spec.data_dir / "participants.csv"
    people.write_text(PEOPLE + "P2,nav-a,trial-a\n", encoding="utf-8")
    failed = run_batch([spec], runner=_Runner(fail=True), progress=False)
    assert [r.status for r in failed] == ["failed"]
    assert spec.output.read_text(encoding="utf-8") == '{"run": 1}'
    # ... but the next batch must execute the run again, not report the old output as cached
    again = _Runner('{"run": 2}')
    results = run_batch([spec], runner=again, progress=False)
    assert again.calls == 1
    assert [(r.status, r.cached) for r in results] == [("ok", False)]
    assert results[0].reason == "no cache record"  # the failed run dropped the old record
    assert "0 mellomlagret, 1 kjørt" in summary_lines(results)[-1]


def test_an_output_tampered_with_at_the_same_size_is_executed_again(tmp_path):
    spec = _cached_spec(tmp_path)
    run_batch([spec], runner=_Runner('{"value": 41}'), progress=False)
    unchanged = _Runner('{"value": 41}')
    assert run_batch([spec], runner=unchanged, progress=False)[0].cached
    assert unchanged.calls == 0
    spec.output.write_text('{"value": 42}', encoding="utf-8")  # same size, other bytes
    rerun = _Runner('{"value": 41}')
    results = run_batch([spec], runner=rerun, progress=False)
    assert rerun.calls == 1
    assert not results[0].cached
    assert results[0].reason == "output differs from the recorded one"
    assert "nei (resultatet er endret)" in summary_lines(results)[1]


# --------------------------------------------------------------------------- atomic writes


def _half_then(exc: BaseException):
    """A papermill file writer that writes half of the notebook, then fails with ``exc``."""

    def write(self, buf, path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(buf[: len(buf) // 2])
        raise exc

    return write


def test_run_one_replaces_the_output_by_a_rename(tmp_path):
    """A reader that opened the old output while the run wrote still reads the old complete
    file, and the new output is a new file: the output was never written in place."""
    good = _notebook(tmp_path / "good.ipynb", "result = value * 2\nprint(result)")
    out = tmp_path / "out" / "good.ipynb"
    out.parent.mkdir()
    old = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    out.write_bytes(old)
    old_inode = out.stat().st_ino
    with open(out, "rb") as reader:
        result = run_one(RunSpec("good", good, out, {"value": 21}))
        assert result.status == "ok", result.error
        assert reader.read() == old
    assert out.stat().st_ino != old_inode
    executed = nbformat.read(out, as_version=4)
    assert any("42" in o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert not list(out.parent.glob(".*.tmp.ipynb"))


def test_run_one_crash_while_writing_keeps_the_old_output(tmp_path, monkeypatch):
    """The process dies half-way through writing the notebook (simulated by an exception no
    handler catches): the old output is intact, the half-written file is only a temporary
    file, and the next run replaces it without leaving a partial file behind."""
    import papermill.iorw

    good = _notebook(tmp_path / "good.ipynb", "result = value * 2\nprint(result)")
    out = tmp_path / "out" / "good.ipynb"
    out.parent.mkdir()
    old = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    out.write_bytes(old)
    spec = RunSpec("good", good, out, {"value": 21})
    with monkeypatch.context() as patch:
        patch.setattr(papermill.iorw.LocalHandler, "write", _half_then(KeyboardInterrupt()))
        with pytest.raises(KeyboardInterrupt):
            run_one(spec)
    assert out.read_bytes() == old
    partial = [p for p in out.parent.iterdir() if p != out]
    assert partial and all(p.name.startswith(".good.") for p in partial)
    assert all(p.name.endswith(".tmp.ipynb") for p in partial)

    assert run_one(spec).status == "ok"
    nbformat.validate(nbformat.read(out, as_version=4))
    assert sorted(p.name for p in out.parent.iterdir()) == ["good.ipynb"]


def test_a_forced_run_that_fails_leaves_no_trusted_output(tmp_path):
    """The inputs did not change but a forced run fails (for a reason outside the cache key):
    the old output's record must not survive it, or the next batch reports it as cached."""
    from coopstats.batch import BatchSettings

    spec = _cached_spec(tmp_path)
    run_batch([spec], runner=_Runner('{"run": 1}'), progress=False)
    forced = BatchSettings(jobs=1, force=True)
    (failed,) = run_batch([spec], forced, runner=_Runner(fail=True), progress=False)
    assert (failed.status, failed.reason) == ("failed", "forced")
    again = _Runner('{"run": 2}')
    results = run_batch([spec], runner=again, progress=False)
    assert again.calls == 1 and not results[0].cached


def test_run_one_failing_over_an_old_output_removes_it_and_its_record(tmp_path):
    """As in a batch: the failed notebook is kept, the out-of-date output and its record go."""
    from coopstats import cache

    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('fylke mangler data')")
    out = tmp_path / "out" / "bad.ipynb"
    out.parent.mkdir()
    out.write_text('{"cells": []}', encoding="utf-8")
    cache.write_record(out, {"k": 1})
    result = run_one(RunSpec("bad", bad, out, {}))
    assert result.status == "failed"
    assert result.failed_notebook == out.with_name("bad.failed.ipynb")
    assert not out.exists()
    assert cache.read_record(out) is None
