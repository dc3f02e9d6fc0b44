"""The built wheel alone runs workers: `celery -A hpo_queue.worker worker` outside any checkout.

The wheel is built from this checkout and installed into a directory of its own; the worker
starts in a directory that holds a user's own `workers` package (which must never be
imported) and the objective module, and runs trials that a coordinator submits.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.settings import Settings
from tests.support.worker_processes import stop_processes, worker_command, worker_logs

pytestmark = [pytest.mark.worker, pytest.mark.slow]

CHECKOUT = Path(hq.__file__).resolve().parent.parent

OBJECTIVE = textwrap.dedent(
    """
    import hpo_queue

    def objective(trial):
        trial.set_user_attr("library", hpo_queue.__file__)
        x = trial.suggest_float("x", -5, 5)
        return (x - 1) ** 2
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(CHECKOUT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("hpo_queue-*.whl")
    return built


def test_the_wheel_installs_no_top_level_package_but_hpo_queue(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {
        name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")
    }
    assert top_level == {"hpo_queue"}
    assert "hpo_queue/worker/__init__.py" in names
    assert any(name.startswith("hpo_queue/storages/_rdb/migrations/") for name in names)


def test_a_worker_from_the_installed_wheel_runs_submitted_trials(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    workdir = tmp_path / "project"
    (workdir / "workers").mkdir(parents=True)
    (workdir / "workers" / "__init__.py").write_text("raise SystemExit('the user workers ran')\n")
    (workdir / "wheel_objectives.py").write_text(OBJECTIVE)
    storage = f"sqlite:///{workdir / 'study.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    env.update(
        PYTHONPATH=str(site),  # ahead of the checkout's editable install
        HPO_STORAGE_URL=storage,  # no broker URL: the embedded broker beside study.db
        HPO_OBJECTIVE_MODULES="wheel_objectives",
    )
    study = hq.create_study(
        study_name="from-the-wheel", storage=storage, settings=Settings(storage_url=storage)
    )
    with open(workdir / "worker-0.log", "wb") as log:
        worker = subprocess.Popen(
            worker_command(1, "wheel"),
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        job = study.submit("wheel_objectives:objective", n_trials=3)
        counts = job.wait(timeout=120)
        assert counts == {"COMPLETE": 3}, worker_logs(workdir)
    finally:
        stop_processes([worker])
    libraries = {trial.user_attrs["library"] for trial in study.trials}
    assert len(libraries) == 1
    assert Path(libraries.pop()).is_relative_to(site)  # the wheel's copy, not the checkout
    assert "the user workers ran" not in (workdir / "worker-0.log").read_text()
