"""VQ-VAE-2's held-out numbers: reconstruction error and code usage (stage 1); prior cross-entropy and the
quality and label accuracy of class-conditional samples (stage 2)."""

import numpy as np

from keras_gen import data
from keras_gen.metrics.classifier import ClassifierNotFoundError
from keras_gen.metrics.evaluate import evaluate_generator, load_real_images


def code_statistics(indices, num_embeddings):
    """Perplexity (exp of the entropy of the code histogram) and the fraction of codes used, over a whole set."""
    counts = np.bincount(np.asarray(indices).reshape(-1), minlength=num_embeddings).astype(np.float64)
    probs = counts / counts.sum()
    nonzero = probs[probs > 0]
    return {"perplexity": float(np.exp(-(nonzero * np.log(nonzero)).sum())), "usage": float(np.mean(counts > 0))}


def _in_batches(function, images, batch_size=250):
    """`function` over `images` in batches; its outputs (a tensor or a tuple of them) concatenated as numpy."""
    outputs = [function(images[start:start + batch_size]) for start in range(0, len(images), batch_size)]
    if isinstance(outputs[0], (tuple, list)):
        return tuple(np.concatenate([np.asarray(o[i]) for o in outputs]) for i in range(len(outputs[0])))
    return np.concatenate([np.asarray(o) for o in outputs])


def evaluate_vqvae2(model, request):
    """Reconstruction MSE over the test split, and each code grid's perplexity and usage there."""
    images, _ = data.as_numpy(request.dataset, "test", data_dir=request.data_dir, limit=request.num_examples)
    top, bottom = _in_batches(model.encode, images)
    top_stats = code_statistics(top, model.top_quantizer.num_embeddings)
    bottom_stats = code_statistics(bottom, model.bottom_quantizer.num_embeddings)
    return {
        "num_examples": int(len(images)),
        "reconstruction_mse": float(np.mean((_in_batches(model, images) - images) ** 2)),
        "top_perplexity": top_stats["perplexity"], "top_usage": top_stats["usage"],
        "bottom_perplexity": bottom_stats["perplexity"], "bottom_usage": bottom_stats["usage"],
        "top_grid": list(model.top_grid_shape), "bottom_grid": list(model.bottom_grid_shape),
    }


def prior_sampler(model, temperature=1.0):
    """`(num, seed, labels=None) -> images in [0, 1]` from a `VQVAE2Prior`; labels cycle through the classes."""

    def sample_fn(num, seed, labels=None):
        if labels is None and model.class_conditional:
            labels = np.arange(num) % model.num_classes
        labels = None if labels is None else np.asarray(labels, np.int32)
        return np.asarray(model.generate(num, labels=labels, temperature=temperature, seed=seed))

    return sample_fn


def evaluate_vqvae2_prior(model, request, test_dataset, temperature=1.0):
    """Test cross-entropy of both priors (nats per code) on `test_dataset` (batches of images and labels), and,
    with the shipped MNIST classifier, the classifier FD and label accuracy of class-conditional samples
    (`request.num_examples` samples, default 1,000)."""
    results = {f"test_{k}": float(v) for k, v in model.evaluate(test_dataset, verbose=0, return_dict=True).items()}
    num_samples = request.num_examples or 1000
    labels = np.arange(num_samples) % model.num_classes if model.class_conditional else None
    try:
        real_images = load_real_images(request.dataset, "test", data_dir=request.data_dir)[0]
        quality = evaluate_generator(prior_sampler(model, temperature), real_images, num_samples=num_samples,
                                     batch_size=250, labels=labels, seed=request.seed)
    except ClassifierNotFoundError as error:
        return {**results, "sample_quality": f"unavailable: {error}"}
    return {**results, "temperature": temperature, **{f"sample_{k}": v for k, v in quality.items()}}
