import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen import cli
from keras_gen.data import trajectories
from keras_gen.export.social_gan import SocialGANEndpoints
from keras_gen.families import get_family
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained
from keras_gen.utils.trajectory_plot import render_scene

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")

INFO = trajectories.get_trajectory_info("crowds_sim_tiny")


def tiny_model(**options):
    family = get_family("social_gan")
    config = TrainConfig(model="social_gan", dataset="crowds_sim_tiny", output_dir="unused",
                         options={**family.smoke.options, **options})
    keras.utils.set_random_seed(0)
    return family.build(config, INFO)


def _scene():
    rng = np.random.default_rng(0)
    observed = np.cumsum(rng.normal(0.4, 0.1, (1, 3, 8, 2)), axis=2).astype(np.float32)
    return observed, np.ones((1, 3), bool), rng.standard_normal((1, 3, 2)).astype(np.float32)


def test_without_pooling_a_pedestrians_future_ignores_the_others():
    observed, mask, noise = _scene()
    alone = np.array([[True, False, False]])
    for pooling, depends_on_others in ((False, False), (True, True)):
        model = tiny_model(pooling=str(pooling))
        with_others = np.asarray(model.generate(observed, mask, noise))[0, 0]
        without = np.asarray(model.generate(observed, alone, noise))[0, 0]
        assert np.allclose(with_others, without, atol=0) != depends_on_others, f"pooling={pooling}"
        names = [layer.name for layer in model.generator.layers]
        assert any("pooling" in name for name in names) == pooling


def test_padding_never_reaches_the_losses_or_the_gradients():
    observed, _, _ = _scene()
    future = observed[:, :, -1:] + 0.4 * np.arange(1, 13, dtype=np.float32)[None, None, :, None]
    trajectories_ = np.concatenate([observed, future], 2)
    mask = np.array([[True, True, False]])
    garbage = trajectories_.copy()
    garbage[:, 2] = np.nan  # the padded pedestrian
    weights = []
    for batch in (trajectories_, garbage):
        model = tiny_model()
        logs = model.train_step((keras.ops.convert_to_tensor(batch), keras.ops.convert_to_tensor(mask)))
        assert all(np.isfinite(float(v)) for v in logs.values())
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_predict_verb_draws_the_library_prediction(family_run, tmp_path):
    run = family_run("social_gan")
    out = str(tmp_path / "predict.png")
    cli.FLAGS.unparse_flags()
    cli.FLAGS(["keras-gen", f"--model_dir={run.output_dir}", "--scene=1", "--num_samples=3", "--seed=5",
               f"--out={out}"])
    assert cli.run_command("predict") == f"Wrote {out}"
    model, config = load_trained(run.output_dir)
    windows = trajectories.load_windows(config.dataset, "test")
    samples = SocialGANEndpoints(model=model).predict(windows.observed[1:2], windows.mask[1:2], 3, 5)
    assert samples.shape == (1, 3, windows.mask.shape[1], 12, 2)
    expected = render_scene(windows.observed[1], windows.mask[1], samples[0], windows.future[1],
                            title=f"{windows.scenes[1]} #1: 3 futures (seed 5)")
    np.testing.assert_array_equal(np.asarray(Image.open(out).convert("RGB")), expected)
    cli.FLAGS.unparse_flags()
    cli.FLAGS(["keras-gen", f"--model_dir={run.output_dir}", "--scene=100000", f"--out={out}"])
    with pytest.raises(ValueError, match="scene=100000"):
        cli.run_command("predict")
    cli.FLAGS.unparse_flags()
    assert os.path.exists(out)
