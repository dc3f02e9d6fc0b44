"""The study or trial an artifact belongs to: where its metadata is recorded and read back."""

from __future__ import annotations

from typing import Any

from hpo_queue._limits import check_attr_size
from hpo_queue.artifacts._meta import ArtifactMeta
from hpo_queue.exceptions import InvalidInputError
from hpo_queue.storages import BaseStorage, get_storage
from hpo_queue.study import Study
from hpo_queue.trial import FrozenTrial, Trial

StudyOrTrial = Trial | FrozenTrial | Study


class ArtifactOwner:
    """Records and reads the ``artifacts:<id>`` system attrs of one study or trial.

    A running :class:`Trial` writes through itself, so that its own later system-attr writes
    (which store the trial's whole dict) keep the artifact; a :class:`FrozenTrial` is read
    fresh from ``storage`` and the new key merged in; a :class:`Study` writes one key.
    """

    def __init__(
        self, study_or_trial: StudyOrTrial, storage: BaseStorage | str | None = None
    ) -> None:
        if isinstance(study_or_trial, Study | Trial):
            self._storage = (
                study_or_trial.storage
                if isinstance(study_or_trial, Study)
                else study_or_trial.study.storage
            )
        elif isinstance(study_or_trial, FrozenTrial):
            if storage is None:
                raise InvalidInputError(
                    "storage is required for a FrozenTrial (as in Optuna): pass "
                    "storage=study.storage, or pass the study or the running Trial instead."
                )
            if study_or_trial.trial_id < 0:
                raise InvalidInputError(
                    f"FrozenTrial number {study_or_trial.number} was never stored (it has no "
                    "trial id); add it with study.add_trial and pass the stored trial."
                )
            self._storage = get_storage(storage)
        else:
            raise InvalidInputError(
                "study_or_trial must be a Study, a Trial or a FrozenTrial, got "
                f"{type(study_or_trial).__name__}."
            )
        self._owner = study_or_trial

    def record(self, meta: ArtifactMeta) -> None:
        """Store ``meta`` under its ``artifacts:<id>`` key."""
        owner, key, value = self._owner, meta.attr_key, meta.to_attr_value()
        if isinstance(owner, Study | Trial):
            owner.set_system_attr(key, value)
            return
        check_attr_size("System attribute", key, value)
        # One key merged in one transaction: concurrent uploads to this trial lose nothing.
        self._storage.set_trial_attr(owner.trial_id, "system", key, value)

    def system_attrs(self) -> dict[str, Any]:
        """The owner's system attrs as stored now (not as a cached object holds them)."""
        owner = self._owner
        if isinstance(owner, Study):
            return owner.system_attrs
        if isinstance(owner, Trial):
            return dict(self._storage.get_trial(owner.study.study_id, owner.number).system_attrs)
        return dict(self._fresh(owner).system_attrs)

    def _fresh(self, trial: FrozenTrial) -> FrozenTrial:
        study_id = self._storage.study_id_of_trial(trial.trial_id)
        return self._storage.get_trial(study_id, trial.number)
