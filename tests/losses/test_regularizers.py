import numpy as np
import pytest
import tensorflow as tf

from keras_gen.losses.regularizers import path_length_penalty, path_lengths, r1_penalty


def test_r1_penalty_of_a_quadratic_critic_by_hand():
    # D(x) = sum(a * x^2) per image: its gradient is 2 a x, so the penalty is mean_i sum (2 a x_i)^2.
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1, 3, 3, 2)).astype("float32")
    x = rng.normal(size=(4, 3, 3, 2)).astype("float32")
    penalty = float(r1_penalty(lambda images: tf.reduce_sum(a * images ** 2, axis=(1, 2, 3))[:, None], x))
    assert penalty == pytest.approx(float(((2 * a * x) ** 2).sum(axis=(1, 2, 3)).mean()), rel=1e-5)


def test_r1_penalty_gradient_reaches_the_critic_weights():
    weight = tf.Variable(2.0)
    x = np.ones((2, 1, 1, 1), "float32")
    with tf.GradientTape() as tape:
        penalty = r1_penalty(lambda images: weight * tf.reduce_sum(images ** 2, axis=(1, 2, 3)), x)
    # grad = 2 w x = 4 per image; penalty = (2 w)^2 = 16; d penalty / d w = 8 w = 16
    assert float(penalty) == pytest.approx(16.0)
    assert float(tape.gradient(penalty, weight)) == pytest.approx(16.0)


def test_path_lengths_of_a_linear_synthesis_by_hand():
    # images = reshape(ws @ A): J^T y = y_flat A^T per layer row, so the length is sqrt(mean_rows ||(y/sqrt(HW)) A^T||^2).
    rng = np.random.default_rng(1)
    batch, num_ws, w_dim, size = 3, 2, 4, 2
    a = rng.normal(size=(w_dim, size * size)).astype("float32")
    ws = rng.normal(size=(batch, num_ws, w_dim)).astype("float32")
    noise = rng.normal(size=(batch, size, size, 1)).astype("float32")

    def synthesize(w):
        return tf.reshape(tf.reduce_sum(tf.einsum("bnd,dp->bnp", w, a), axis=1), (-1, size, size, 1))

    lengths = np.asarray(path_lengths(synthesize, ws, noise))
    y = noise.reshape(batch, -1) / np.sqrt(size * size)
    per_row = ((y @ a.T) ** 2).sum(axis=1)  # the same for every row: each row enters the sum the same way
    np.testing.assert_allclose(lengths, np.sqrt(per_row), rtol=1e-5)
    penalty, new_mean = path_length_penalty(tf.constant(lengths), tf.constant(1.0), decay=0.5)
    expected_mean = 1.0 + 0.5 * (lengths.mean() - 1.0)
    assert float(new_mean) == pytest.approx(expected_mean, rel=1e-6)
    assert float(penalty) == pytest.approx(((lengths - expected_mean) ** 2).mean(), rel=1e-5)
