import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.image_pool import ImagePool


def _batch(values):
    # Each image is constant, equal to its id: easy to track through the pool.
    return np.asarray(values, "float32").reshape(-1, 1, 1, 1) * np.ones((1, 2, 2, 1), "float32")


def _ids(images):
    return np.asarray(images)[:, 0, 0, 0].tolist()


def test_pool_fills_then_swaps_for_past_images():
    pool = ImagePool(pool_size=4, swap_probability=1.0, seed=0)
    assert _ids(pool(_batch([0, 1]))) == [0, 1]
    assert _ids(pool(_batch([2, 3]))) == [2, 3]  # still filling: returned unchanged
    assert _ids(pool.images) == [0, 1, 2, 3]  # stored in arrival order: slot i holds image i
    returned = _ids(pool(_batch([10, 11])))  # full: every image swapped for a stored past one
    assert set(returned) <= {0, 1, 2, 3}
    # Each new image took the slot of the image returned in its place; the other slots are untouched.
    slots = [int(r) for r in returned]
    stored = _ids(pool.images)
    for slot in range(4):
        if slot not in slots:
            assert stored[slot] == slot
    if slots[0] != slots[1]:
        assert (stored[slots[0]], stored[slots[1]]) == (10, 11)
    else:  # both picked the same slot: one of them is kept
        assert stored[slots[0]] in (10, 11)
    assert int(pool.num_filled.numpy()) == 4


def test_pool_swap_probability_zero_passes_through_and_zero_size_disables():
    pool = ImagePool(pool_size=2, swap_probability=0.0, seed=0)
    for start in range(0, 12, 3):
        assert _ids(pool(_batch([start, start + 1, start + 2]))) == [start, start + 1, start + 2]
    assert _ids(ImagePool(pool_size=0)(_batch([5, 6]))) == [5, 6]


def test_pool_is_seeded_and_mixes_about_half():
    def run(seed):
        pool = ImagePool(pool_size=8, swap_probability=0.5, seed=seed)
        pool(_batch(range(100, 108)))
        return [_ids(pool(_batch(range(10 * i, 10 * i + 8)))) for i in range(10)]

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    swapped = sum(v not in range(10 * i, 10 * i + 8) for i, batch in enumerate(first) for v in batch)
    assert 20 <= swapped <= 60  # ~40 of 80 swapped at p = 0.5


def test_pool_works_inside_tf_function_and_blocks_gradients():
    pool = ImagePool(pool_size=2, swap_probability=1.0, seed=0)
    images = tf.Variable(_batch([1, 2, 3]))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            out = pool(images)
            total = tf.reduce_sum(out)
        return out, tape.gradient(total, images)

    out, grad = step()
    assert grad is None
    assert _ids(out)[:2] == [1, 2]
    assert int(pool.num_filled.numpy()) == 2


def test_a_batch_that_fills_the_pool_never_returns_an_empty_slot():
    pool = ImagePool(pool_size=2, swap_probability=1.0, seed=0)
    returned = _ids(pool(_batch([1, 2, 3])))  # 1 and 2 fill the pool, 3 is swapped
    assert returned[:2] == [1, 2]
    assert returned[2] in (1, 2, 3), f"returned {returned[2]}, an image that was never generated"
    assert returned == [1, 2, 3]  # an empty pool before the batch holds no earlier fake to swap in
    pool = ImagePool(pool_size=2, swap_probability=1.0, seed=0)
    pool(_batch([1]))
    # 2 fills the last slot; 3 and 4 are swapped for the one fake stored before this batch.
    assert _ids(pool(_batch([2, 3, 4]))) == [2, 1, 1]


def test_pool_config_roundtrip_and_bad_arguments():
    pool = ImagePool(pool_size=3, swap_probability=0.25, seed=7, name="pool")
    clone = ImagePool.from_config(pool.get_config())
    assert (clone.pool_size, clone.swap_probability, clone.seed) == (3, 0.25, 7)
    with pytest.raises(ValueError, match="pool_size=-1"):
        ImagePool(pool_size=-1)
    with pytest.raises(ValueError, match="swap_probability=1.5"):
        ImagePool(swap_probability=1.5)
