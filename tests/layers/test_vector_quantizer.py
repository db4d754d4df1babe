import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.vector_quantizer import VectorQuantizer
from tests.helpers import assert_layer_config_roundtrip


def _inputs(shape=(2, 3, 3, 4), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_output_is_exactly_the_nearest_codebook_row():
    quantizer = VectorQuantizer(8, 4, seed=0)
    inputs = _inputs()
    out = quantizer(inputs)
    codebook = quantizer.codebook.numpy()
    indices = out["indices"].numpy()
    assert indices.shape == (2, 3, 3) and indices.dtype == np.int32
    # Exactly a row, bit for bit, and the nearest one.
    np.testing.assert_array_equal(out["quantized"].numpy(), codebook[indices])
    distances = ((inputs[..., None, :] - codebook) ** 2).sum(-1)  # (2, 3, 3, 8)
    np.testing.assert_array_equal(indices, distances.argmin(-1))
    np.testing.assert_array_equal(quantizer.lookup(indices).numpy(), codebook[indices])


def test_losses_perplexity_and_usage_values():
    quantizer = VectorQuantizer(4, 2, beta=0.5, use_ema=False, restart_threshold=0.0)
    quantizer.build((None, 2))
    quantizer.codebook.assign(np.array([[0, 0], [1, 0], [0, 1], [5, 5]], np.float32))
    inputs = np.array([[0.1, 0.0], [0.9, 0.0], [0.0, 1.2], [0.0, 0.8]], np.float32)
    out = quantizer(inputs)
    np.testing.assert_array_equal(out["indices"].numpy(), [0, 1, 2, 2])
    squared_error = np.mean((inputs - np.array([[0, 0], [1, 0], [0, 1], [0, 1]])) ** 2)
    np.testing.assert_allclose(out["codebook_loss"].numpy(), squared_error, rtol=1e-5)
    np.testing.assert_allclose(out["commitment_loss"].numpy(), 0.5 * squared_error, rtol=1e-5)
    probs = np.array([0.25, 0.25, 0.5])
    np.testing.assert_allclose(out["perplexity"].numpy(), np.exp(-(probs * np.log(probs)).sum()), rtol=1e-5)
    np.testing.assert_allclose(out["usage"].numpy(), 0.75)


def test_straight_through_gradient_reaches_the_encoder():
    quantizer = VectorQuantizer(8, 4, beta=0.0, seed=0)
    encoder = keras.layers.Dense(4)
    x = _inputs((6, 3))
    with tf.GradientTape() as tape:
        quantized = quantizer(encoder(x))["quantized"]
        loss = tf.reduce_sum(quantized * tf.constant(_inputs((6, 4), seed=1)))
    gradients = tape.gradient(loss, encoder.trainable_weights)
    # Identity backward: d loss / d z equals d loss / d quantized, so the Dense kernel gets x^T @ upstream.
    np.testing.assert_allclose(gradients[0].numpy(), x.T @ _inputs((6, 4), seed=1), rtol=1e-5)


def test_codebook_loss_trains_the_codebook_without_ema():
    quantizer = VectorQuantizer(8, 4, use_ema=False, seed=0)
    inputs = tf.constant(_inputs())
    with tf.GradientTape() as tape:
        out = quantizer(inputs)
    gradient = tf.convert_to_tensor(tape.gradient(out["codebook_loss"], quantizer.codebook)).numpy()
    assert quantizer.codebook.trainable
    # codebook_loss = mean over the N*D entries of (z - e_k(z))^2: row k gets -2 (z - e_k) / (N*D) summed over
    # the vectors assigned to it, and rows no vector picked get 0.
    codebook = quantizer.codebook.numpy()
    flat_inputs, flat_indices = _inputs().reshape(-1, 4), out["indices"].numpy().reshape(-1)
    expected = np.zeros_like(codebook)
    for vector, index in zip(flat_inputs, flat_indices):
        expected[index] += -2.0 * (vector - codebook[index]) / flat_inputs.size
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-7)
    assert np.abs(gradient).sum() > 0


