import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gen import cli
from tests.helpers import REPO_ROOT


def run_cli(*args):
    """Runs a keras-gen command in this process (flags parsed as on the command line)."""
    cli.FLAGS.unparse_flags()
    positional = cli.FLAGS(["keras-gen", *args])
    return cli.run_command(positional[1])


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    model_dir = str(tmp_path_factory.mktemp("cli") / "vae")
    message = run_cli("train", "--model=vae", "--dataset=synthetic_16", "--epochs=1", "--steps_per_epoch=2",
                      "--batch_size=4", "--latent_dim=4", "--options=hidden_units=16", f"--output_dir={model_dir}")
    assert message == f"Trained vae; wrote {model_dir}"
    return model_dir


@pytest.mark.parametrize(
    "command, extra, shape",
    [
        ("sample", ["--num_samples=9"], (3 * 16 + 4 * 2) * 2),  # 3x3 grid, 2 px padding, scale 2
        ("traverse", ["--steps=5", "--dimensions=0,1"], None),
        ("interpolate", ["--steps=6", "--method=spherical"], None),
        ("edit", ["--edits=0=2.5,1=-1"], None),
        ("reconstruct", ["--num_samples=4"], None),
    ],
)
def test_image_commands_write_pngs(trained_dir, tmp_path, command, extra, shape):
    out = str(tmp_path / f"{command}.png")
    assert run_cli(command, f"--model_dir={trained_dir}", f"--out={out}", *extra) == f"Wrote {out}"
    image = np.asarray(Image.open(out))
    assert image.std() > 0  # not a blank canvas
    if shape:
        assert image.shape == (shape, shape)
    if command == "traverse":  # 2 rows of 5 tiles, scale 2
        assert image.shape == ((2 * 16 + 3 * 2) * 2, (5 * 16 + 6 * 2) * 2)


def test_evaluate_prints_one_json_object_and_writes_it(trained_dir, tmp_path):
    out = str(tmp_path / "metrics.json")
    text = run_cli("evaluate", f"--model_dir={trained_dir}", "--iw_samples=20", f"--out={out}")
    metrics = json.loads(text)
    assert metrics == json.load(open(out))
    assert metrics["num_examples"] == 64 and metrics["iw_samples"] == 20
    assert metrics["iw_log_likelihood_nats"] > metrics["test_elbo_nats"]
    assert metrics["fd"] > 0 and 0 <= metrics["precision"] <= 1 and metrics["num_generated"] == 1000
    assert os.path.exists(os.path.join(trained_dir, "metrics.json"))


def test_export_writes_a_saved_model(trained_dir, tmp_path):
    export_dir = str(tmp_path / "export")
    assert run_cli("export", f"--model_dir={trained_dir}", f"--export_dir={export_dir}") == f"Exported vae to {export_dir}"
    assert os.path.exists(os.path.join(export_dir, "saved_model.pb"))
    assert json.load(open(os.path.join(export_dir, "keras_gen_export.json")))["signatures"] == [
        "decode", "encode", "reconstruct", "sample"]


def test_usage_errors_name_the_problem(trained_dir, tmp_path):
    with pytest.raises(ValueError, match="Valid commands: .*sample.*traverse"):
        run_cli("smaple", f"--model_dir={trained_dir}", f"--out={tmp_path}/x.png")
    with pytest.raises(ValueError, match="needs --out"):
        run_cli("sample", f"--model_dir={trained_dir}")
    with pytest.raises(ValueError, match="Valid datasets: .*mnist_5k"):
        run_cli("train", "--model=vae", "--dataset=mnsit", f"--output_dir={tmp_path}/bad")


def test_command_line_errors_exit_2_without_a_traceback(tmp_path):
    def keras_gen(*args):
        return subprocess.run([sys.executable, "-m", "keras_gen", *args], capture_output=True, text=True,
                              cwd=REPO_ROOT, timeout=120)

    result = keras_gen("train", "--model=gam", f"--output_dir={tmp_path}/x")
    assert result.returncode == 2
    assert "Unknown model 'gam'. Valid models:" in result.stderr and "vae" in result.stderr
    assert "Traceback" not in result.stderr
    result = keras_gen("sample", f"--model_dir={tmp_path}", f"--out={tmp_path}/x.png")
    assert result.returncode == 2
    assert f"No trained model in model_dir='{tmp_path}'" in result.stderr and "Traceback" not in result.stderr
