"""Inception Score from a classifier's class probabilities: exp(E_x KL(p(y|x) || p(y))).

Reference:
    Salimans et al., 2016, "Improved Techniques for Training GANs", https://arxiv.org/abs/1606.03498
"""

import collections

import numpy as np

InceptionScoreResult = collections.namedtuple("InceptionScoreResult", ["mean", "std"])


def inception_score(probabilities, splits=10, eps=1e-12):
    """The score of each of `splits` equal chunks, then their mean and standard deviation.

    Ranges from 1 (every image gets the same prediction) to the number of classes (confident predictions,
    classes equally often). With the MNIST classifier this is the usual "MNIST score" (at most 10).

    Args:
        probabilities: (num, classes) rows summing to 1.
        splits: number of chunks (the usual protocol is 10 chunks of 5,000).
        eps: floor inside the logarithms, so zero probabilities give 0 * log(0) = 0.
    """
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2:
        raise ValueError(f"`probabilities` must have shape (num, classes). Received: shape={probabilities.shape}")
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-3) or probabilities.min() < 0:
        raise ValueError("`probabilities` rows must be non-negative and sum to 1 (softmax outputs, not logits). "
                         f"Received: row sums in [{probabilities.sum(1).min():.4g}, {probabilities.sum(1).max():.4g}]")
    if not 1 <= splits <= len(probabilities):
        raise ValueError(f"`splits` must be in [1, num_samples={len(probabilities)}]. Received: splits={splits}")
    scores = []
    for chunk in np.array_split(probabilities, splits):
        marginal = chunk.mean(axis=0, keepdims=True)  # p(y) over this chunk
        kl = np.sum(chunk * (np.log(chunk + eps) - np.log(marginal + eps)), axis=1)
        scores.append(np.exp(kl.mean()))
    return InceptionScoreResult(float(np.mean(scores)), float(np.std(scores)))
