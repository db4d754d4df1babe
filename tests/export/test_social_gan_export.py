import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.common import checked_endpoint
from keras_gen.export.social_gan import SocialGANEndpoints, social_gan_signatures
from keras_gen.models.social_gan import SocialGAN, build_trajectory_discriminator, build_trajectory_generator


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    generator = build_trajectory_generator(embedding_dim=4, encoder_units=4, decoder_units=6, mlp_units=4,
                                           pooling_dim=4, noise_dim=2)
    discriminator = build_trajectory_discriminator(embedding_dim=4, units=4, mlp_units=4)
    model = SocialGAN(generator, discriminator, noise_dim=2, variety_k=2)
    model.compile()
    return model


def _predict(model):
    function, specs = social_gan_signatures(model)[0]["predict"]
    checked, _ = checked_endpoint(function, specs)
    return lambda observed, mask, num_samples=3, seed=0: checked(
        tf.constant(observed, tf.float32), tf.constant(mask), tf.constant(num_samples), tf.constant(seed))["samples"]


def _scene():
    observed = np.cumsum(np.full((2, 3, 8, 2), 0.4, np.float32), axis=2)
    return observed, np.array([[True, True, False], [True, False, False]])


def test_predict_shapes_seeds_and_padding(model):
    predict = _predict(model)
    observed, mask = _scene()
    samples = predict(observed, mask).numpy()
    assert samples.shape == (2, 3, 3, 12, 2)
    assert np.isnan(samples[0, :, 2]).all() and np.isnan(samples[1, :, 1:]).all()  # padding: no prediction
    assert np.isfinite(samples[0, :, :2]).all() and np.isfinite(samples[1, :, 0]).all()
    np.testing.assert_array_equal(predict(observed, mask).numpy(), samples)  # same seed, same samples
    assert not np.allclose(predict(observed, mask, seed=1).numpy()[0, :, :2], samples[0, :, :2])
    # Padding may hold anything (NaN included) without changing the real pedestrians' futures.
    observed[0, 2] = np.nan
    np.testing.assert_array_equal(predict(observed, mask).numpy(), samples)
    # The numpy front end serves the same samples.
    np.testing.assert_array_equal(SocialGANEndpoints(model=model).predict(observed, mask, 3, 0), samples)


@pytest.mark.parametrize("what, pattern", [
    ("nan", r"`observed` must hold finite positions"),
    ("empty", r"`mask` must keep at least one pedestrian in every scene"),
    ("mask_shape", r"`mask` must be \(batch, pedestrians\)"),
    # (eagerly the tensor is unnamed; the export names it `observed`: the family contract checks that)
    ("length", r"\[2,3,7,2\] is not compatible with expected shape \[\?,\?,8,2\]"),
    ("zero_samples", r"`num_samples` must be >= 1"),
    ("too_many_samples", r"`num_samples` must be <= 1024"),
])
def test_bad_inputs_are_rejected_naming_them(model, what, pattern):
    predict = _predict(model)
    observed, mask = _scene()
    num_samples = 3
    if what == "nan":
        observed[1, 0, 3, 1] = np.nan
    elif what == "empty":
        mask[1] = False
    elif what == "mask_shape":
        mask = mask[:, :2]
    elif what == "length":
        observed = observed[:, :, :7]
    elif what == "zero_samples":
        num_samples = 0
    else:
        num_samples = 1025
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match=pattern):
        predict(observed, mask, num_samples)
