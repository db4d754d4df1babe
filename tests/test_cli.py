import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gen import cli
from keras_gen.utils.images import make_grid
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


def _expected_grid(trained_dir, command, ncols=None, scale=2):
    """What each verb should draw, computed from the library's own functions on the trained model."""
    from keras_gen import data
    from keras_gen.latent import tools
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(trained_dir)
    images, _ = data.as_numpy("synthetic_16", "test")
    picked = images[np.random.default_rng(0).permutation(len(images))]  # --seed=0 picks
    encode, decode = (lambda x: model.encode(x)[0]), (lambda z: model.decode(z))
    if command == "sample":
        grid = np.asarray(model.generate(9, 0))
    elif command == "traverse":
        grid = tools.traverse(decode, np.zeros(model.latent_dim), [0, 1], np.linspace(-3.0, 3.0, 5))
    elif command == "interpolate":
        grid = tools.interpolate_images(encode, decode, picked[0], picked[1], 6, "spherical")
    elif command == "edit":
        grid = np.stack([picked[0], *tools.edit(encode, decode, picked[0], {0: 2.5, 1: -1.0})])
    else:
        grid = np.concatenate([picked[:4], np.asarray(model(picked[:4]))])
    image = make_grid(grid, ncols=ncols)
    return image[..., 0].repeat(scale, 0).repeat(scale, 1)


@pytest.mark.parametrize(
    "command, extra, ncols, scale",
    [
        ("sample", ["--num_samples=9"], None, 2),
        ("traverse", ["--steps=5", "--dimensions=0,1"], 5, 2),
        ("interpolate", ["--steps=6", "--method=spherical"], 6, 2),
        ("edit", ["--edits=0=2.5,1=-1"], 3, 4),
        ("reconstruct", ["--num_samples=4"], 4, 2),
    ],
)
def test_image_commands_draw_the_library_outputs(trained_dir, tmp_path, command, extra, ncols, scale):
    out = str(tmp_path / f"{command}.png")
    assert run_cli(command, f"--model_dir={trained_dir}", f"--out={out}", *extra) == f"Wrote {out}"
    image = np.asarray(Image.open(out)).astype(np.int16)
    expected = _expected_grid(trained_dir, command, ncols, scale).astype(np.int16)
    assert image.shape == expected.shape
    assert np.abs(image - expected).max() <= 1, f"{command}: the PNG differs from the library's images"


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


def test_models_lists_every_model_and_one_models_options():
    listing = run_cli("models").splitlines()
    from keras_gen.families import family_names

    assert len(listing) == len(family_names()) >= 15 and listing[0].split()[0] == "biggan"
    text = run_cli("models", "--model=sagan")
    assert text.splitlines()[0].startswith("sagan: SAGAN")
    assert any(line.split()[:3] == ["d_steps", "int", "1"] for line in text.splitlines()), text


def test_command_line_errors_exit_2_without_a_traceback(tmp_path):
    def keras_gen(*args):
        return subprocess.run([sys.executable, "-m", "keras_gen", *args], capture_output=True, text=True,
                              cwd=REPO_ROOT, timeout=120)

    result = keras_gen("train", "--model=gam", f"--output_dir={tmp_path}/x")
    assert result.returncode == 2
    assert "Unknown model 'gam'. Valid models:" in result.stderr and "vae" in result.stderr
    assert "Traceback" not in result.stderr
    # A misspelt option fails at once, before any data is read or the output directory is made.
    result = keras_gen("train", "--model=dcgan", "--options", "d_step=5", f"--output_dir={tmp_path}/dcgan")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Unknown option 'd_step' for model 'dcgan'. Valid options: " in result.stderr and "d_steps" in result.stderr
    assert not os.path.exists(f"{tmp_path}/dcgan")
    result = keras_gen("sample", f"--model_dir={tmp_path}", f"--out={tmp_path}/x.png")
    assert result.returncode == 2
    assert f"No trained model in model_dir='{tmp_path}'" in result.stderr and "Traceback" not in result.stderr
