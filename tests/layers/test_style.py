import numpy as np

from keras_gen.layers.style import BiasActivation, ConstantInput, ModulatedConv2D, NoiseInjection
from tests.helpers import assert_layer_config_roundtrip


def _inputs(rng, batch=3, size=6, channels=5, num_ws=3, w_dim=4):
    x = rng.normal(size=(batch, size, size, channels)).astype("float32")
    ws = rng.normal(size=(batch, num_ws, w_dim)).astype("float32")
    return x, ws


def test_each_demodulated_output_channel_has_unit_norm_and_unit_expected_output_variance():
    rng = np.random.default_rng(0)
    x, ws = _inputs(rng)
    layer = ModulatedConv2D(7, 3, w_index=1)
    layer([x, ws])
    layer.affine.kernel.assign(rng.normal(size=layer.affine.kernel.shape) * 3.0)  # styles far from 1
    styles = np.asarray(layer.styles(ws))
    kernels = np.asarray(layer.modulated_kernels(styles))  # (batch, 3, 3, 5, 7)
    np.testing.assert_allclose((kernels ** 2).sum(axis=(1, 2, 3)), 1.0, rtol=1e-4)  # every (image, out channel)
    # So for i.i.d. unit-variance inputs every output channel has unit variance (interior pixels, no padding).
    big = rng.normal(size=(3, 40, 40, 5)).astype("float32")
    out = np.asarray(layer([big, ws]))[:, 1:-1, 1:-1]
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1.0, atol=0.12)
    # Without demodulation the variance follows the styles instead.
    plain = ModulatedConv2D(7, 3, w_index=1, demodulate=False)
    plain([big, ws])
    plain.set_weights(layer.get_weights())
    assert np.abs(np.asarray(plain([big, ws])).var(axis=(1, 2)) - 1.0).max() > 0.5


def test_modulated_conv_equals_a_per_image_convolution_with_the_modulated_kernel():
    rng = np.random.default_rng(1)
    x, ws = _inputs(rng)
    layer = ModulatedConv2D(2, 3, w_index=2)
    out = np.asarray(layer([x, ws]))
    kernels = np.asarray(layer.modulated_kernels(layer.styles(ws)))
    centre = np.einsum("bhwc,bhwcf->bf", x[:, 2:5, 2:5], kernels)
    np.testing.assert_allclose(out[:, 3, 3], centre, rtol=1e-4, atol=1e-5)
    # Only row `w_index` of ws matters.
    other = ws.copy()
    other[:, 0] += 5.0
    np.testing.assert_allclose(np.asarray(layer([x, other])), out, atol=1e-6)
    up = ModulatedConv2D(2, 3, w_index=0, upsample=True)
    assert up([x, ws]).shape == (3, 12, 12, 2)
    assert_layer_config_roundtrip(layer, [x, ws])


def test_noise_injection_is_fixed_at_inference_random_in_training_and_starts_off():
    x = np.zeros((2, 4, 4, 3), "float32")
    layer = NoiseInjection(seed=3)
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), 0.0)  # strength starts at 0
    layer.strength.assign(0.5)
    inference = np.asarray(layer(x))
    np.testing.assert_allclose(inference, np.broadcast_to(0.5 * layer.fixed_noise.numpy()[None], x.shape))
    np.testing.assert_array_equal(np.asarray(layer(x)), inference)
    first, second = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    assert np.abs(first - second).max() > 1e-3 and np.abs(first[0] - first[1]).max() > 1e-3
    np.testing.assert_array_equal(first[..., 0], first[..., 2])  # one map per image, shared by the channels


def test_bias_activation_and_constant_input():
    x = np.array([[[[-1.0, 2.0]]]], "float32")
    layer = BiasActivation("lrelu")
    layer(x)
    layer.bias.assign([0.5, -1.0])
    np.testing.assert_allclose(np.asarray(layer(x))[0, 0, 0], [-0.5 * 0.2 * np.sqrt(2), 1.0 * np.sqrt(2)], rtol=1e-6)
    constant = ConstantInput(3, size=4)
    out = np.asarray(constant(np.zeros((2, 5, 7), "float32")))
    assert out.shape == (2, 4, 4, 3)
    np.testing.assert_array_equal(out[0], constant.constant.numpy())
    np.testing.assert_array_equal(out[1], out[0])
