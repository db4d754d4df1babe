"""A VAE's held-out numbers: test ELBO, importance-weighted log-likelihood, and the quality of prior samples."""

import numpy as np

from keras_gen import data
from keras_gen.metrics.evaluate import evaluate_generator, load_real_images
from keras_gen.metrics.likelihood import evaluate_likelihood


def evaluate_vae(model, request, binarize=None):
    """Test ELBO and IW log-likelihood on the test split (binarized once with `request.seed` when the model
    trained on binarized pixels), then classifier FD, KID, IS and precision/recall of decoded prior samples (the
    decoder's mean images) against the test split.

    Args:
        model: a trained `keras_gen.models.vae.VAE`.
        request: an `EvalRequest`; `num_examples` caps the test examples and sets the number of samples (1,000).
        binarize: None, or "dynamic" when the model trained on binarized pixels.
    """
    test = data.load(request.dataset, "test", 100, binarize=binarize and "static", seed=request.seed,
                     data_dir=request.data_dir)
    if request.num_examples:
        test = test.unbatch().take(request.num_examples).batch(100)
    results = evaluate_likelihood(model, test, iw_samples=request.iw_samples)
    real_images, _ = load_real_images(request.dataset, "test", data_dir=request.data_dir)
    num = max(int(request.num_examples or 1000), 2)
    results.update(evaluate_generator(lambda count, seed: np.asarray(model.generate(count, seed)), real_images,
                                      num_samples=num, seed=request.seed, kid_subset_size=min(1000, num, len(real_images)),
                                      inception_weights=request.inception_weights))
    return results
