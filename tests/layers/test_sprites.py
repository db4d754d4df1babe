import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.sprites import SpriteCompositor, translation_matrices


def _dot_sprites():
    """Two 8x8 sprites, one pixel each: sprite 0 at (2, 2) with value 1.0, sprite 1 at (5, 1) with value 0.5."""
    sprites = np.zeros((1, 8, 8, 2), np.float32)
    sprites[0, 2, 2, 0] = 1.0
    sprites[0, 5, 1, 1] = 0.5
    return sprites


def test_sprites_move_by_the_sum_of_their_steps_and_combine_by_maximum():
    steps = np.array([[[1, 2, 0, 1], [1, 0, -1, 1]]], np.float32)  # (1, T - 1 = 2, K * 2): (dy0, dx0, dy1, dx1)
    clips = np.asarray(SpriteCompositor(2)(_dot_sprites(), steps))
    assert clips.shape == (1, 3, 8, 8, 1)
    expected = np.zeros((3, 8, 8), np.float32)
    expected[0, 2, 2], expected[0, 5, 1] = 1.0, 0.5  # frame 0: where they are
    expected[1, 3, 4], expected[1, 5, 2] = 1.0, 0.5  # + (1, 2) and + (0, 1)
    expected[2, 4, 4], expected[2, 4, 3] = 1.0, 0.5  # + (2, 2) and + (-1, 2) in all
    np.testing.assert_allclose(clips[0, ..., 0], expected, atol=1e-6)
    # Overlapping sprites: the pixelwise maximum, not the sum.
    both = np.asarray(SpriteCompositor(2)(_dot_sprites(), np.array([[[0, 0, -3, 1]]], np.float32)))
    assert both[0, 1, 2, 2, 0] == pytest.approx(1.0)


def test_fractional_steps_interpolate_bilinearly_and_pass_gradients():
    steps = tf.Variable([[[0.25, 0.5, 0.0, 0.0]]])
    layer = SpriteCompositor(2)
    with tf.GradientTape() as tape:
        clips = layer(_dot_sprites(), steps)
        loss = clips[0, 1, 3, 3, 0]  # the pixel one down, one right: weight 0.25 * 0.5 in bilinear interpolation
    frame = np.asarray(clips)[0, 1, ..., 0]
    np.testing.assert_allclose(frame[2:4, 2:4], [[0.75 * 0.5, 0.75 * 0.5], [0.25 * 0.5, 0.25 * 0.5]], atol=1e-6)
    assert frame.sum() == pytest.approx(1.0 + 0.5)  # mass kept away from the border
    gradient = np.asarray(tape.gradient(loss, steps))
    np.testing.assert_allclose(gradient[0, 0, :2], [0.5, 0.25], atol=1e-6)  # d(wy * wx)/d(dy), d/d(dx)
    np.testing.assert_allclose(gradient[0, 0, 2:], 0.0)


def test_translation_matrices_shift_and_drop_at_the_border():
    matrix = np.asarray(translation_matrices(tf.constant([2.0]), 4))[0]
    np.testing.assert_allclose(matrix @ np.array([1.0, 2.0, 3.0, 4.0]), [0.0, 0.0, 1.0, 2.0])


def test_config_round_trip_and_bad_argument():
    layer = SpriteCompositor(3, name="compositor")
    restored = SpriteCompositor.from_config(layer.get_config())
    assert restored.num_sprites == 3 and restored.dtype_policy.name == "float32"
    with pytest.raises(ValueError, match="Received: num_sprites=0"):
        SpriteCompositor(0)
    assert isinstance(keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer)),
                      SpriteCompositor)
