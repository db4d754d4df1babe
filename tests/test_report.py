import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_gen.report import _curve_panels, read_history, write_report
from keras_gen.utils.images import save_grid


def _model_dir(tmp_path, with_metrics=True):
    model_dir = tmp_path / "run"
    (model_dir / "samples").mkdir(parents=True)
    (model_dir / "history.csv").write_text(
        "epoch,fd,loss,val_loss\n0,nan,2.0,2.5\n1,12.5,1.5,1.9\n2,NA,1.2,1.6\n")
    (model_dir / "config.json").write_text(json.dumps({"model": "vae", "dataset": "mnist_5k", "epochs": 3}))
    save_grid(np.zeros((4, 8, 8, 1)), str(model_dir / "samples" / "epoch_0001.png"))
    save_grid(np.ones((4, 8, 8, 1)), str(model_dir / "samples" / "epoch_0003.png"))
    if with_metrics:
        (model_dir / "metrics.json").write_text(json.dumps({"fd": 3.25, "kid": 0.01, "precision": 0.8}))
    return str(model_dir)


def test_history_is_read_with_missing_values_as_nan(tmp_path):
    history = read_history(_model_dir(tmp_path))
    np.testing.assert_allclose(history["loss"], [2.0, 1.5, 1.2])
    assert np.isnan(history["fd"][0]) and np.isnan(history["fd"][2]) and history["fd"][1] == 12.5
    panels = dict(_curve_panels(history))
    assert list(panels) == ["loss", "fd"]  # losses first; val_loss drawn with loss
    assert set(panels["loss"]) == {"train", "validation"}
    # CSVLogger's empty val_* columns (no validation data) draw no curve.
    history["val_fd"] = np.full(3, np.nan)
    assert set(dict(_curve_panels(history))["fd"]) == {"train"}


def test_report_png_is_written(tmp_path):
    out = write_report(_model_dir(tmp_path), str(tmp_path / "out" / "report.png"))
    image = np.asarray(Image.open(out))
    assert image.shape[0] >= 400 and image.shape[1] >= 1000
    assert image.std() > 10  # not a blank page
    # Without metrics.json or history it still reports what exists.
    model_dir = _model_dir(tmp_path / "second", with_metrics=False)
    os.remove(os.path.join(model_dir, "history.csv"))
    assert os.path.exists(write_report(model_dir, str(tmp_path / "second.png")))


def test_empty_or_missing_directories_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="model_dir="):
        write_report(str(tmp_path / "nope"), str(tmp_path / "r.png"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="history.csv"):
        write_report(str(tmp_path / "empty"), str(tmp_path / "r.png"))


def test_cli_report_verb(tmp_path):
    import subprocess
    import sys

    model_dir = _model_dir(tmp_path)
    out = str(tmp_path / "cli_report.png")
    result = subprocess.run([sys.executable, "-m", "keras_gen.cli", "report", f"--model_dir={model_dir}", f"--out={out}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Wrote {out}" in result.stdout and os.path.getsize(out) > 10_000
