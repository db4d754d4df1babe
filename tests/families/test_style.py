import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.common import export_signatures
from keras_gen.export.style import StyleEndpoints, stylegan2_signatures
from keras_gen.families import get_family
from keras_gen.families.style import fit_resolution, restore_source_shape
from keras_gen.training.config import TrainConfig
from tests.models.test_stylegan2 import tiny


def test_digits_are_padded_to_the_power_of_two_and_samples_cropped_back():
    digits = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    padded = np.asarray(fit_resolution(tf.constant(digits), 32))
    assert padded.shape == (2, 32, 32, 1)
    np.testing.assert_array_equal(padded[:, 2:30, 2:30], digits)
    assert (padded[:, :2] == -1).all() and (padded[:, :, 30:] == -1).all()
    np.testing.assert_array_equal(restore_source_shape(padded, (28, 28, 1)), digits)
    assert np.asarray(fit_resolution(tf.constant(digits), 16)).shape == (2, 16, 16, 1)  # larger: resized
    assert restore_source_shape(np.zeros((2, 8, 8, 1), "float32"), (16, 16, 1)).shape == (2, 16, 16, 1)


def test_bad_resolution_is_named():
    family = get_family("stylegan2")
    config = TrainConfig(model="stylegan2", dataset="synthetic_16", options={"resolution": "24"})
    with pytest.raises(ValueError, match=r"resolution=24"):
        family.datasets(config)


def test_conditional_export_mix_sample_and_truncation(tmp_path):
    model = tiny(num_classes=3)
    model.w_avg.assign([0.5, -0.5, 1.0, 0.0])
    export_dir = str(tmp_path / "export")
    export_signatures(model, export_dir, *stylegan2_signatures(model))
    loaded = tf.saved_model.load(export_dir).signatures
    seed = tf.constant(5)
    sample = loaded["sample"](count=tf.constant(1), seed=seed, truncation=tf.constant(1.0),
                              labels=tf.constant([2]))["images"].numpy()
    # Mixing a latent with itself is no mixing: the same image as sampling it, for every crossover.
    for crossover in (0, 2, 4):
        mixed = loaded["mix"](seed_a=seed, seed_b=seed, crossover=tf.constant(crossover),
                              labels=tf.constant([2, 2]))["images"].numpy()
        np.testing.assert_allclose(mixed, sample, atol=1e-6)
    # psi = 0: every seed gives the average-w image.
    flat = [loaded["sample"](count=tf.constant(2), seed=tf.constant(s), truncation=tf.constant(0.0),
                             labels=tf.constant([0, 1]))["images"].numpy() for s in (1, 2)]
    np.testing.assert_allclose(flat[0], flat[1], atol=1e-6)
    np.testing.assert_allclose(flat[0][0], flat[0][1], atol=1e-6)
    # The numpy front end over the export and over the model agree.
    from_export, from_model = StyleEndpoints(export_dir=export_dir), StyleEndpoints(model=model)
    np.testing.assert_allclose(from_export.sample(3, 4, 0.7), from_model.sample(3, 4, 0.7), atol=1e-5)
    for call, pattern in ((lambda: loaded["sample"](count=tf.constant(1), seed=seed, truncation=tf.constant(1.5),
                                                     labels=tf.constant([0])), "`truncation` must be in"),
                          (lambda: loaded["mix"](seed_a=seed, seed_b=seed, crossover=tf.constant(5),
                                                 labels=tf.constant([0, 0])), "`crossover` must be in"),
                          (lambda: loaded["sample"](count=tf.constant(1), seed=seed, truncation=tf.constant(1.0),
                                                    labels=tf.constant([3])), "`labels` must be in")):
        with pytest.raises(tf.errors.InvalidArgumentError, match=pattern):
            call()
