"""Losses for trajectory generators: pure functions of tensors (any Keras backend).

Shapes: `future` (batch, pedestrians, pred_len, 2), `samples` (k, batch, pedestrians, pred_len, 2) and `mask`
(batch, pedestrians), 1 for a real pedestrian and 0 for padding. Padding never reaches a loss value.
"""

from keras import ops


def masked_mean(values, mask):
    """Mean of `values` (batch, pedestrians) over the pedestrians `mask` keeps (0 when it keeps none)."""
    mask = ops.cast(mask, values.dtype)
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)


def squared_displacement(future, prediction):
    """(..., pedestrians): mean over the predicted steps of the squared Euclidean distance."""
    return ops.mean(ops.sum(ops.square(prediction - future), axis=-1), axis=-1)


# Social GAN's variety loss: of k samples, only the best one per pedestrian is pulled towards the ground truth, which
# lets the other samples spread over other plausible futures.
# Gupta et al., "Social GAN" (2018), eq. 3: https://arxiv.org/abs/1803.10892
def variety_loss(future, samples, mask):
    """min over the k samples of each pedestrian's mean squared displacement, averaged over real pedestrians."""
    errors = squared_displacement(future[None], samples)  # (k, batch, pedestrians)
    return masked_mean(ops.min(errors, axis=0), mask)
