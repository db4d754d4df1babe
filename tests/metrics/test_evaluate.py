import numpy as np
import pytest

from keras_gen import metrics
from keras_gen.metrics.classifier import build_mnist_classifier


@pytest.fixture(scope="module")
def test_digits():
    return metrics.load_real_images("mnist_5k", "test")


def test_sample_quality_real_digits_versus_noise(test_digits):
    images, _ = test_digits
    real, held_out = images[:250], images[250:]
    noise = np.random.default_rng(0).uniform(size=held_out.shape).astype("float32")
    good = metrics.sample_quality(real, held_out, kid_subsets=10, kid_subset_size=100)
    bad = metrics.sample_quality(real, noise, kid_subsets=10, kid_subset_size=100)
    assert set(good) >= {"fd", "kid", "kid_std", "inception_score", "precision", "recall"}
    assert good["feature_network"] == "mnist_classifier" and good["num_generated"] == 250
    assert good["fd"] < 0.05 * bad["fd"]
    assert good["kid"] < 0.05 * bad["kid"]
    assert good["precision"] > 0.7 and good["recall"] > 0.7 and bad["precision"] < 0.05
    assert good["inception_score"] > 7.0 and bad["inception_score"] < good["inception_score"]
    same = metrics.sample_quality(real, real, kid_subsets=5, kid_subset_size=100)
    assert same["fd"] == pytest.approx(0.0, abs=1e-6) and same["precision"] == same["recall"] == 1.0


def test_evaluate_generator_streams_to_the_same_numbers(test_digits):
    images, _ = test_digits
    real, generated = images[:200], images[200:400]
    calls = []

    def sample_fn(num, seed):
        calls.append((num, seed))
        start = 64 * (seed - 7)
        return generated[start:start + num]

    streamed = metrics.evaluate_generator(sample_fn, real, num_samples=200, batch_size=64, seed=7,
                                          kid_subsets=5, kid_subset_size=50)
    assert calls == [(64, 7), (64, 8), (64, 9), (8, 10)]  # seeded per batch, last batch short
    direct = metrics.sample_quality(real, generated, kid_subsets=5, kid_subset_size=50, seed=7)
    for key in ("fd", "kid", "precision", "recall", "inception_score"):
        assert streamed[key] == pytest.approx(direct[key], rel=1e-4, abs=1e-6), key
    # A cap on the pairwise features keeps memory bounded; FD still uses every sample.
    capped = metrics.evaluate_generator(sample_fn, real, num_samples=200, batch_size=64, seed=7, kid_subsets=5,
                                        kid_subset_size=50, max_pairwise_samples=100)
    assert capped["fd"] == pytest.approx(direct["fd"], rel=1e-4) and capped["num_generated"] == 200


def test_label_accuracy_of_a_conditional_sampler(test_digits):
    images, labels = test_digits
    by_label = {label: images[labels == label] for label in range(10)}

    def conditional_sample_fn(num, seed, labels):
        rng = np.random.default_rng(seed)
        return np.stack([by_label[label][rng.integers(len(by_label[label]))] for label in labels])

    wanted = np.arange(100) % 10
    result = metrics.evaluate_generator(conditional_sample_fn, images, num_samples=100, batch_size=30,
                                        labels=wanted, kid_subsets=2, kid_subset_size=50)
    assert result["label_accuracy"] > 0.95
    assert metrics.label_accuracy(images[:100], labels[:100]) > 0.95
    assert metrics.label_accuracy(images[:100], (labels[:100] + 1) % 10) < 0.05


def test_bad_inputs_name_the_parameter(test_digits):
    images, _ = test_digits
    tiny = build_mnist_classifier(feature_dim=4)
    with pytest.raises(ValueError, match="generated_images"):
        metrics.sample_quality(images[:10], images[:10] * 2.0 - 1.0, feature_network=tiny)
    with pytest.raises(ValueError, match="num_samples=1"):
        metrics.evaluate_generator(lambda n, s: images[:n], images[:10], num_samples=1, feature_network=tiny)
    with pytest.raises(ValueError, match="must return 5 images"):
        metrics.evaluate_generator(lambda n, s: images[:4], images[:10], num_samples=5, feature_network=tiny)
    with pytest.raises(ValueError, match="labels"):
        metrics.label_accuracy(images[:10], np.zeros(3), classifier=tiny)
