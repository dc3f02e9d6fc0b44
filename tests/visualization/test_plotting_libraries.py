"""Without plotly or matplotlib installed, the plots raise a named error saying what to install."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# sys.modules[name] = None makes `import name` raise ImportError, as when it is not installed.
SCRIPT = """
import json, sys
sys.modules["plotly"] = None
sys.modules["matplotlib"] = None
import hpo_queue as optuna
from hpo_queue.exceptions import MissingDependencyError
study = optuna.create_study()
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
report = {"available": [optuna.visualization.is_available(),
                        optuna.visualization.matplotlib.is_available()]}
for name, plot in (("plotly", optuna.visualization.plot_optimization_history),
                   ("matplotlib", optuna.visualization.matplotlib.plot_slice)):
    try:
        plot(study)
    except MissingDependencyError as exc:
        report[name] = [str(exc), isinstance(exc, ImportError)]
# The SVG plots and importances need neither library.
report["svg"] = optuna.visualization.svg.render_plot("history", study.trials, study.directions)[:4]
report["importance"] = sorted(optuna.importance.get_param_importances(study))
print(json.dumps(report))
"""


def test_missing_plotting_libraries_are_named_errors_naming_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["available"] == [False, False]
    message, is_import_error = report["plotly"]
    assert "pip install 'hpo-queue[plotly]'" in message and is_import_error
    assert "pip install 'hpo-queue[matplotlib]'" in report["matplotlib"][0]
    assert report["svg"] == "<svg"
    assert report["importance"] == ["x"]


@pytest.mark.parametrize("module", ["plotly", "matplotlib", "pandas"])
def test_importing_hpo_queue_visualization_loads_no_plotting_library(module: str) -> None:
    code = (
        "import sys, hpo_queue.visualization, hpo_queue.visualization.matplotlib, "
        f"hpo_queue.importance; print({module!r} in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
