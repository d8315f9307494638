"""Batch runner: failures are isolated and reported, outputs are written atomically."""

from __future__ import annotations

from pathlib import Path

import nbformat

from coopstats.batch import RunResult, RunSpec, run_batch, run_one, summary_lines

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

    import pytest

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
