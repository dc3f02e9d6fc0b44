"""import_optuna_study: copy a study of an Optuna RDB store into an hpo-queue store."""

from __future__ import annotations

from hpo_queue.exceptions import InvalidInputError
from hpo_queue.pruners import BasePruner, MedianPruner
from hpo_queue.samplers import AutoSampler, BaseSampler
from hpo_queue.settings import Settings
from hpo_queue.storages import BaseStorage, RDBStorage, get_storage
from hpo_queue.storages._optuna import read_optuna_study
from hpo_queue.study import Study, load_study

_NEEDS_A_DATABASE = (
    "import_optuna_study needs a database to import into: pass storage as a URL "
    "(e.g. sqlite:///hpo.db) or an RDBStorage."
)


def import_optuna_study(
    *,
    from_storage: str,
    study_name: str,
    storage: str | BaseStorage,
    new_study_name: str | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    max_trials: int | None = None,
    settings: Settings | None = None,
) -> Study:
    """Copy study ``study_name`` of the Optuna store ``from_storage`` into ``storage``.

    Every trial keeps its number, state, values (inf included), params and distributions,
    intermediate values (NaN and inf included), user and system attrs and times; the study
    keeps its directions and attrs. New trials continue after the highest number copied,
    and the sampler learns from the copied history. A trial still RUNNING in the source is
    copied as FAIL (fail_reason says so); a WAITING (enqueued) one stays WAITING and runs
    first. The Optuna store is only read, with SQL: Optuna need not be installed.

    Args:
        from_storage: the Optuna store's URL (Optuna 3.0 to 5.x), e.g. sqlite:///optuna.db.
        study_name: the study to copy.
        storage: the hpo-queue store (a URL or an RDBStorage).
        new_study_name: the name in the target (default: ``study_name``).
        sampler, pruner: stored with the new study (default: AutoSampler and median, as
            :func:`hpo_queue.create_study`).
        max_trials: a cap on the study's non-failed trials, the copied ones included.

    Returns:
        The new study, loaded.

    Raises:
        StudyNotFoundError: no such study in the Optuna store (the message lists them).
        DuplicatedStudyError: the target already has a study of that name.
        SchemaVersionError: the Optuna store is older than Optuna 3.0 or unknown.
        StorageError: a store cannot be read, or ``from_storage`` is no Optuna store.
    """
    if max_trials is not None and (
        isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1
    ):
        raise InvalidInputError(f"max_trials must be a positive integer, got {max_trials!r}.")
    if not isinstance(storage, str | RDBStorage):
        raise InvalidInputError(_NEEDS_A_DATABASE)
    # The source first: a source that cannot be read leaves no new database file behind.
    copy = read_optuna_study(from_storage, study_name)
    target = get_storage(storage)
    if not isinstance(target, RDBStorage):  # a URL of an in-memory store
        raise InvalidInputError(_NEEDS_A_DATABASE)
    lease = (settings or Settings.load()).heartbeat_grace
    record = target.import_study(
        copy,
        (sampler or AutoSampler()).to_config(),
        (pruner or MedianPruner()).to_config(),
        study_name=new_study_name,
        max_trials=max_trials,
        options={"failed_trial_max_retries": 0},
        lease_seconds=lease,
    )
    return load_study(
        study_name=record.study_name,
        storage=target,
        sampler=sampler,
        pruner=pruner,
        settings=settings,
    )
