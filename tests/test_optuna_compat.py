"""An objective and driver written for Optuna run unchanged with `import hpo_queue as optuna`."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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


# -- scripts written for Optuna, run in their own process with only the import changed --------


def as_hpo_queue(script: str) -> str:
    """An Optuna script with its imports pointed at hpo_queue, and nothing else changed."""
    return (
        textwrap.dedent(script)
        .replace("import optuna\n", "import hpo_queue as optuna\n")
        .replace("from optuna.", "from hpo_queue.")
        .replace("from optuna import", "from hpo_queue import")
    )


def run_script(tmp_path: Path, script: str, *args: str, name: str = "script.py") -> str:
    """Run the ported script with this checkout on the path; its stdout."""
    path = tmp_path / name
    path.write_text(as_hpo_queue(script))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# Optuna's "easy parallelization" guide: each process loads the study and stops at 10
# COMPLETE trials between them. Optuna may overshoot by up to one trial per process.
PARALLEL_SCRIPT = """
import random
import sys
import time

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    time.sleep(random.random() * 0.05)
    draw = random.random()
    if draw < 0.3:
        raise optuna.TrialPruned()
    if draw < 0.5:
        raise ValueError("a failing objective")
    return (x - 2) ** 2


STATES = {
    "complete": (TrialState.COMPLETE,),
    "complete+fail": (TrialState.COMPLETE, TrialState.FAIL),
    "all": None,
}

