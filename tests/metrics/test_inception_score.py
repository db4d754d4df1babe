import numpy as np
import pytest

from keras_gen.metrics.inception_score import inception_score


def test_constant_predictions_score_one():
    probabilities = np.tile([[0.7, 0.2, 0.1]], (100, 1))
    result = inception_score(probabilities, splits=5)
    assert result.mean == pytest.approx(1.0) and result.std == pytest.approx(0.0, abs=1e-12)


def test_confident_uniform_predictions_score_num_classes():
    num_classes = 10
    probabilities = np.eye(num_classes)[np.arange(200) % num_classes]  # one-hot, every class equally often
    assert inception_score(probabilities, splits=4).mean == pytest.approx(num_classes, rel=1e-6)


def test_score_matches_hand_computation():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8]])
    marginal = probabilities.mean(0)
    kl = np.sum(probabilities * np.log(probabilities / marginal), axis=1)
    assert inception_score(probabilities, splits=1).mean == pytest.approx(np.exp(kl.mean()))


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="logits"):
        inception_score(np.array([[2.0, -1.0], [0.5, 0.5]]), splits=1)
    with pytest.raises(ValueError, match="splits=5"):
        inception_score(np.eye(3), splits=5)
