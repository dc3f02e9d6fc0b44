"""get_all_artifact_meta: the artifacts recorded on one study or trial."""

from __future__ import annotations

import logging

from hpo_queue.artifacts._meta import ARTIFACTS_ATTR_PREFIX, ArtifactMeta
from hpo_queue.artifacts._owner import ArtifactOwner, StudyOrTrial
from hpo_queue.storages import BaseStorage

_logger = logging.getLogger("hpo_queue.artifacts")


def get_all_artifact_meta(
    study_or_trial: StudyOrTrial, *, storage: BaseStorage | str | None = None
) -> list[ArtifactMeta]:
    """The metadata of every artifact uploaded to ``study_or_trial``, as in Optuna.

    A study's list holds the artifacts uploaded to the study itself, not its trials'.

    Args:
        study_or_trial: a Study, a running Trial, or a stored FrozenTrial.
        storage: needed only with a FrozenTrial (a storage object or URL).

    Raises:
        InvalidInputError: ``study_or_trial`` is of another type, or a FrozenTrial without
            ``storage``.
    """
    metas = []
    for key, value in ArtifactOwner(study_or_trial, storage).system_attrs().items():
        if not key.startswith(ARTIFACTS_ATTR_PREFIX):
            continue
        try:
            metas.append(ArtifactMeta.from_attr_value(value))
        except (ValueError, TypeError, KeyError) as exc:  # written by hand, not by us
            _logger.warning("System attr %r is not artifact metadata (%s); skipped.", key, exc)
    return metas
