import keras
import numpy as np
import pytest

from keras_gen.layers.reflection_padding import ReflectionPadding2D
from tests.helpers import assert_layer_config_roundtrip


def test_reflection_padding_mirrors_without_repeating_the_border():
    image = np.arange(1 * 3 * 4 * 2, dtype="float32").reshape(1, 3, 4, 2)
    padded = np.asarray(ReflectionPadding2D(2)(image))
    assert padded.shape == (1, 7, 8, 2)
    np.testing.assert_array_equal(padded, np.pad(image, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect"))
    # By hand, one row [0, 1, 2, 3] (channel 0 of row 0 is 0, 2, 4, 6): padded by 2 -> [2, 1, 0, 1, 2, 3, 2, 1].
    row = np.asarray(ReflectionPadding2D(2)(np.array([[0, 1, 2, 3]] * 3, "float32").reshape(1, 3, 4, 1)))[0, 2, :, 0]
    np.testing.assert_array_equal(row, [2, 1, 0, 1, 2, 3, 2, 1])


def test_reflection_padding_in_a_model_and_config():
    outputs = ReflectionPadding2D(3, name="pad")(keras.Input((8, 8, 3)))
    assert outputs.shape == (None, 14, 14, 3)
    assert_layer_config_roundtrip(ReflectionPadding2D(3), np.ones((1, 5, 5, 2), "float32"))


def test_reflection_padding_rejects_bad_arguments():
    with pytest.raises(ValueError, match="padding=0"):
        ReflectionPadding2D(0)
    with pytest.raises(ValueError, match="padding=3.*input_shape"):
        ReflectionPadding2D(3)(np.ones((1, 3, 8, 1), "float32"))
