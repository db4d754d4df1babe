"""Trajectory prediction metrics (numpy): ADE/FDE (best of K samples), baselines on the same windows, collisions.

Shapes: `future` (scenes, pedestrians, pred_len, 2) in metres, `samples` (scenes, K, pedestrians, pred_len, 2),
`mask` (scenes, pedestrians) bool. Every average runs over the pedestrians the mask keeps, never over padding.
"""

import numpy as np


def _check(samples, future, mask):
    samples, future, mask = np.asarray(samples, np.float64), np.asarray(future, np.float64), np.asarray(mask, bool)
    if samples.ndim != 5 or samples.shape[:1] + samples.shape[2:] != future.shape:
        raise ValueError(f"`samples` must be (scenes, K, pedestrians, steps, 2) for `future` {future.shape}. "
                         f"Received: samples.shape={samples.shape}")
    if mask.shape != future.shape[:2]:
        raise ValueError(f"`mask` must be (scenes, pedestrians) = {future.shape[:2]}. Received: mask.shape={mask.shape}")
    if not mask.any():
        raise ValueError("`mask` keeps no pedestrian: nothing to evaluate.")
    return samples, future, mask


def displacement_errors(samples, future, mask):
    """`(minADE, minFDE)` in metres: per pedestrian, the smallest average (resp. final) displacement error over
    its K samples (Gupta et al. 2018 report K = 20), averaged over real pedestrians."""
    samples, future, mask = _check(samples, future, mask)
    distances = np.linalg.norm(samples - future[:, None], axis=-1)  # (scenes, K, pedestrians, steps)
    ade = distances.mean(axis=-1).min(axis=1)  # (scenes, pedestrians)
    fde = distances[..., -1].min(axis=1)
    return float(ade[mask].mean()), float(fde[mask].mean())


def constant_velocity(observed, pred_len=12):
    """(scenes, pedestrians, pred_len, 2): each pedestrian keeps its last observed displacement."""
    observed = np.asarray(observed, np.float64)
    step = observed[..., -1, :] - observed[..., -2, :]
    return observed[..., -1:, :] + step[..., None, :] * np.arange(1, pred_len + 1)[:, None]


def linear_regression(observed, pred_len=12):
    """(scenes, pedestrians, pred_len, 2): x(t) and y(t) fitted by least squares to the observed steps, extended."""
    observed = np.asarray(observed, np.float64)
    obs_len = observed.shape[-2]
    t = np.arange(obs_len, dtype=np.float64)
    design = np.stack([np.ones_like(t), t], -1)  # (obs_len, 2)
    coefficients = np.linalg.pinv(design) @ observed  # (..., 2 [intercept, slope], 2 [x, y])
    future_t = np.arange(obs_len, obs_len + pred_len, dtype=np.float64)
    return np.stack([np.ones_like(future_t), future_t], -1) @ coefficients


def collision_rate(samples, mask, threshold=0.1):
    """Fraction of (scene, sample, real pedestrian) whose predicted path comes closer than `threshold` metres to
    another real pedestrian's predicted path at the same step (both from the same sample)."""
    samples, mask = np.asarray(samples, np.float32), np.asarray(mask, bool)
    collided, kept = 0, 0
    for start in range(0, len(samples), 8):  # a few scenes at a time: the pairwise gaps grow with pedestrians^2
        chunk, chunk_mask = samples[start:start + 8], mask[start:start + 8]
        gaps = np.linalg.norm(chunk[:, :, :, None] - chunk[:, :, None, :], axis=-1)  # (scenes, K, i, j, steps)
        pairs = chunk_mask[:, None, :, None] & chunk_mask[:, None, None, :] & ~np.eye(mask.shape[1], dtype=bool)
        hits = ((gaps < threshold).any(axis=-1) & pairs).any(axis=-1)  # (scenes, K, i)
        real = np.broadcast_to(chunk_mask[:, None], hits.shape)
        collided, kept = collided + int(hits[real].sum()), kept + int(real.sum())
    return collided / kept


def evaluate_predictions(sample_fn, windows, num_samples=20, thresholds=(0.1, 0.2), batch_size=64):
    """minADE/minFDE over `num_samples`, collision rates of the samples and of the ground truth, and the constant
    velocity and linear regression baselines on the same windows.

    Args:
        sample_fn: `(observed, mask, num_samples) -> (scenes, K, pedestrians, pred_len, 2)` for one batch.
        windows: `keras_gen.data.trajectories.Windows` (the test split).
    """
    observed, future, mask = windows.observed, windows.future, windows.mask
    pred_len = future.shape[2]
    samples = np.concatenate([np.asarray(sample_fn(observed[i:i + batch_size], mask[i:i + batch_size], num_samples))
                              for i in range(0, len(observed), batch_size)])
    ade, fde = displacement_errors(samples, future, mask)
    results = {"windows": len(observed), "pedestrians": int(mask.sum()), "num_samples": num_samples,
               f"min_ade_{num_samples}": ade, f"min_fde_{num_samples}": fde}
    for name, baseline in (("constant_velocity", constant_velocity), ("linear_regression", linear_regression)):
        ade, fde = displacement_errors(baseline(observed, pred_len)[:, None], future, mask)
        results[f"{name}_ade"], results[f"{name}_fde"] = ade, fde
    for threshold in thresholds:
        results[f"collision_rate_{threshold}m"] = collision_rate(samples, mask, threshold)
        results[f"ground_truth_collision_rate_{threshold}m"] = collision_rate(future[:, None], mask, threshold)
        results[f"constant_velocity_collision_rate_{threshold}m"] = collision_rate(
            constant_velocity(observed, pred_len)[:, None], mask, threshold)
    return results
