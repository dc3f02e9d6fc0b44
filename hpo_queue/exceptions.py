"""The exception hierarchy: every error hpo-queue raises on purpose derives from HpoQueueError."""

from __future__ import annotations


class HpoQueueError(Exception):
    """Base class of all hpo-queue errors."""


class InvalidInputError(HpoQueueError, ValueError):
    """An argument is malformed: a bad range, a bad name, a value of the wrong type."""


class InvalidNameError(InvalidInputError):
    """A study name, parameter name or attribute key is empty, too long, or holds a control
    character or a lone surrogate (see the limits in docs/operations.md)."""


class LimitExceededError(InvalidInputError):
    """A size or count is above a documented limit: an attribute's JSON, the reports of one
    trial, the trials of one submit. The message names the limit and the size given."""


class InvalidDistributionError(InvalidInputError):
    """A search-space definition is invalid (low > high, log with low <= 0, bad step...)."""


class UnsupportedArgumentError(InvalidInputError):
    """An argument Optuna takes that hpo-queue does not support (or not with that value).

    The message says what to use instead. Raised instead of a TypeError so that a script
    ported from Optuna learns which argument to change, not that a keyword is unknown.
    """


class ParameterConflictError(InvalidInputError):
    """A parameter was suggested again in the same study with an incompatible distribution."""


class StorageError(HpoQueueError):
    """The store could not be reached or did not answer as expected."""


class StorageURLError(StorageError, ValueError):
    """A storage URL is malformed or names an unsupported database."""


class SchemaVersionError(StorageError):
    """The database schema was written by another, incompatible release."""


class StudyNotFoundError(HpoQueueError, KeyError):
    """No study with the given name exists in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message.
        return str(self.args[0]) if self.args else ""


class DuplicatedStudyError(HpoQueueError):
    """A study with the given name already exists (pass load_if_exists=True to reuse it)."""


class TrialNotFoundError(HpoQueueError, KeyError):
    """No trial with the given number or id exists."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TrialStateError(HpoQueueError, RuntimeError):
    """An operation does not fit the trial's state, e.g. telling a finished trial again."""


class TrialCapReached(HpoQueueError):
    """The study's max_trials cap is reached: no new trial may be created."""


class SearchSpaceExhausted(HpoQueueError):
    """The sampler has no point left to try (a GridSampler whose grid is used up)."""


class ConfigError(HpoQueueError, ValueError):
    """A setting, config file or sampler/pruner config is invalid."""


class BrokerNotConfiguredError(ConfigError):
    """No HPO_BROKER_URL with a storage on a server: the embedded broker, a file on this
    machine, would reach no worker elsewhere."""


class ObjectiveNotAllowedError(HpoQueueError):
    """A task named an objective outside the modules this worker may run."""


class TrialPruned(HpoQueueError):
    """Raise from an objective to end the trial as PRUNED (like optuna.TrialPruned)."""


class NoCompletedTrialsError(HpoQueueError, ValueError):
    """best_trial/best_value asked for before any trial completed."""


class MultiObjectiveError(HpoQueueError, RuntimeError):
    """A single-objective accessor (study.direction, best_trial, trial.value) was used on a
    multi-objective study or trial; use the plural one (directions, best_trials, values).

    A RuntimeError too, which is what Optuna raises there.
    """


class MultiObjectiveReportError(MultiObjectiveError, NotImplementedError):
    """trial.report was called in a multi-objective study, where (as in Optuna) it is not
    supported; a NotImplementedError too, which is what Optuna raises."""


class FrozenTrialError(HpoQueueError, TypeError):
    """A FrozenTrial's dicts or lists were changed in place; copy them, or build a changed
    trial with dataclasses.replace. A TypeError too, as for a read-only mapping."""


class MissingDependencyError(HpoQueueError, ImportError):
    """An optional package a feature needs is not installed; the message says which."""


class BrokerUnreachableError(HpoQueueError):
    """The Celery broker (or its result store) did not accept or answer for the trial tasks."""


class JobNotFoundError(HpoQueueError, KeyError):
    """No job (one submit call) with the given id exists in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ArtifactStoreError(HpoQueueError):
    """An artifact store could not read or write an artifact (a missing bucket, no access)."""


class ArtifactNotFound(ArtifactStoreError):
    """No artifact with the given id is in the artifact store (as Optuna's ArtifactNotFound)."""


class InvalidArtifactIdError(InvalidInputError):
    """An artifact id is not a plain name (it holds a path separator, '..', or is empty)."""


class ArtifactFileNotFoundError(InvalidInputError, FileNotFoundError):
    """upload_artifact was given a file_path that names no readable file."""


class ArtifactFileExistsError(InvalidInputError, FileExistsError):
    """download_artifact's file_path exists already; it is never overwritten (as in Optuna)."""
