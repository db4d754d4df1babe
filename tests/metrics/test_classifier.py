import json
import os

import numpy as np
import pytest

from keras_gen import data
from keras_gen.metrics import classifier as classifier_lib
from keras_gen.metrics.train_classifier import write_classifier


def test_shipped_classifier_loads_and_beats_97_percent_on_held_out_digits():
    model = classifier_lib.load_mnist_classifier()
    images, labels = data.as_numpy("mnist_5k", "test")
    assert len(labels) == 500
    probabilities = classifier_lib.predict_in_batches(model, images)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    assert accuracy > 0.97
    record = classifier_lib.classifier_metadata()
    assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert record["command"].startswith("python -m keras_gen.metrics.train_classifier")
    # Small enough to ship in the repository.
    assert os.path.getsize(classifier_lib.classifier_path()) < 600_000


def test_features_model_gives_penultimate_features_and_probabilities():
    model = classifier_lib.build_mnist_classifier(feature_dim=16)
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    features, probabilities = classifier_lib.features_model(model)(images)
    assert features.shape == (3, 16) and probabilities.shape == (3, 10)
    np.testing.assert_allclose(np.asarray(probabilities), np.asarray(model(images)), atol=1e-6)
    np.testing.assert_allclose(np.sum(probabilities, axis=1), 1.0, atol=1e-5)


def test_training_and_writing_a_classifier(tmp_path):
    model, metrics = classifier_lib.train_mnist_classifier(epochs=1, batch_size=16, steps_per_epoch=2, verbose=0)
    # The reported accuracy is the model's own accuracy on the 500 test digits, recomputed from its predictions.
    digits, labels = data.as_numpy("mnist_5k", "test")
    predictions = classifier_lib.predict_in_batches(model, digits).argmax(axis=1)
    assert metrics["test_accuracy"] == pytest.approx(float(np.mean(predictions == labels)), abs=1e-6)
    path = write_classifier(model, {**metrics, "test_size": 500}, str(tmp_path), "python -m cmd", "mnist_5k")
    restored = classifier_lib.load_mnist_classifier(str(tmp_path))
    assert getattr(restored, "optimizer", None) is None  # shipped without optimizer slots
    images = np.zeros((2, 28, 28, 1), "float32")
    np.testing.assert_allclose(np.asarray(restored(images)), np.asarray(model(images, training=False)), atol=1e-6)
    np.testing.assert_allclose(classifier_lib.predict_in_batches(restored, digits[:64]),
                               classifier_lib.predict_in_batches(model, digits[:64]), atol=1e-6)
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["command"] == "python -m cmd" and record["test_split_size"] == 500
    assert record["test_accuracy"] == metrics["test_accuracy"]
    assert "python -m cmd" in (tmp_path / "README.md").read_text()
    assert path.endswith("mnist_classifier.keras")


def test_missing_classifier_error_names_the_command(tmp_path):
    with pytest.raises(classifier_lib.ClassifierNotFoundError, match="train_classifier --out"):
        classifier_lib.load_mnist_classifier(str(tmp_path))


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="feature_dim=0"):
        classifier_lib.build_mnist_classifier(feature_dim=0)
    with pytest.raises(ValueError, match="dataset='synthetic_16'"):
        classifier_lib.train_mnist_classifier(dataset="synthetic_16")
