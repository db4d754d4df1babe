import numpy as np
import pytest

from keras_gen.metrics.precision_recall import knn_radii, precision_recall


def test_identical_sets_have_precision_and_recall_one():
    features = np.random.default_rng(0).normal(size=(200, 5))
    result = precision_recall(features, features.copy(), k=3)
    assert result.precision == 1.0 and result.recall == 1.0


def test_disjoint_sets_have_precision_and_recall_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 5))
    assert tuple(precision_recall(real, rng.normal(size=(200, 5)) + 100.0)) == (0.0, 0.0)


def test_partial_overlap_drops_the_right_metric():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(400, 2))
    # Mode collapse: fakes all inside the real support (precision high) but covering a corner (recall low).
    collapsed = rng.normal(size=(400, 2)) * 0.1 + np.array([1.0, 1.0])
    collapsed_result = precision_recall(real, collapsed)
    assert collapsed_result.precision > 0.9 and collapsed_result.recall < 0.2
    # Half the fakes off the manifold: precision falls to about one half, recall stays high.
    half_off = np.concatenate([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 50.0])
    half_result = precision_recall(real, half_off)
    assert 0.4 < half_result.precision < 0.6 and half_result.recall > 0.8


def test_knn_radii_excludes_the_point_itself():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(knn_radii(points, k=1, batch_size=3), [1.0, 1.0, 4.0, 16.0])
    np.testing.assert_allclose(knn_radii(points, k=2), [9.0, 4.0, 9.0, 36.0])


def test_bad_k_names_the_parameter():
    with pytest.raises(ValueError, match="k=5"):
        precision_recall(np.zeros((5, 2)), np.zeros((5, 2)), k=5)
