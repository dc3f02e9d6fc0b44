"""An objective and driver written for Optuna run unchanged with `import hpo_queue as optuna`."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

OPTUNA_SCRIPT = textwrap.dedent(
    """
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)


    def objective(trial: optuna.Trial) -> float:
        classifier = trial.suggest_categorical("classifier", ["svc", "forest"])
        if classifier == "svc":
            c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
            score = 1.0 - abs(c - 1.0) / (1.0 + c)
        else:
            depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
            score = 1.0 - abs(depth - 8) / 32
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
        trial.set_user_attr("kind", classifier)
        for epoch in range(5):
            trial.report(score * (epoch + 1) / 5 - dropout / 10 - lr, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return score - dropout / 10 - lr


    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=10),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
    )
    study.enqueue_trial({"classifier": "forest", "rf_max_depth": 8, "lr": 1e-5, "dropout": 0.0})
    study.optimize(objective, n_trials=40, timeout=600)

    pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert isinstance(study.best_trial.distributions["lr"], optuna.distributions.FloatDistribution)
    result = {
        "n_trials": len(study.trials),
        "n_pruned": len(pruned),
        "n_complete": len(complete),
        "best_value": study.best_value,
        "best_params": study.best_params,
        "first": study.trials[0].params,
        "kinds": {t.user_attrs["kind"] for t in study.trials},
    }
    """
)


def test_an_optuna_script_runs_with_hpo_queue_imported_as_optuna() -> None:
    import hpo_queue

    namespace: dict[str, object] = {}
    code = compile(OPTUNA_SCRIPT, "<optuna script>", "exec")
    modules = {"optuna": hpo_queue, "optuna.trial": hpo_queue.trial}
    import sys

    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)  # type: ignore[arg-type]
    try:
        exec(code, namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        hpo_queue.logging.set_verbosity(hpo_queue.logging.INFO)
    result = namespace["result"]
    assert isinstance(result, dict)
    assert result["n_trials"] == 40
    assert result["n_pruned"] + result["n_complete"] == 40
    assert result["n_pruned"] > 0  # MedianPruner acted on reports
    assert result["first"] == {
        "classifier": "forest",
        "rf_max_depth": 8,
        "lr": 1e-5,
        "dropout": 0.0,
    }
    assert result["best_value"] > 0.9
    assert result["kinds"] == {"svc", "forest"}


def test_a_foreign_trial_pruned_exception_prunes() -> None:
    # Optuna's own optuna.TrialPruned, raised by unchanged code, is recognised by name.
    import hpo_queue as hq

    class TrialPruned(Exception):
        pass

    def objective(trial: hq.Trial) -> float:
        trial.report(1.0, 0)
        raise TrialPruned()

    study = hq.create_study()
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [hq.TrialState.PRUNED] * 2


def test_trials_dataframe_columns() -> None:
    import hpo_queue as hq

    study = hq.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("n", 1, 3)), n_trials=3)
    records = hq.study.trial_records(study)
    assert [r["number"] for r in records] == [0, 1, 2]
    assert {"values_0", "values_1", "params_x", "params_n", "state", "duration"} <= set(records[0])
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(ImportError, match="pip install pandas"):
            study.trials_dataframe()
    else:
        frame = study.trials_dataframe()
        assert list(frame["number"]) == [0, 1, 2]
