import types

import numpy as np
import pytest
from PIL import Image

from keras_gen import data
from keras_gen.families import get_family
from keras_gen.cli.vqvae2 import COMMANDS
from keras_gen.metrics.evaluate import EvalRequest
from keras_gen.metrics.vqvae2 import code_statistics
from keras_gen.models.vqvae2 import VQVAE2, VQVAE2Prior
from keras_gen.training.config import TrainConfig
from keras_gen.families import train
from keras_gen.training.runner import load_trained
from keras_gen.utils.images import make_grid

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")


def _config(output_dir, **changes):
    values = dict(model="vqvae2", dataset="synthetic_16", epochs=1, steps_per_epoch=1, batch_size=8,
                  output_dir=str(output_dir),
                  options={"channels": "8", "embedding_dim": "4", "top_codes": "8", "bottom_codes": "8"})
    return TrainConfig(**{**values, **changes})


def test_code_statistics_values():
    stats = code_statistics(np.array([[0, 0], [1, 2]]), 4)
    probs = np.array([0.5, 0.25, 0.25])
    assert stats["perplexity"] == pytest.approx(np.exp(-(probs * np.log(probs)).sum()))
    assert stats["usage"] == 0.75


def test_stage_two_needs_a_stage_one_directory(tmp_path):
    with pytest.raises(ValueError, match=r"--vqvae_dir=DIR .* Received: vqvae_dir=None"):
        train(_config(tmp_path / "prior", model="vqvae2_prior", options={}), verbose=0)


def test_evaluation_and_commands_on_trained_stages(family_run, tmp_path):
    vqvae, config = load_trained(family_run("vqvae2").output_dir)
    assert isinstance(vqvae, VQVAE2) and 0 < vqvae.data_variance < 1  # the training pixels' variance
    images, _ = data.as_numpy("synthetic_16", "test")
    assert vqvae.data_variance == pytest.approx(float(np.var(data.as_numpy("synthetic_16", "train")[0])), rel=1e-5)
    stage1 = get_family("vqvae2")
    metrics = stage1.evaluate(vqvae, EvalRequest("synthetic_16"), stage1.resolve_options(config))
    top, bottom = (np.asarray(t) for t in vqvae.encode(images))
    assert metrics["top_grid"] == [4, 4] and metrics["bottom_grid"] == [8, 8]
    assert metrics["top_perplexity"] == pytest.approx(code_statistics(top, 8)["perplexity"], rel=1e-6)
    assert metrics["bottom_usage"] == pytest.approx(code_statistics(bottom, 8)["usage"])
    mse = float(np.mean((np.asarray(vqvae(images)) - images) ** 2))
    assert metrics["reconstruction_mse"] == pytest.approx(mse, rel=1e-5)

    prior, config = load_trained(family_run("vqvae2_prior").output_dir)
    assert isinstance(prior, VQVAE2Prior) and prior.num_classes == 4
    family = get_family(config.model)
    options = family.resolve_options(config)
    args = types.SimpleNamespace(num_samples=4, seed=0, labels="0,3", input=None, out=str(tmp_path / "s.png"))
    assert COMMANDS["sample"](prior, config, options, args) == args.out
    expected = make_grid(np.asarray(prior.generate(2, labels=np.array([0, 3]), seed=0)))[..., 0]
    np.testing.assert_array_equal(np.asarray(Image.open(args.out)), expected.repeat(2, 0).repeat(2, 1))
    args.out = str(tmp_path / "r.png")
    assert COMMANDS["reconstruct"](prior, config, options, args) == args.out
    picked = images[np.random.default_rng(0).permutation(len(images))[:4]]
    expected = make_grid(np.concatenate([picked, np.asarray(prior.vqvae(picked))]), ncols=4)[..., 0]
    np.testing.assert_array_equal(np.asarray(Image.open(args.out)), expected.repeat(2, 0).repeat(2, 1))
    args.labels = "4"
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 4\)\. Received: labels=\[4\]"):
        COMMANDS["sample"](prior, config, options, args)
    with pytest.raises(ValueError, match="no prior"):
        COMMANDS["sample"](vqvae, config, None, args)
    samples = family.sample_images(prior, 4, 3)
    np.testing.assert_array_equal(samples, np.asarray(prior.generate(4, labels=np.arange(4), seed=3)))
