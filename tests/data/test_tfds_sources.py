import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_gen import data
from keras_gen.data import tfds_sources


@pytest.mark.parametrize("name, shape", [("mnist", (28, 28, 1)), ("fashion_mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_tfds_path_with_mock_data(name, shape, monkeypatch, tmp_path):
    # The real tfds code path (builder, download_and_prepare, as_dataset) with generated examples.
    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: True)
    with tfds.testing.mock_data(num_examples=12):
        images, labels = next(iter(data.load(name, "train", batch_size=8, value_range="signed", with_labels=True,
                                             data_dir=str(tmp_path))))
        raw = list(tfds.builder(name, data_dir=str(tmp_path)).as_dataset(split="train", shuffle_files=False))
    assert images.shape == (8,) + shape
    assert -1.0 <= images.numpy().min() and images.numpy().max() <= 1.0
    assert images.numpy().std() > 0.1  # mock pixels are random, not a constant
    assert labels.dtype.name == "int32" and np.all((labels.numpy() >= 0) & (labels.numpy() < 10))
    # Each loaded example is one of the 12 raw uint8 examples, scaled as x / 127.5 - 1, with its own label;
    # the shuffled batch holds 8 different ones.
    raw_images = np.stack([example["image"].numpy() for example in raw]).astype(np.float64) / 127.5 - 1.0
    raw_labels = np.array([example["label"].numpy() for example in raw])
    assert len(raw) == 12
    matches = []
    for image, label in zip(images.numpy(), labels.numpy()):
        match = [i for i in range(12) if np.allclose(raw_images[i], image, atol=1e-6)]
        assert len(match) == 1 and raw_labels[match[0]] == label
        matches.append(match[0])
    assert len(set(matches)) == 8


def test_unprepared_dataset_fails_fast_and_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_sources, "network_reachable", lambda: False)
    start = time.time()
    with pytest.raises(data.DatasetUnavailableError) as error:
        next(iter(data.load("mnist", "train", data_dir=str(tmp_path))))
    assert time.time() - start < 30
    message = str(error.value)
    assert "'mnist'" in message and str(tmp_path) in message and "--dataset=mnist_5k" in message


def test_probe_of_an_unreachable_address_answers_within_its_timeout():
    start = time.time()
    assert tfds_sources.network_reachable(("127.0.0.1", 9), timeout=2.0) is False  # discard port: refused
    assert time.time() - start < 5
