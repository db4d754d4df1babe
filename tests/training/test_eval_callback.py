import csv
import glob
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.metrics.evaluate import load_real_images
from keras_gen.metrics.features import FeatureNetwork, get_feature_network
from keras_gen.metrics.frechet import frechet_distance_from_features
from keras_gen.training.eval_callback import FrechetDistanceCallback


def _flatten_network():
    # Raw pixels as features: fast, and the expected FD is easy to compute independently.
    return FeatureNetwork(keras.layers.Flatten(), "pixels", (8, 8), 1, has_probabilities=False)


def _tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="dense")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _sample_fn(model, num, seed):
    # Brightness follows the model's bias, so the samples change while training moves it.
    bias = float(model.get_layer("dense").bias.numpy()[0])
    rng = np.random.default_rng(seed)
    return np.clip(rng.uniform(size=(num, 8, 8, 1)) * 0.5 + 0.25 + 0.1 * np.tanh(bias), 0, 1).astype("float32")


def test_fd_reaches_history_csv_and_tensorboard(tmp_path):
    real = np.random.default_rng(123).uniform(size=(64, 8, 8, 1)).astype("float32")
    callback = FrechetDistanceCallback(_sample_fn, real, feature_network=_flatten_network(), every=2, num_samples=40,
                                       batch_size=16, seed=5)
    csv_path = str(tmp_path / "history.csv")
    model = _tiny_model()
    x, y = np.ones((8, 4), "float32"), np.full((8, 1), 3.0, "float32")
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[
        callback, keras.callbacks.CSVLogger(csv_path), keras.callbacks.TensorBoard(str(tmp_path / "tb")),
    ])
    fd = history.history["fd"]
    # every=2: epoch 1 skipped (NaN), epoch 2 evaluated, epoch 3 evaluated because it is the last.
    assert math.isnan(fd[0]) and fd[1] > 0 and fd[2] > 0
    # The logged value is the FD of exactly these samples (same seeds), computed independently.
    generated = np.concatenate([_sample_fn(model, n, 5 + i) for i, n in enumerate((16, 16, 8))])
    assert fd[2] == pytest.approx(frechet_distance_from_features(real.reshape(64, -1), generated.reshape(40, -1)), rel=1e-6)
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert [row["fd"] for row in rows][0] == "nan" and float(rows[2]["fd"]) == pytest.approx(fd[2])
    tags = {}
    for path in glob.glob(os.path.join(tmp_path, "tb", "train", "*tfevents*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag.startswith("epoch_"):  # skip the model-graph text summary
                    tags.setdefault(value.tag, []).append(float(tf.make_ndarray(value.tensor)))
    assert tags["epoch_fd"][2] == pytest.approx(fd[2], rel=1e-6)


def test_bad_arguments_name_the_parameter():
    real = np.zeros((4, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="every=0"):
        FrechetDistanceCallback(_sample_fn, real, every=0)
    with pytest.raises(ValueError, match="num_samples=1"):
        FrechetDistanceCallback(_sample_fn, real, num_samples=1)
    with pytest.raises(ValueError, match="real_images"):
        FrechetDistanceCallback(_sample_fn, real[0])


def test_factory_uses_the_dataset_split_and_the_shipped_classifier():
    from keras_gen.training.eval_callback import frechet_distance_callback

    callback = frechet_distance_callback(lambda model, num, seed: None, "synthetic_16", every=3, num_samples=10)
    assert callback.real_images.shape == (64, 16, 16, 1) and callback.every == 3
    assert float(callback.real_images.max()) <= 1.0
    # Real digits against other real digits (the train split, disjoint from the test split the callback
    # holds): the shipped classifier's features, the FD recomputed directly on them, and far below noise.
    digits = frechet_distance_callback(lambda model, num, seed: None, "mnist_5k", num_samples=250)
    held_out = digits.real_images
    assert held_out.shape == (500, 28, 28, 1)
    train_digits = load_real_images("mnist_5k", "train", limit=250)[0]
    calls = []

    def sample_train_digits(model, num, seed):
        calls.append((num, seed))
        return train_digits[:num]

    digits.sample_fn = sample_train_digits
    real_vs_real = digits.frechet_distance()
    assert calls == [(250, 0)]
    network = get_feature_network("mnist_classifier")
    expected = frechet_distance_from_features(network(held_out)[0], network(train_digits)[0])
    assert real_vs_real == pytest.approx(expected, rel=1e-6)
    assert 0.0 < real_vs_real < 2.0
    digits.sample_fn = lambda model, num, seed: np.random.default_rng(seed).uniform(size=(num, 28, 28, 1)).astype("float32")
    assert digits.frechet_distance() > 100 * real_vs_real