def test_ema_update_moves_codes_toward_assigned_encodings():
    quantizer = VectorQuantizer(4, 2, decay=0.9, restart_threshold=0.0)
    quantizer.build((None, 2))
    start = np.array([[0, 0], [1, 0], [0, 1], [5, 5]], np.float32)
    quantizer.codebook.assign(start)
    quantizer.ema_sum.assign(start)
    assert not quantizer.codebook.trainable
    inputs = np.array([[0.2, 0.2], [0.7, 0.0], [0.0, 1.5]], np.float32)  # codes 0, 1, 2; code 3 unused
    for _ in range(3):
        previous = quantizer.codebook.numpy()
        quantizer(inputs, training=True)
        codebook = quantizer.codebook.numpy()
        targets = {0: inputs[0], 1: inputs[1], 2: inputs[2]}
        for code, target in targets.items():
            assert np.linalg.norm(codebook[code] - target) < np.linalg.norm(previous[code] - target)
    # One step by hand: count 1 -> 0.9 + 0.1 * 1 = 1 for used codes, so code 0 after step 1 is 0.9*e + 0.1*z
    # (up to Laplace smoothing of order epsilon).
    fresh = VectorQuantizer(4, 2, decay=0.9, restart_threshold=0.0)
    fresh.build((None, 2))
    fresh.codebook.assign(start)
    fresh.ema_sum.assign(start)
    fresh(inputs, training=True)
    expected = 0.9 * start[:3] + 0.1 * inputs
    np.testing.assert_allclose(fresh.codebook.numpy()[:3], expected, atol=1e-4)
    # The unused code shrinks in count (0.9) and its sum (0.9 * e): unchanged position.
    np.testing.assert_allclose(fresh.codebook.numpy()[3], start[3], atol=1e-3)


def test_inference_does_not_update_state():
    quantizer = VectorQuantizer(8, 4, seed=0)
    quantizer(_inputs())
    before = [w.numpy().copy() for w in quantizer.weights]
    quantizer(_inputs(), training=False)
    for a, b in zip(before, quantizer.weights):
        np.testing.assert_array_equal(a, b.numpy())


@pytest.mark.parametrize("use_ema", [True, False])
def test_dead_codes_are_restarted_from_current_encodings(use_ema):
    quantizer = VectorQuantizer(6, 3, use_ema=use_ema, decay=0.9, restart_threshold=0.5, seed=3)
    quantizer.build((None, 3))
    codebook = np.zeros((6, 3), np.float32)
    codebook[:3] = np.eye(3)
    codebook[3:] = 100.0  # far away: never assigned
    quantizer.codebook.assign(codebook)
    if use_ema:
        quantizer.ema_sum.assign(codebook)
    quantizer.code_usage.assign(np.full(6, 1.0 / 6, np.float32))
    inputs = np.eye(3, dtype=np.float32).repeat(4, axis=0) + 0.01 * _inputs((12, 3))
    for step in range(10):  # usage of codes 3-5 falls below 0.5 / 6 after 7 steps at decay 0.9
        quantizer(inputs, training=True)
        if quantizer.codebook.numpy()[3:].max() < 50.0:
            break
    assert step == 7, f"restarted after {step + 1} steps"
    restarted = quantizer.codebook.numpy()[3:]
    assert restarted.max() < 50.0, "dead codes were not restarted"
    # Each restarted code is one of the current encoder outputs.
    for row in restarted:
        assert np.abs(inputs - row).sum(-1).min() < 1e-5
    # Restarted codes get uniform usage again; the live codes keep theirs.
    np.testing.assert_allclose(quantizer.code_usage.numpy()[3:], 1.0 / 6)


def test_first_training_step_initializes_codebook_from_encodings():
    quantizer = VectorQuantizer(4, 2, seed=0)
    inputs = _inputs((10, 2)) + 50.0
    quantizer(inputs, training=True)
    for row in quantizer.codebook.numpy():
        assert np.abs(inputs - row).sum(-1).min() < 1e-4


def test_restart_is_seeded():
    inputs = _inputs((20, 2))
    results = []
    for seed in (7, 7, 8):
        quantizer = VectorQuantizer(8, 2, seed=seed)
        quantizer(inputs, training=True)
        results.append(quantizer.codebook.numpy())
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])  # another seed picks other encodings


def test_config_roundtrip_and_symbolic_call():
    quantizer = VectorQuantizer(8, 4, beta=0.3, use_ema=False, decay=0.9, restart_threshold=0.1, seed=5, name="vq")
    assert_layer_config_roundtrip(quantizer, _inputs())
    assert quantizer.get_config()["seed"] == 5
    out = VectorQuantizer(8, 4)(keras.Input((3, 3, 4)))
    assert out["quantized"].shape == (None, 3, 3, 4) and out["indices"].shape == (None, 3, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_embeddings": 1, "embedding_dim": 4}, "num_embeddings=1"),
        ({"num_embeddings": 8, "embedding_dim": 0}, "embedding_dim=0"),
        ({"num_embeddings": 8, "embedding_dim": 4, "decay": 1.0}, "decay=1.0"),
        ({"num_embeddings": 8, "embedding_dim": 4, "beta": -1}, "beta=-1"),
        ({"num_embeddings": 8, "embedding_dim": 4, "epsilon": 0}, "epsilon=0"),
        ({"num_embeddings": 8, "embedding_dim": 4, "restart_threshold": -0.1}, "restart_threshold=-0.1"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VectorQuantizer(**kwargs)


def test_wrong_embedding_dim_is_rejected():
    with pytest.raises(ValueError, match="embedding_dim"):
        VectorQuantizer(8, 4)(_inputs((2, 5)))
