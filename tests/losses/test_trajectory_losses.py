import numpy as np

from keras_gen.losses.trajectory import variety_loss


def test_variety_loss_takes_each_pedestrians_best_sample_and_ignores_padding():
    future = np.zeros((1, 3, 2, 2), np.float32)  # (batch, pedestrians, steps, xy); pedestrian 2 is padding
    samples = np.zeros((2, 1, 3, 2, 2), np.float32)
    samples[0, 0, 0] = [[1, 0], [1, 0]]  # pedestrian 0: sample 0 is 1 m off (squared 1), sample 1 3 m (9)
    samples[1, 0, 0] = [[3, 0], [3, 0]]
    samples[0, 0, 1] = [[0, 2], [0, 2]]  # pedestrian 1: sample 0 squared 4, sample 1 squared (0 + 1) / 2 = 0.5
    samples[1, 0, 1] = [[0, 0], [1, 0]]
    samples[:, 0, 2] = 100.0  # padding, far off
    mask = np.array([[1, 1, 0]], np.float32)
    # best per pedestrian: 1 and 0.5 -> mean 0.75 (the padded pedestrian does not count)
    np.testing.assert_allclose(float(variety_loss(future, samples, mask)), 0.75, rtol=1e-6)
