import json
import os
import types

import numpy as np
import pytest

from keras_gen.families import get_family
from keras_gen.families.vqvae2 import code_statistics
from keras_gen.models.vqvae2 import VQVAE2, VQVAE2Prior
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained, train


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


def test_both_stages_train_and_commands(tmp_path):
    stage1_dir, stage2_dir = tmp_path / "vqvae2", tmp_path / "prior"
    vqvae = train(_config(stage1_dir), verbose=0)
    assert isinstance(vqvae, VQVAE2) and 0 < vqvae.data_variance < 1  # the training pixels' variance
    metrics = get_family("vqvae2").evaluate(vqvae, _config(stage1_dir), types.SimpleNamespace(num_examples=None))
    assert metrics["top_grid"] == [4, 4] and metrics["bottom_grid"] == [8, 8]
    assert 1.0 <= metrics["top_perplexity"] <= 8 and 0 < metrics["reconstruction_mse"] < 1

    with pytest.raises(ValueError, match="vqvae_dir=None"):
        train(_config(stage2_dir, model="vqvae2_prior", options={}), verbose=0)
    prior_options = {"vqvae_dir": str(stage1_dir), "prior_filters": "8", "prior_layers": "2"}
    prior_config = _config(stage2_dir, model="vqvae2_prior", options=prior_options, sample_every=0)
    trained = train(prior_config, verbose=0)  # (resuming is checked on the models' own save/load tests)
    assert isinstance(trained, VQVAE2Prior) and trained.num_classes == 4
    assert json.load(open(stage2_dir / "state.json"))["epoch"] == 1

    restored, config = load_trained(str(stage2_dir))
    family = get_family(config.model)
    args = types.SimpleNamespace(num_samples=4, seed=0, labels="0,3", input=None, out=str(tmp_path / "s.png"))
    assert family.commands["sample"](restored, config, args) == args.out and os.path.exists(args.out)
    args.out = str(tmp_path / "r.png")
    assert family.commands["reconstruct"](restored, config, args) == args.out and os.path.exists(args.out)
    args.labels = "4"
    with pytest.raises(ValueError, match=r"must be in \[0, 4\)"):
        family.commands["sample"](restored, config, args)
    with pytest.raises(ValueError, match="no prior"):
        get_family("vqvae2").commands["sample"](vqvae, _config(stage1_dir), args)
    images = family.sample_images(restored, 4, 3)
    assert images.shape == (4, 16, 16, 1) and images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(images, family.sample_images(trained, 4, 3))  # reloaded == trained
