"""upload_artifact, download_artifact and get_all_artifact_meta on studies and trials."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import hpo_queue as hq
from hpo_queue.artifacts import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from hpo_queue.exceptions import (
    ArtifactFileExistsError,
    ArtifactFileNotFoundError,
    ArtifactNotFound,
    InvalidArtifactIdError,
    InvalidInputError,
)


@pytest.fixture(params=["in-memory", "sqlite"])
def study(request: pytest.FixtureRequest, tmp_path: Path) -> hq.Study:
    storage = None if request.param == "in-memory" else f"sqlite:///{tmp_path / 'hq.db'}"
    return hq.create_study(study_name="artifacts", storage=storage)


@pytest.fixture
def store(tmp_path: Path) -> FileSystemArtifactStore:
    return FileSystemArtifactStore(tmp_path / "artifacts")


def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_an_objective_uploads_to_its_trial_and_the_file_comes_back(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    def objective(trial: hq.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        path = _file(tmp_path, f"checkpoint-{trial.number}.bin", f"{trial.number}:{x}".encode())
        artifact_id = upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
        trial.set_user_attr("artifact_id", artifact_id)
        listed = get_all_artifact_meta(trial)  # a running trial lists what it uploaded
        assert [m.artifact_id for m in listed] == [artifact_id]
        return x

    study.optimize(objective, n_trials=3)
    for trial in study.trials:
        metas = get_all_artifact_meta(trial, storage=study.storage)
        assert metas == [
            ArtifactMeta(
                artifact_id=trial.user_attrs["artifact_id"],
                filename=f"checkpoint-{trial.number}.bin",
                mimetype="application/octet-stream",
                encoding=None,
            )
        ]
        target = tmp_path / f"downloaded-{trial.number}"
        download_artifact(artifact_store=store, file_path=target, artifact_id=metas[0].artifact_id)
        assert target.read_bytes() == f"{trial.number}:{trial.params['x']}".encode()


def test_ids_are_uuid4_and_metadata_is_stored_as_optuna_stores_it(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    trial = study.ask()
    artifact_id = upload_artifact(
        artifact_store=store, file_path=_file(tmp_path, "a.json", b"{}"), study_or_trial=trial
    )
    study.tell(trial, 1.0)
    assert uuid.UUID(artifact_id).version == 4
    stored = study.trials[0].system_attrs[f"artifacts:{artifact_id}"]
    assert json.loads(stored) == {
        "artifact_id": artifact_id,
        "filename": "a.json",
        "mimetype": "application/json",
        "encoding": None,
    }


def test_mimetype_and_encoding_are_guessed_unless_given(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    gz = _file(tmp_path, "table.csv.gz", b"\x1f\x8b")
    upload_artifact(artifact_store=store, file_path=str(gz), study_or_trial=study)
    upload_artifact(
        artifact_store=store,
        file_path=gz,
        study_or_trial=study,
        mimetype="application/x-custom",
        encoding="br",
    )
    kinds = {(m.mimetype, m.encoding) for m in get_all_artifact_meta(study)}
    assert kinds == {("text/csv", "gzip"), ("application/x-custom", "br")}


def test_study_and_trial_artifacts_are_listed_apart(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    path = _file(tmp_path, "plot.svg", b"<svg/>")
    on_study = upload_artifact(artifact_store=store, file_path=path, study_or_trial=study)
    trial = study.ask()
    on_trial = upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
    study.tell(trial, 0.5)
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [on_study]
    frozen = study.trials[0]
    assert [m.artifact_id for m in get_all_artifact_meta(frozen, storage=study.storage)] == [
        on_trial
    ]


def test_a_trials_later_system_attr_writes_keep_its_artifacts(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    # A Trial stores its whole system-attr dict on each write: the upload must be in it.
    def objective(trial: hq.Trial) -> float:
        upload_artifact(
            artifact_store=store, file_path=_file(tmp_path, "a", b"a"), study_or_trial=trial
        )
        trial.set_system_attr("note", "after the upload")
        trial.set_constraint([-1.0])
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    frozen = study.trials[0]
    assert [m.filename for m in get_all_artifact_meta(frozen, storage=study.storage)] == ["a"]
    assert frozen.system_attrs["note"] == "after the upload"


def test_a_finished_trial_takes_uploads_and_keeps_its_other_system_attrs(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    trial = study.ask()
    trial.set_system_attr("kept", 1)
    study.tell(trial, 2.0)
    stale = study.trials[0]
    for name in ("first.txt", "second.txt"):  # the second merges into a fresh read
        upload_artifact(
            artifact_store=store,
            file_path=_file(tmp_path, name, name.encode()),
            study_or_trial=stale,
            storage=study.storage,
        )
    fresh = study.trials[0]
    assert fresh.system_attrs["kept"] == 1
    metas = get_all_artifact_meta(fresh, storage=study.storage)
    assert sorted(m.filename for m in metas) == ["first.txt", "second.txt"]


def test_a_frozen_trial_can_name_its_storage_by_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'by-url.db'}"
    study = hq.create_study(study_name="by-url", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    store = FileSystemArtifactStore(tmp_path / "artifacts")
    frozen = hq.load_study(study_name="by-url", storage=url).trials[0]
    path = _file(tmp_path, "late.txt", b"late")
    artifact_id = upload_artifact(
        artifact_store=store, file_path=path, study_or_trial=frozen, storage=url
    )
    assert [m.artifact_id for m in get_all_artifact_meta(frozen, storage=url)] == [artifact_id]


def test_a_frozen_trial_without_storage_is_a_named_error(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    path = _file(tmp_path, "a", b"a")
    with pytest.raises(InvalidInputError, match="storage is required for a FrozenTrial"):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=study.trials[0])
    with pytest.raises(InvalidInputError, match="storage is required for a FrozenTrial"):
        get_all_artifact_meta(study.trials[0])
    assert list(store.base_path.iterdir()) == []  # refused before any byte was written


def test_a_frozen_trial_that_was_never_stored_is_a_named_error(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    unstored = hq.create_trial(value=1.0)
    with pytest.raises(InvalidInputError, match="was never stored"):
        upload_artifact(
            artifact_store=store,
            file_path=_file(tmp_path, "a", b"a"),
            study_or_trial=unstored,
            storage=study.storage,
        )


def test_something_other_than_a_study_or_trial_is_a_named_error(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInputError, match="must be a Study, a Trial or a FrozenTrial"):
        upload_artifact(
            artifact_store=store,
            file_path=_file(tmp_path, "a", b"a"),
            study_or_trial="my-study",  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidInputError, match="got int"):
        get_all_artifact_meta(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["missing.bin", "a-directory"])
def test_uploading_a_file_that_is_not_there_is_a_named_error_and_records_nothing(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path, name: str
) -> None:
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(ArtifactFileNotFoundError, match=f"Cannot upload .*{name}") as caught:
        upload_artifact(artifact_store=store, file_path=tmp_path / name, study_or_trial=study)
    assert isinstance(caught.value, FileNotFoundError)  # what Optuna's callers catch
    assert get_all_artifact_meta(study) == []
    assert list(store.base_path.iterdir()) == []


def test_downloading_over_an_existing_file_is_a_named_error_and_keeps_it(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    artifact_id = upload_artifact(
        artifact_store=store, file_path=_file(tmp_path, "new", b"new"), study_or_trial=study
    )
    existing = _file(tmp_path, "existing", b"precious")
    with pytest.raises(ArtifactFileExistsError, match="the file exists") as caught:
        download_artifact(artifact_store=store, file_path=existing, artifact_id=artifact_id)
    assert isinstance(caught.value, FileExistsError)  # as Optuna raises
    assert existing.read_bytes() == b"precious"


def test_downloading_a_missing_artifact_is_a_named_error_and_creates_no_file(
    store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    target = tmp_path / "never"
    with pytest.raises(ArtifactNotFound):
        download_artifact(artifact_store=store, file_path=target, artifact_id=str(uuid.uuid4()))
    with pytest.raises(InvalidArtifactIdError):
        download_artifact(artifact_store=store, file_path=target, artifact_id="../../etc/passwd")
    assert not target.exists()


def test_hand_written_artifact_attrs_that_are_not_metadata_are_skipped(
    study: hq.Study, store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    study.set_system_attr("artifacts:broken", "not json")
    study.set_system_attr("unrelated", "value")
    good = upload_artifact(
        artifact_store=store, file_path=_file(tmp_path, "a", b"a"), study_or_trial=study
    )
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [good]
