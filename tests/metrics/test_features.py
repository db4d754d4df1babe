import keras
import numpy as np
import pytest

from keras_gen.metrics import features as features_lib
from keras_gen.metrics.classifier import build_mnist_classifier, features_model, load_mnist_classifier


def _digits(num, size=28, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(size=(num, size, size, channels)).astype("float32")


def test_shipped_mnist_network_batches_match_one_call():
    network = features_lib.get_feature_network("mnist_classifier")
    assert network.name == "mnist_classifier" and network.image_size == (28, 28)
    images = _digits(10)
    features, probabilities = network(images, batch_size=3)  # 3 + 3 + 3 + 1
    assert features.shape == (10, 128) and probabilities.shape == (10, 10)
    one_call_features, _ = network(images, batch_size=64)
    np.testing.assert_allclose(features, one_call_features, atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # The values are the shipped classifier's penultimate layer and its output, on the images as given (28x28x1).
    classifier = load_mnist_classifier()
    expected_features, expected_probabilities = features_model(classifier)(images, training=False)
    np.testing.assert_allclose(features, np.asarray(expected_features), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probabilities, np.asarray(classifier(images, training=False)), atol=1e-6)
    np.testing.assert_allclose(probabilities, np.asarray(expected_probabilities), atol=1e-6)


def test_images_are_resized_and_converted_to_what_the_network_needs():
    network = features_lib.from_classifier(build_mnist_classifier(feature_dim=8, name="tiny"))
    assert network.name == "tiny"
    gray = _digits(2, size=56)
    # An RGB image with equal channels is the same digit: same features after conversion to grayscale.
    rgb = np.repeat(gray, 3, axis=-1)
    np.testing.assert_allclose(network(rgb)[0], network(gray)[0], atol=1e-3)  # luma weights sum to 0.9999
    resized = network.preprocess(gray)
    assert tuple(resized.shape) == (2, 28, 28, 1)
    # Antialiased downscaling keeps smooth content: a blob at 56x56 lands, half size, at the same relative place.
    yy, xx = np.mgrid[0:56, 0:56]
    blob = np.exp(-((yy - 20.0) ** 2 + (xx - 36.0) ** 2) / 50.0)[None, :, :, None].astype("float32")
    small = np.asarray(network.preprocess(blob))[0, :, :, 0]
    centre = [np.sum(small * np.mgrid[0:28, 0:28][axis]) / small.sum() for axis in (0, 1)]
    np.testing.assert_allclose(centre, [9.75, 17.75], atol=0.3)  # pixel centres: (20 + 0.5) / 2 - 0.5
    np.testing.assert_allclose(small.sum() * 4, blob.sum(), rtol=0.02)


def test_signed_networks_get_signed_inputs():
    network = features_lib.FeatureNetwork(keras.layers.Identity(), "identity", (4, 4), 1, value_range="signed",
                                          has_probabilities=False)
    np.testing.assert_allclose(np.asarray(network.preprocess(np.full((1, 4, 4, 1), 0.25, "float32"))), -0.5)
    features, probabilities = network(np.full((3, 4, 4, 1), 0.75, "float32"), batch_size=2)
    assert probabilities is None and features.shape == (3, 4, 4, 1)
    np.testing.assert_allclose(features, 0.5)


def test_bad_images_and_names_are_rejected_with_the_parameter():
    network = features_lib.from_classifier(build_mnist_classifier(feature_dim=8))
    with pytest.raises(ValueError, match="floats in"):
        network(np.full((2, 28, 28, 1), 255, np.uint8))
    with pytest.raises(ValueError, match="floats in"):
        network(_digits(2) * 2.0 - 1.0)
    with pytest.raises(ValueError, match="feature_network='vgg'"):
        features_lib.get_feature_network("vgg")


def test_inception_without_weights_names_the_flag(tmp_path, monkeypatch):
    monkeypatch.delenv(features_lib.INCEPTION_WEIGHTS_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="--inception_weights"):
        features_lib.get_feature_network("inception_v3")
    with pytest.raises(FileNotFoundError, match="--inception_weights"):
        features_lib.inception_feature_network(str(tmp_path / "missing.h5"))


@pytest.mark.slow
def test_inception_from_a_local_weights_file(tmp_path):
    # Random weights saved to a file stand in for the real ImageNet file (no network here).
    path = str(tmp_path / "inception_v3.weights.h5")
    reference = keras.applications.InceptionV3(weights=None)
    reference.save_weights(path)
    network = features_lib.inception_feature_network(path)
    assert network.image_size == (299, 299) and network.channels == 3
    digits = _digits(2)  # 28x28 grayscale: resized to 299x299 RGB, scaled to [-1, 1]
    features, probabilities = network(digits)
    assert features.shape == (2, 2048) and probabilities.shape == (2, 1000)
    inputs = np.asarray(network.preprocess(digits))
    np.testing.assert_allclose(probabilities, np.asarray(reference(inputs)), atol=1e-5)


def test_auto_picks_the_network_by_channels(tmp_path, monkeypatch):
    assert features_lib.get_feature_network("auto", channels=1).name == "mnist_classifier"
    monkeypatch.delenv(features_lib.INCEPTION_WEIGHTS_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="--inception_weights"):
        features_lib.get_feature_network("auto", channels=3)
    with pytest.raises(ValueError, match="channels=None"):
        features_lib.get_feature_network("auto")


def test_padded_32x32_digits_are_cropped_for_the_shipped_classifier_not_resized():
    from keras_gen import data
    from keras_gen.metrics.gan import classify_digits

    network = features_lib.mnist_feature_network()
    assert network.padding == 2 and network.image_size == (28, 28)
    digits, labels = data.as_numpy("mnist_5k", "test", limit=64)
    padded = np.pad(digits, ((0, 0), (2, 2), (2, 2), (0, 0)))
    features, probabilities = network(digits)
    padded_features, padded_probabilities = network(padded)
    np.testing.assert_allclose(padded_features, features, atol=1e-5)
    np.testing.assert_allclose(padded_probabilities, probabilities, atol=1e-6)
    # Resizing 32 -> 28 instead would shrink every digit: other features (what the metrics did before).
    resized = features_lib.FeatureNetwork(network.model, "no_crop", (28, 28), 1)(padded)[0]
    assert np.abs(resized - features).mean() > 0.05 * np.abs(features).mean()
    classes, confidence = classify_digits(padded)
    assert (classes == labels).mean() > 0.9
    np.testing.assert_array_equal(classes, classify_digits(digits)[0])
    assert classify_digits(np.zeros((2, 30, 30, 1), np.float32)) is None  # neither 28x28 nor padded 32x32
