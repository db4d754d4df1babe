import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.pixel_shuffle import PixelShuffle
from tests.helpers import assert_layer_config_roundtrip


@pytest.mark.parametrize("factor,channels", [(2, 4), (2, 12), (4, 16), (3, 18)])
def test_pixel_shuffle_equals_depth_to_space_exactly(factor, channels):
    inputs = np.random.default_rng(0).normal(size=(2, 3, 5, channels)).astype("float32")
    outputs = PixelShuffle(factor)(inputs)
    np.testing.assert_array_equal(np.asarray(outputs), tf.nn.depth_to_space(inputs, factor).numpy())
    assert outputs.shape == (2, 3 * factor, 5 * factor, channels // factor**2)


def test_pixel_shuffle_layout_by_hand():
    # One pixel, 4 channels [0, 1, 2, 3] -> a 2x2 block [[0, 1], [2, 3]].
    outputs = PixelShuffle(2)(np.arange(4, dtype="float32").reshape(1, 1, 1, 4))
    np.testing.assert_array_equal(np.asarray(outputs)[0, :, :, 0], [[0, 1], [2, 3]])


def test_pixel_shuffle_in_functional_model_and_config():
    inputs = keras.Input((4, 4, 8))
    outputs = PixelShuffle(2, name="shuffle")(inputs)
    assert outputs.shape == (None, 8, 8, 2)
    assert_layer_config_roundtrip(PixelShuffle(2), np.ones((1, 4, 4, 8), "float32"))


def test_pixel_shuffle_rejects_bad_arguments():
    with pytest.raises(ValueError, match="upscale_factor=1"):
        PixelShuffle(1)
    with pytest.raises(ValueError, match="input_shape"):
        PixelShuffle(2)(np.ones((1, 4, 4, 6), "float32"))
