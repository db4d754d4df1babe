import math

import numpy as np
import pytest

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from tests.helpers import assert_layer_config_roundtrip


def test_equalized_dense_scales_its_weights_by_one_over_sqrt_fan_in_at_run_time():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 12)).astype("float32")
    layer = EqualizedDense(5, bias_init=0.5)
    out = np.asarray(layer(x))
    assert layer.runtime_scale == pytest.approx(1.0 / math.sqrt(12))
    np.testing.assert_allclose(out, x @ (layer.kernel.numpy() / math.sqrt(12)) + 0.5, rtol=1e-5, atol=1e-5)
    # The stored weights are unit-variance draws (the scale is not baked into the initializer).
    assert 0.8 < layer.kernel.numpy().std() < 1.2
    assert_layer_config_roundtrip(layer, x)


def test_lr_multiplier_shrinks_the_stored_init_and_scales_weights_and_bias():
    x = np.random.default_rng(1).normal(size=(4, 50)).astype("float32")
    layer = EqualizedDense(200, lr_multiplier=0.01, bias_init=1.0, activation="lrelu")
    out = np.asarray(layer(x))
    assert layer.runtime_scale == pytest.approx(0.01 / math.sqrt(50))
    assert 80 < layer.kernel.numpy().std() < 120  # N(0, 1 / lr_multiplier)
    np.testing.assert_allclose(layer.bias.numpy(), 100.0)  # so the effective bias starts at bias_init
    pre = x @ (layer.kernel.numpy() * layer.runtime_scale) + 1.0
    np.testing.assert_allclose(out, np.where(pre > 0, pre, 0.2 * pre) * math.sqrt(2.0), rtol=1e-4, atol=1e-4)


def test_equalized_conv_runtime_scale_is_one_over_sqrt_of_kernel_area_times_channels():
    x = np.random.default_rng(2).normal(size=(2, 5, 5, 3)).astype("float32")
    layer = EqualizedConv2D(4, 3)
    out = np.asarray(layer(x))
    assert layer.runtime_scale == pytest.approx(1.0 / math.sqrt(3 * 3 * 3))
    # The centre pixel by hand: the 3x3 window around it times the scaled kernel.
    expected = np.einsum("bhwc,hwcf->bf", x[:, 1:4, 1:4], layer.kernel.numpy() * layer.runtime_scale)
    np.testing.assert_allclose(out[:, 2, 2], expected, rtol=1e-5, atol=1e-5)
    assert_layer_config_roundtrip(layer, x)
    with pytest.raises(ValueError, match=r"kernel_size=2"):
        EqualizedConv2D(4, 2)
    with pytest.raises(ValueError, match=r"activation='relu'"):
        EqualizedDense(4, activation="relu")


def test_pixel_norm_gives_unit_root_mean_square_per_vector():
    x = np.random.default_rng(3).normal(3.0, 2.0, size=(4, 6, 6, 8)).astype("float32")
    out = np.asarray(PixelNorm()(x))
    np.testing.assert_allclose(np.sqrt((out ** 2).mean(-1)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out, x / np.sqrt((x ** 2).mean(-1, keepdims=True)), rtol=1e-5)


def test_minibatch_stddev_by_hand():
    x = np.random.default_rng(4).normal(size=(4, 2, 2, 3)).astype("float32")
    out = np.asarray(MinibatchStdDev(group_size=2)(x))
    assert out.shape == (4, 2, 2, 4)
    np.testing.assert_allclose(out[..., :3], x)
    # Groups of 2 split the batch as (group member, position): images {0, 2} and {1, 3} form the groups.
    for group in ((0, 2), (1, 3)):
        expected = np.sqrt(x[list(group)].var(axis=0) + 1e-8).mean()
        for i in group:
            np.testing.assert_allclose(out[i, ..., 3], expected, rtol=1e-5)
    # A group of identical images has zero spread.
    same = np.repeat(x[:1], 4, axis=0)
    np.testing.assert_allclose(np.asarray(MinibatchStdDev(4)(same))[..., 3], 1e-4, atol=1e-4)
    assert_layer_config_roundtrip(MinibatchStdDev(2), x)