if __name__ == "__main__":
    study = optuna.load_study(study_name="parallel", storage=sys.argv[1])
    study.optimize(
        objective,
        n_trials=50,
        n_jobs=2,
        catch=(ValueError,),
        callbacks=[MaxTrialsCallback(10, states=STATES[sys.argv[2]])],
    )
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("states", "counted"),
    [
        ("complete", ("COMPLETE",)),
        ("complete+fail", ("COMPLETE", "FAIL")),
        ("all", ("COMPLETE", "FAIL", "PRUNED")),
    ],
)
def test_max_trials_callback_is_exact_however_many_processes_race(
    tmp_path: Path, sqlite_url: str, states: str, counted: tuple[str, ...]
) -> None:
    import hpo_queue as hq

    study = hq.create_study(study_name="parallel", storage=sqlite_url)
    path = tmp_path / "parallel.py"
    path.write_text(as_hpo_queue(PARALLEL_SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    processes = [
        subprocess.Popen(
            [sys.executable, str(path), sqlite_url, states], env=env, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, err.decode()[-3000:]
    counts = study.storage.count_trials_by_state(study.study_id)
    assert sum(counts.get(hq.TrialState[name], 0) for name in counted) == 10, counts
    assert hq.TrialState.RUNNING not in counts


def test_max_trials_callback_counts_every_state_with_states_none() -> None:
    import hpo_queue as hq

    def objective(trial: hq.Trial) -> float:
        if trial.number % 3 == 0:
            raise hq.TrialPruned()
        if trial.number % 3 == 1:
            raise ValueError("a failing objective")
        return trial.suggest_float("x", 0, 1)

    study = hq.create_study()
    # Three threads race: a failing trial frees no slot, since the cap counts FAIL too.
    study.optimize(
        objective,
        n_jobs=3,
        catch=(ValueError,),
        callbacks=[hq.study.MaxTrialsCallback(7, states=None)],
    )
    assert len(study.trials) == 7


def test_study_stop_from_a_callback_ends_optimize() -> None:
    import hpo_queue as hq

    def stop_at_three(study: hq.Study, trial: hq.FrozenTrial) -> None:
        if trial.number == 2:
            study.stop()

    study = hq.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20, callbacks=[stop_at_three])
    assert len(study.trials) == 3


RETRY_SCRIPT = """
import optuna
from optuna.storages import RetryFailedTrialCallback

storage = optuna.storages.RDBStorage(
    url="sqlite:///retry.db",
    heartbeat_interval=60,
    grace_period=120,
    failed_trial_callback=RetryFailedTrialCallback(max_retry=3),
)
study = optuna.create_study(storage=storage, study_name="retry")
trial = study.ask()
trial.suggest_float("x", 0, 1)
print(RetryFailedTrialCallback.retried_trial_number(trial.study.trials[0]))
print(storage.lost_trial_max_retries)
"""


def test_retry_failed_trial_callback_sets_how_often_lost_trials_rerun(tmp_path: Path) -> None:
    import hpo_queue as hq

    assert run_script(tmp_path, RETRY_SCRIPT).split() == ["None", "3"]

    def lose_the_store(trial: hq.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise hq.exceptions.StorageError("the store went away")  # a lost trial, re-run

    for max_retry, expected in ((1, 2), (3, 3)):
        storage = hq.storages.RDBStorage(
            f"sqlite:///{tmp_path / f'lost{max_retry}.db'}",
            failed_trial_callback=hq.storages.RetryFailedTrialCallback(max_retry=max_retry),
        )
        study = hq.create_study(storage=storage)
        study.optimize(lose_the_store, n_trials=2, catch=(hq.exceptions.StorageError,))
        trials = study.trials
        assert len(trials) == expected  # the third is the WAITING retry that max_retry allows
        retry = trials[1]
        assert hq.storages.RetryFailedTrialCallback.retried_trial_number(retry) == 0
        assert hq.storages.RetryFailedTrialCallback.retry_history(retry) == [0]
        assert retry.params == trials[0].params


def test_unsupported_storage_arguments_are_named_errors(tmp_path: Path) -> None:
    import hpo_queue as hq

    with pytest.raises(hq.exceptions.UnsupportedArgumentError, match="engine_kwargs"):
        hq.storages.RDBStorage(f"sqlite:///{tmp_path / 'a.db'}", engine_kwargs={"echo": True})
    with pytest.raises(hq.exceptions.UnsupportedArgumentError, match="RetryFailedTrialCallback"):
        hq.storages.RDBStorage(f"sqlite:///{tmp_path / 'a.db'}", failed_trial_callback=print)


CONSTRAINED_SCRIPT = """
import optuna


def objective(trial):
    x = trial.suggest_float("x", -15, 30)
    y = trial.suggest_float("y", -15, 30)
    trial.set_user_attr("constraint", (x - 5) ** 2 + y**2 - 25)
    return x**2 + y**2


def constraints(trial):
    return [trial.user_attrs["constraint"]]


sampler = optuna.samplers.TPESampler(
    n_startup_trials=5,
    multivariate=True,
    group=False,
    constant_liar=True,
    consider_endpoints=True,
    prior_weight=None,
    consider_magic_clip=None,
    warn_independent_sampling=False,
    constraints_func=constraints,
    seed=0,
)
study = optuna.create_study(sampler=sampler)
study.optimize(objective, n_trials=20)
print(len(study.trials), study.best_trial.system_attrs.get("constraints", "stored"))
print(all(t.constraints is not None for t in study.trials))
"""


def test_tpe_sampler_takes_optunas_arguments(tmp_path: Path) -> None:
    assert run_script(tmp_path, CONSTRAINED_SCRIPT).split()[-1] == "True"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gamma": lambda n: n // 10}, "gamma"),
        ({"weights": lambda n: [1.0] * n}, "weights"),
        ({"group": True}, "group"),
        ({"consider_prior": False}, "consider_prior"),
        ({"n_startup_trails": 3}, "unknown argument 'n_startup_trails'"),
    ],
)
def test_unsupported_sampler_arguments_are_named_errors(
    kwargs: dict[str, object], match: str
) -> None:
    import hpo_queue as hq

    with pytest.raises(hq.exceptions.UnsupportedArgumentError, match=match):
        hq.samplers.TPESampler(**kwargs)  # type: ignore[arg-type]


# Optuna's "User-Defined Sampler" tutorial (SimulatedAnnealingSampler), and a user's pruner.
USER_SAMPLER_SCRIPT = """
import numpy as np
import optuna


class SimulatedAnnealingSampler(optuna.samplers.BaseSampler):
    def __init__(self, temperature=100, seed=None):
        self._rng = np.random.RandomState(seed)
        self._temperature = temperature
        self._current_trial = None
        self._independent_sampler = optuna.samplers.RandomSampler(seed=seed)
        self.calls = {"before": 0, "after": 0}

    def before_trial(self, study, trial):
        self.calls["before"] += 1

    def after_trial(self, study, trial, state, values):
        self.calls["after"] += 1

    def sample_relative(self, study, trial, search_space):
        if search_space == {}:
            return {}
        prev_trial = study.trials[-2]
        if self._current_trial is None or prev_trial.value <= self._current_trial.value:
            probability = 1.0
        else:
            probability = np.exp(
                (self._current_trial.value - prev_trial.value) / self._temperature
            )
        self._temperature *= 0.9
        if self._rng.uniform(0, 1) < probability:
            self._current_trial = prev_trial
        params = {}
        for param_name, param_distribution in search_space.items():
            if not isinstance(param_distribution, optuna.distributions.FloatDistribution):
                raise NotImplementedError("Only suggest_float() is supported")
            current_value = self._current_trial.params[param_name]
            width = (param_distribution.high - param_distribution.low) * 0.1
            neighbor_low = max(current_value - width, param_distribution.low)
            neighbor_high = min(current_value + width, param_distribution.high)
            params[param_name] = self._rng.uniform(neighbor_low, neighbor_high)
        return params

    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_independent(self, study, trial, param_name, param_distribution):
        independent_sampler = optuna.samplers.RandomSampler()
        return independent_sampler.sample_independent(study, trial, param_name, param_distribution)


class LastValuePruner(optuna.pruners.BasePruner):
    def prune(self, study, trial):
        step = trial.last_step
        if step is None:
            return False
        completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return len(completed) >= 3 and trial.intermediate_values[step] > study.best_value * 10


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -5, 5)
    trial.report(x**2 + y, 0)
    if trial.should_prune():
        raise optuna.TrialPruned()
    return x**2 + y


sampler = SimulatedAnnealingSampler(seed=1)
study = optuna.create_study(sampler=sampler, pruner=LastValuePruner())
study.optimize(objective, n_trials=30)
trial = study.ask()
trial.suggest_float("x", -10, 10)
study.tell(trial, 1.0)
print(len(study.trials), sampler.calls["before"], sampler.calls["after"])
print(study.best_value < 5)
try:
    study.submit("objectives:objective", n_trials=1)
except optuna.exceptions.InvalidInputError as exc:
    print("refused:", exc)
"""


def test_a_user_sampler_and_pruner_written_for_optuna_run(tmp_path: Path) -> None:
    lines = run_script(tmp_path, USER_SAMPLER_SCRIPT).splitlines()
    assert lines[0] == "31 31 31"
    assert lines[1] == "True"
    assert lines[2].startswith("refused: Workers cannot rebuild the study's sampler")
    assert "__main__" in lines[2]


def test_a_user_sampler_is_stored_by_reference_and_rebuilt(sqlite_url: str) -> None:
    import hpo_queue as hq
    from tests.support.user_samplers import HalfRandomSampler

    study = hq.create_study(storage=sqlite_url, sampler=HalfRandomSampler(scale=0.5))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert all(t.params["x"] <= 0.5 for t in study.trials)
    again = hq.load_study(study_name=study.study_name, storage=sqlite_url)
    assert isinstance(again.sampler, HalfRandomSampler) and again.sampler.scale == 0.5
    stored = study.storage.get_study(study.study_name).sampler_config
    assert stored == {
        "name": "tests.support.user_samplers:HalfRandomSampler",
        "kwargs": {"scale": 0.5},
    }


def test_a_study_whose_user_sampler_cannot_be_imported_stays_readable(sqlite_url: str) -> None:
    import hpo_queue as hq

    storage = hq.storages.get_storage(sqlite_url)
    storage.create_study(
        "elsewhere",
        (hq.StudyDirection.MINIMIZE,),
        {"name": "not_here:Sampler", "kwargs": {}},
        hq.pruners.NopPruner().to_config(),
        None,
    )
    study = hq.load_study(study_name="elsewhere", storage=sqlite_url)
    assert study.trials == []
    with pytest.raises(hq.exceptions.ConfigError, match="not_here:Sampler"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_intersection_search_space() -> None:
    import hpo_queue as hq

    study = hq.create_study()
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + t.suggest_int(f"n{t.number % 2}", 0, 3), n_trials=4
    )
    space = hq.search_space.intersection_search_space(study.trials)
    assert list(space) == ["x"]
    assert hq.search_space.IntersectionSearchSpace().calculate(study) == space


# Optuna's WilcoxonPruner docstring example (instances as steps), and PatientPruner's.
WILCOXON_SCRIPT = """
import numpy as np
import optuna

problems = list(range(20))
rng = np.random.default_rng(0)
noise = rng.normal(size=len(problems))


def evaluate(x, problem):
    return (x - 2) ** 2 + noise[problem] + problem / 10


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    results = []
    for i, problem in enumerate(np.random.default_rng(trial.number).permutation(problems)):
        result = evaluate(x, int(problem))
        results.append(result)
        trial.report(result, int(problem))
        if trial.should_prune():
            return sum(results) / len(results)
    return sum(results) / len(results)


study = optuna.create_study(
    sampler=optuna.samplers.RandomSampler(seed=0),
    pruner=optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=3),
)
study.optimize(objective, n_trials=30)
steps = [len(t.intermediate_values) for t in study.trials]
print(min(steps) < len(problems), max(steps) == len(problems))

patient = optuna.create_study(
    direction="maximize",
    pruner=optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=1),
)


def plateau(trial):
    for step in range(10):
        trial.report(1.0 if step < 3 else 0.5, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return 0.5


patient.optimize(plateau, n_trials=3)
print(sorted({t.state.name for t in patient.trials}))
"""


def test_wilcoxon_and_patient_pruners_as_in_optunas_docs(tmp_path: Path) -> None:
    lines = run_script(tmp_path, WILCOXON_SCRIPT).splitlines()
    assert lines == ["True True", "['COMPLETE']"]


def test_patient_pruner_prunes_a_stalled_trial_without_a_wrapped_pruner() -> None:
    import hpo_queue as hq

    pruner = hq.pruners.PatientPruner(None, patience=2, min_delta=0.1)
    history = hq.trial.TrialHistory((hq.StudyDirection.MINIMIZE,), [])

    def trial(*reports: float) -> hq.FrozenTrial:
        values = dict(enumerate(reports))
        return hq.FrozenTrial(number=0, state=hq.TrialState.RUNNING, intermediate_values=values)

    assert not pruner.prune(history, trial(1.0, 0.9, 0.8))
    assert not pruner.prune(history, trial(1.0, 0.9, 0.8, 0.7))
    assert not pruner.prune(history, trial(1.0, 0.9, 0.95, 0.97, 0.99))  # within min_delta
    assert pruner.prune(history, trial(1.0, 0.9, 1.2, 1.3, 1.25))
    assert hq.pruners.pruner_from_config(pruner.to_config()) == pruner


# Optuna's warm-start recipe: add trials evaluated elsewhere, then optimize on.
WARM_START_SCRIPT = """
import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState

study = optuna.create_study(storage="sqlite:///warm.db", study_name="warm")
study.add_trial(
    optuna.trial.create_trial(
        params={"x": 2.0, "n": 3},
        distributions={"x": FloatDistribution(-10, 10), "n": IntDistribution(1, 5)},
        value=4.0,
        user_attrs={"source": "notebook"},
        intermediate_values={0: 9.0, 1: 4.0},
    )
)
study.add_trials(
    [
        optuna.create_trial(
            params={"x": 1.0, "n": 1},
            distributions={"x": FloatDistribution(-10, 10), "n": IntDistribution(1, 5)},
            value=v,
        )
        for v in (3.0, 5.0)
    ]
)


def objective(trial):
    return (trial.suggest_float("x", -10, 10) - 2) ** 2 + trial.suggest_int("n", 1, 5)


study.optimize(objective, n_trials=3)
first = study.trials[0]
complete = study.get_trials(deepcopy=True, states=(TrialState.COMPLETE,))
print(len(study.trials), len(complete), first.params, first.user_attrs["source"])
ordered = first.datetime_complete >= first.datetime_start
print(dict(first.intermediate_values), first.duration is not None, ordered)
print(study.best_value <= 3.0)
"""


def test_warm_start_with_create_trial_and_add_trials(tmp_path: Path) -> None:
    lines = run_script(tmp_path, WARM_START_SCRIPT).splitlines()
    assert lines[0] == "6 6 {'x': 2.0, 'n': 3} notebook"
    assert lines[1] == "{0: 9.0, 1: 4.0} True True"
    assert lines[2] == "True"


def test_optunas_ask_and_tell_cli_as_its_docs_type_it(tmp_path: Path) -> None:
    # From Optuna's CLI docs, with `hpo-queue` in place of `optuna`.
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    def cli(*args: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        done = subprocess.run(
            [sys.executable, "-m", "hpo_queue", *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("create-study", "--storage", url, "--study-name", "demo", "--direction", "minimize")
    space = json.dumps(
        {"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}}
    )
    asked = json.loads(
        cli(
            "ask",
            "--storage",
            url,
            "--study-name",
            "demo",
            "--sampler",
            "TPESampler",
            "--sampler-kwargs",
            '{"multivariate": true}',
            "--search-space",
            space,
            "-f",
            "json",
        )
    )
    assert asked["number"] == 0 and 0.0 <= asked["params"]["x"] <= 1.0
    cli("tell", "--storage", url, "--study-name", "demo", "--trial-number", "0", "--values", "1.5")
    cli(
        "tell",
        "--storage",
        url,
        "--study-name",
        "demo",
        "--trial-number",
        "0",
        "--values",
        "2.5",
        "--skip-if-finished",
    )
    best = json.loads(cli("best-trials", "--storage", url, "--study-name", "demo", "-f", "json"))
    assert [(t["number"], t["value"]) for t in best] == [(0, 1.5)]
    assert json.loads(cli("study-names", "--storage", url, "-f", "json")) == [{"name": "demo"}]
    cli(
        "study",
        "set-user-attr",
        "--storage",
        url,
        "--study-name",
        "demo",
        "--key",
        "team",
        "--value",
        "ml",
    )
    import hpo_queue as hq

    assert hq.load_study(study_name="demo", storage=url).user_attrs == {"team": "ml"}
    if importlib.util.find_spec("yaml") is not None:
        assert "name: demo" in cli("study-names", "--storage", url, "-f", "yaml")


# Optuna's artifacts tutorial (checked with Optuna 5 itself): each trial uploads a file, the
# study a note; the best trial's files are listed and downloaded, as its docs do it.
ARTIFACTS_SCRIPT = """
import os

import optuna
from optuna.artifacts import FileSystemArtifactStore, download_artifact, upload_artifact

optuna.logging.set_verbosity(optuna.logging.WARNING)

base_path = "./artifacts"
os.makedirs(base_path, exist_ok=True)
artifact_store = FileSystemArtifactStore(base_path=base_path)


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    file_path = f"./x-{trial.number}.json"
    with open(file_path, "w") as f:
        f.write(f'{{"x": {x!r}}}')
    artifact_id = upload_artifact(
        artifact_store=artifact_store, file_path=file_path, study_or_trial=trial
    )
    trial.set_user_attr("artifact_id", artifact_id)
    return (x - 2) ** 2


storage = optuna.storages.get_storage("sqlite:///artifacts.db")
study = optuna.create_study(study_name="artifacts", storage=storage)
study.optimize(objective, n_trials=4)
with open("./study-notes.txt", "w") as f:
    f.write("notes on the study")
upload_artifact(artifact_store=artifact_store, file_path="./study-notes.txt", study_or_trial=study)

study = optuna.load_study(study_name="artifacts", storage=storage)
best_trial = study.best_trial
artifact_metas = optuna.artifacts.get_all_artifact_meta(best_trial, storage=storage)
os.makedirs("./best_trial_artifacts", exist_ok=True)
for artifact_meta in artifact_metas:
    download_file_path = os.path.join("./best_trial_artifacts", artifact_meta.filename)
    download_artifact(
        artifact_store=artifact_store,
        artifact_id=artifact_meta.artifact_id,
        file_path=download_file_path,
    )
    with open(download_file_path) as f:
        same = f.read() == f'{{"x": {best_trial.params["x"]!r}}}'
    print(artifact_meta.filename == f"x-{best_trial.number}.json", artifact_meta.mimetype, same)
print([m.filename for m in optuna.artifacts.get_all_artifact_meta(study)])
print(artifact_metas[0].artifact_id == best_trial.user_attrs["artifact_id"])
try:
    artifact_store.open_reader("no-such-artifact")
except optuna.artifacts.exceptions.ArtifactNotFound:
    print("not found")
try:
    artifact_id = artifact_metas[0].artifact_id
    download_artifact(
        artifact_store=artifact_store, file_path=download_file_path, artifact_id=artifact_id
    )
except FileExistsError:
    print("exists")
"""


def test_optunas_artifacts_tutorial_runs_unchanged(tmp_path: Path) -> None:
    lines = run_script(tmp_path, ARTIFACTS_SCRIPT).splitlines()
    assert lines == [
        "True application/json True",
        "['study-notes.txt']",
        "True",
        "not found",
        "exists",
    ]
    assert len(list((tmp_path / "artifacts").iterdir())) == 5  # four trials and the study


# Optuna's visualization tutorial: every plot and the importances, only the import changed.
VISUALIZATION_SCRIPT = """
import matplotlib

matplotlib.use("Agg")

import optuna
from optuna.visualization import plot_contour, plot_optimization_history

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report(x**2 + step, step)
    return (x - 2) ** 2 + lr + (kind == "a")


study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=30)
fig = plot_optimization_history(study)
fig.write_html("history.html")
figures = [
    fig,
    optuna.visualization.plot_intermediate_values(study),
    optuna.visualization.plot_parallel_coordinate(study, params=["x", "lr"]),
    optuna.visualization.plot_param_importances(study),
    optuna.visualization.plot_slice(study),
    plot_contour(study, params=["x", "lr"]),
    optuna.visualization.plot_edf(study),
    optuna.visualization.plot_timeline(study),
    optuna.visualization.plot_rank(study),
]
mo = optuna.create_study(directions=["minimize", "maximize"])
mo.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=10)
figures.append(optuna.visualization.plot_pareto_front(mo, target_names=["loss", "score"]))
print(all(type(f).__name__ == "Figure" for f in figures), len(figures))
ax = optuna.visualization.matplotlib.plot_optimization_history(study)
ax.figure.savefig("history.png")
print(type(ax).__name__, type(optuna.visualization.matplotlib.plot_slice(study)).__name__)
importances = optuna.importance.get_param_importances(study)
print(max(importances, key=importances.get), round(sum(importances.values()), 6))
fanova = optuna.importance.FanovaImportanceEvaluator(seed=0)
print(sorted(optuna.importance.get_param_importances(study, evaluator=fanova)))
print(optuna.visualization.is_available())
"""


def test_optunas_visualization_and_importance_run_with_hpo_queue(tmp_path: Path) -> None:
    out = run_script(tmp_path, VISUALIZATION_SCRIPT).split("\n")
    assert out[0] == "True 10"
    assert out[1] == "Axes ndarray"
    assert out[2] == "x 1.0"  # (x - 2)**2 over [-10, 10] dwarfs lr and kind
    assert out[3] == "['kind', 'lr', 'x']"
    assert out[4] == "True"
    assert (tmp_path / "history.html").stat().st_size > 0
    assert (tmp_path / "history.png").read_bytes()[:4] == b"\x89PNG"


# A study Optuna ran, carried on by the same script once ported: one line imports it.
CONTINUE_OPTUNA_STUDY_SCRIPT = """
import sys
import optuna

study = optuna.import_optuna_study(
    from_storage=sys.argv[1], study_name="legacy", storage=sys.argv[2]
)
best_before = study.best_value


def objective(trial):
    return (trial.suggest_float("x", -10, 10) - 2) ** 2


study.optimize(objective, n_trials=5)
print([t.number for t in study.trials], study.best_value <= best_before)
"""


def test_a_study_run_by_optuna_is_imported_and_continued(tmp_path: Path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    legacy = optuna.create_study(storage=source, study_name="legacy")
    legacy.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=10)
    target = f"sqlite:///{tmp_path / 'hq.db'}"
    out = run_script(tmp_path, CONTINUE_OPTUNA_STUDY_SCRIPT, source, target)
    assert out.strip() == f"{list(range(15))} True"
