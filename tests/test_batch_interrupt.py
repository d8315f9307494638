"""Interrupted batches: killed or stopped midway, the next batch trusts only finished runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from coopstats.cli import main

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)"),
]

SLOW = """import os, time
if os.path.exists(os.path.join(data_dir, "SLOW-" + unit)):
    time.sleep(120)
print("done", unit)"""
UNITS = ["u1", "u2", "u3", "u4"]

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _project(tmp_path: Path) -> tuple[list[str], Path, Path]:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('unit = "x"\ndata_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(SLOW)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "slow.ipynb")
    config = {
        "jobs": 1,
        "preload": [],
        "notebooks": [
            {
                "name": "slow",
                "notebook": "notebooks/slow.ipynb",
                "each": {"unit": UNITS},
                "output": "slow-{unit}.ipynb",
                "parameters": {"unit": "{unit}", "data_dir": "{data_dir}"},
                "inputs": ["participants"],
                "rows": "unit",
            }
        ],
    }
    (tmp_path / "runs.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    rows = "".join(f"P{i},{u},\n" for i, u in enumerate(UNITS))
    (data / "participants.csv").write_text("person_id,unit_id,trial_id\n" + rows, encoding="utf-8")
    argv = ["run", "--config", str(tmp_path / "runs.yaml"), "--data", str(data), "--no-progress"]
    return argv, data, tmp_path / "_build" / "notebooks"


def _start(argv: list[str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "coopstats.cli", *argv]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the batch")
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _record(out: Path, unit: str) -> Path:
    return out / ".coopstats" / f"slow-{unit}.ipynb.cache.json"


def test_killed_batch_keeps_finished_runs_and_trusts_no_partial_file(tmp_path, capsys):
    argv, data, out = _project(tmp_path)
    (data / "SLOW-u3").touch()
    proc = _start(argv)
    try:
        _wait_for(lambda: _record(out, "u2").exists())
        _wait_for(lambda: bool(_children(proc.pid)))
        kernels = _children(proc.pid)
        time.sleep(0.5)  # u3 is now sleeping inside its cell
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    for unit in ("u1", "u2"):
        nbformat.validate(nbformat.read(out / f"slow-{unit}.ipynb", as_version=4))
    assert not (out / "slow-u3.ipynb").exists(), "the runner never writes the final name early"
    _wait_for(lambda: not any(_alive(k) for k in kernels), timeout=15)  # kernels follow

    # debris a crash (or a torn copy) could leave: neither may be trusted
    (out / "slow-u3.ipynb").write_text('{"cells": [{"cell_type": "code", "sou', encoding="utf-8")
    (out / ".slow-u4.4242-1.tmp.ipynb").write_text('{"cells": [', encoding="utf-8")
    (data / "SLOW-u3").unlink()
    assert main(argv) == 0
    text = capsys.readouterr().out
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("slow-")}
    assert lines["slow-u1"].endswith("ja") and lines["slow-u2"].endswith("ja")
    assert "nei (ingen post i mellomlageret)" in lines["slow-u3"]
    assert "nei (ny)" in lines["slow-u4"]
    assert "4 ok, 0 feilet; 2 mellomlagret, 2 kjørt" in text
    for unit in UNITS:
        executed = nbformat.read(out / f"slow-{unit}.ipynb", as_version=4)
        assert executed.cells[-1].outputs[0]["text"] == f"done {unit}\n"
    assert not list(out.glob(".*.tmp.ipynb"))


def test_ctrl_c_stops_the_batch_cleanly(tmp_path):
    argv, data, out = _project(tmp_path)
    (data / "SLOW-u2").touch()
    proc = _start(argv)
    try:
        _wait_for(lambda: _record(out, "u1").exists())
        _wait_for(lambda: bool(_children(proc.pid)))
        kernels = _children(proc.pid)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=90)  # 30 s ran out under load
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "avbrutt" in stderr
    lines = {line.split()[0]: line for line in stdout.splitlines() if line.startswith("slow-")}
    assert " ok " in lines["slow-u1"]
    assert " avbrutt " in lines["slow-u2"]
    assert " ikke kjørt " in lines["slow-u3"] and " ikke kjørt " in lines["slow-u4"]
    # only the run that finished counts as executed; the others are named as stopped
    assert "1 ok, 0 feilet, 1 avbrutt, 2 ikke kjørt; 0 mellomlagret, 1 kjørt" in stdout
    assert (out / "slow-u1.ipynb").exists()
    assert not (out / "slow-u2.ipynb").exists()
    assert not list(out.glob(".*.tmp.ipynb"))
    assert not any(_alive(k) for k in kernels)
    assert os.path.exists(_record(out, "u1"))
