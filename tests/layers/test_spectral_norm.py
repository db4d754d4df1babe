import keras
import numpy as np
import pytest

from keras_gen.layers.spectral_norm import SpectralNormalization


def _logits_layer(wrapper, kernel, u):
    """A `Dense(1)` logits layer (one `u` entry: the narrow case) wrapped in `wrapper`, with the given weights."""
    layer = wrapper(keras.layers.Dense(1, use_bias=False))
    layer.build((None, kernel.shape[0]))
    layer.layer.kernel.assign(kernel)
    layer.vector_u.assign(u)
    return layer


def _expected_kernel(kernel, u):
    """One power iteration in float64, as the layer's docs define it: v = u W^T / |.|, u' = v W / |.|, sigma = v W u'^T."""
    v = u @ kernel.T
    v = v / np.linalg.norm(v)
    u_new = v @ kernel
    u_new = u_new / np.linalg.norm(u_new)
    return kernel / (v @ kernel @ u_new.T)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float32"])
def test_power_iteration_runs_in_float32_under_mixed_precision(policy):
    keras.config.set_dtype_policy(policy)
    rng = np.random.default_rng(0)
    kernel = (0.01 * rng.standard_normal((64, 1))).astype(np.float32)
    u = np.array([[0.003]], np.float32)  # sum(v ** 2) ~ 1e-8: below float16's smallest subnormal
    inputs = rng.standard_normal((3, 64)).astype(np.float32)
    layer = _logits_layer(SpectralNormalization, kernel, u)
    outputs = np.asarray(layer(inputs, training=True), np.float32)
    new_kernel = np.asarray(layer.layer.kernel)
    expected = _expected_kernel(kernel.astype(np.float64), u.astype(np.float64))
    # The float32 master kernel gets kernel / sigma to float32 accuracy: not NaN (float16) and not rounded to the
    # 8 bits bfloat16 keeps.
    np.testing.assert_allclose(new_kernel, expected, rtol=1e-5)
    assert np.all(np.isfinite(outputs)) and outputs.shape == (3, 1)
    # The wrapped layer still computes in the policy's dtype.
    assert layer.layer.compute_dtype == keras.config.dtype_policy().compute_dtype
    np.testing.assert_allclose(outputs, inputs @ expected, rtol=3e-2, atol=3e-2)


def test_keras_wrapper_fails_the_same_case_in_float16():
    """The case above is a real failure of Keras' own wrapper (why this subclass exists)."""
    keras.config.set_dtype_policy("mixed_float16")
    kernel = (0.01 * np.random.default_rng(0).standard_normal((64, 1))).astype(np.float32)
    layer = _logits_layer(keras.layers.SpectralNormalization, kernel, np.array([[0.003]], np.float32))
    layer(np.ones((3, 64), np.float32), training=True)
    assert not np.all(np.isfinite(np.asarray(layer.layer.kernel)))


def test_config_round_trip_keeps_the_class_and_the_float32_iteration():
    layer = SpectralNormalization(keras.layers.Dense(3), power_iterations=2, name="sn")
    layer.build((None, 4))
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is SpectralNormalization
    assert restored.power_iterations == 2 and restored.dtype_policy.name == "float32" and restored.name == "sn"
    assert isinstance(layer, keras.layers.SpectralNormalization)
