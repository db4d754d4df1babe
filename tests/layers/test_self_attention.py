import numpy as np
import pytest

from keras_gen.layers.self_attention import SelfAttention2D
from tests.helpers import assert_layer_config_roundtrip


def _features():
    return np.random.default_rng(0).normal(size=(2, 4, 4, 16)).astype(np.float32)


def test_starts_as_identity_then_mixes_all_positions():
    features = _features()
    layer = SelfAttention2D(name="attention")
    np.testing.assert_allclose(np.asarray(layer(features)), features, atol=1e-6)  # gamma starts at 0
    assert layer.query.kernel.shape == (1, 1, 16, 2) and layer.value.kernel.shape == (1, 1, 16, 8)
    layer.gamma.assign(1.0)
    base = np.asarray(layer(features))
    # Changing one position changes the output everywhere: attention is non-local.
    changed = features.copy()
    changed[0, 0, 0] += 5.0
    difference = np.abs(np.asarray(layer(changed)) - base)[0].sum(axis=-1)
    assert (difference > 1e-6).all()
    np.testing.assert_allclose(np.asarray(layer(changed))[1], base[1], atol=1e-6)  # examples stay independent


def test_matches_a_numpy_reference():
    features = _features()
    layer = SelfAttention2D(key_channels=4, value_channels=4)
    layer(features)
    layer.gamma.assign(0.5)
    flat = features.reshape(2, 16, 16)
    query = flat @ layer.query.kernel.numpy()[0, 0]
    key = flat @ layer.key.kernel.numpy()[0, 0]
    value = flat @ layer.value.kernel.numpy()[0, 0]
    scores = np.einsum("bqk,bnk->bqn", query, key)
    attention = np.exp(scores - scores.max(-1, keepdims=True))
    attention /= attention.sum(-1, keepdims=True)
    expected = flat + 0.5 * (attention @ value) @ layer.output_projection.kernel.numpy()[0, 0]
    np.testing.assert_allclose(np.asarray(layer(features)), expected.reshape(2, 4, 4, 16), rtol=1e-4, atol=1e-4)


def test_config_roundtrip_with_spectral_norm_and_errors():
    layer = SelfAttention2D(spectral_norm=True, key_channels=2)
    layer(_features())
    layer.gamma.assign(0.3)
    assert_layer_config_roundtrip(layer, _features())
    with pytest.raises(ValueError, match="Received: key_channels=0"):
        SelfAttention2D(key_channels=0)
    with pytest.raises(ValueError, match="Received: shape"):
        SelfAttention2D()(np.zeros((2, 4, 16), np.float32))
