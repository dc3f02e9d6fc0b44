"""Importing hpo-queue loads no slow optional machinery: every process pays for what it imports.

Counted by module, not by time: SciPy and cmaes (about a second of CPU together) are loaded
only by the samplers and pruners that use them, at their first use.
"""

from __future__ import annotations

import json
import subprocess
import sys

REPORT = """
import json, sys
import hpo_queue, hpo_queue.cli, hpo_queue.samplers, hpo_queue.pruners
before = {m.split(".")[0] for m in sys.modules}
hpo_queue.samplers.GPSampler(seed=0).sample_independent  # a class, not yet a use
study = hpo_queue.create_study(sampler=hpo_queue.samplers.QMCSampler(seed=0))
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
after = {m.split(".")[0] for m in sys.modules}
heavy = {"scipy", "cmaes", "alembic", "celery", "plotly", "matplotlib", "pandas"}
print(json.dumps({"before": sorted(before & heavy),
                  "after": sorted(after & {"scipy", "cmaes"})}))
"""


def test_importing_the_library_loads_neither_scipy_nor_cmaes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", REPORT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "scipy" not in report["before"] and "cmaes" not in report["before"]
    assert "alembic" not in report["before"]  # only `hpo-queue storage upgrade` needs it
    # The plot_* functions import their plotting library at the first plot.
    assert not {"plotly", "matplotlib", "pandas"} & set(report["before"])
    assert report["after"] == ["scipy"]  # the QMC sampler loaded it when it first sampled
