import keras
import numpy as np

from keras_gen.layers.social_pooling import SocialPooling


def _pooling_inputs(seed=0, pedestrians=5, units=3):
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((2, pedestrians, units)).astype(np.float32)
    positions = rng.standard_normal((2, pedestrians, 2)).astype(np.float32)
    return hidden, positions


def test_pooling_is_invariant_to_the_order_of_the_others():
    keras.utils.set_random_seed(0)
    layer = SocialPooling(embedding_dim=4, hidden_units=8, output_dim=6)
    hidden, positions = _pooling_inputs()
    mask = np.ones((2, 5), bool)
    pooled = np.asarray(layer([hidden, positions, mask]))
    assert pooled.shape == (2, 5, 6) and np.abs(pooled).max() > 0
    order = np.array([3, 0, 4, 1, 2])
    permuted = np.asarray(layer([hidden[:, order], positions[:, order], mask[:, order]]))
    np.testing.assert_array_equal(permuted, pooled[:, order])  # exact: a max does not depend on the order


def test_masked_pedestrians_change_nothing_and_a_lone_pedestrian_gets_zeros():
    keras.utils.set_random_seed(0)
    layer = SocialPooling(embedding_dim=4, hidden_units=8, output_dim=6)
    hidden, positions = _pooling_inputs(pedestrians=3)
    mask = np.ones((2, 3), bool)
    reference = np.asarray(layer([hidden, positions, mask]))
    # Two padding slots holding huge values (they would win every max if they leaked in).
    padded_hidden = np.concatenate([hidden, np.full((2, 2, 3), 1e6, np.float32)], axis=1)
    padded_positions = np.concatenate([positions, np.full((2, 2, 2), -1e6, np.float32)], axis=1)
    padded_mask = np.concatenate([mask, np.zeros((2, 2), bool)], axis=1)
    padded = np.asarray(layer([padded_hidden, padded_positions, padded_mask]))
    np.testing.assert_array_equal(padded[:, :3], reference)
    # Each pedestrian pools only the others: with one real pedestrian there is nothing to pool.
    alone = np.asarray(layer([hidden, positions, np.array([[True, False, False], [True, True, True]])]))
    np.testing.assert_array_equal(alone[0, 0], np.zeros(6))
    # Pedestrian 0's pool from pedestrians {1, 2} equals the max of what each alone contributes.
    pair_1 = np.asarray(layer([hidden, positions, np.array([[True, True, False]] * 2)]))[:, 0]
    pair_2 = np.asarray(layer([hidden, positions, np.array([[True, False, True]] * 2)]))[:, 0]
    np.testing.assert_allclose(reference[:, 0], np.maximum(pair_1, pair_2), rtol=1e-6, atol=1e-7)


def test_config_round_trip():
    layer = SocialPooling(embedding_dim=4, hidden_units=8, output_dim=6, name="pool")
    restored = SocialPooling.from_config(layer.get_config())
    assert (restored.embedding_dim, restored.hidden_units, restored.output_dim) == (4, 8, 6)
