"""Likelihood evaluation for latent-variable models: test ELBO and the importance-weighted log-likelihood."""

import numpy as np


def evaluate_likelihood(model, dataset, iw_samples=1000, chunk_size=250):
    """Averages over `dataset` (batches of images) the ELBO and the k-sample IW estimate of log p(x), in nats.

    The ELBO uses one posterior sample per image (as in training); the IW estimate with k samples is a lower
    bound that tightens as k grows (Burda et al. 2015), so IW log-likelihood >= ELBO on average.
    """
    elbos, iw = [], []
    reconstruction, kl = [], []
    for images in dataset:
        images = images[0] if isinstance(images, (tuple, list)) else images
        rec, divergence = model.compute_terms(images)
        reconstruction.append(np.asarray(rec))
        kl.append(np.asarray(divergence))
        elbos.append(-(np.asarray(rec) + np.asarray(divergence)))
        iw.append(np.asarray(model.iw_log_likelihood(images, num_samples=iw_samples, chunk_size=chunk_size)))
    elbos, iw = np.concatenate(elbos), np.concatenate(iw)
    return {
        "num_examples": int(elbos.shape[0]),
        "test_elbo_nats": float(elbos.mean()),
        "test_reconstruction_nats": float(np.concatenate(reconstruction).mean()),
        "test_kl_nats": float(np.concatenate(kl).mean()),
        "iw_log_likelihood_nats": float(iw.mean()),
        "iw_samples": int(iw_samples),
    }
