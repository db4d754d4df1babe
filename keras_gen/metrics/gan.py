"""A GAN's held-out numbers: sample quality against the test split, label accuracy, classifier confidence."""

import numpy as np

from keras_gen.metrics.evaluate import evaluate_generator, load_real_images

DIGIT_SHAPE = (28, 28, 1)


def classify_digits(images):
    """`(predicted class, confidence)` of the shipped MNIST classifier, or None when it does not apply (other
    image shapes, or no classifier on disk). 32x32 digits (padded by `DIGIT_PADDING`) are cropped to 28x28."""
    from keras_gen.metrics.classifier import (DIGIT_PADDING, ClassifierNotFoundError, load_mnist_classifier,
                                              predict_in_batches)

    pad = DIGIT_PADDING
    if tuple(images.shape[1:]) == (DIGIT_SHAPE[0] + 2 * pad, DIGIT_SHAPE[1] + 2 * pad, 1):
        images = images[:, pad:-pad, pad:-pad]
    if tuple(images.shape[1:]) != DIGIT_SHAPE:
        return None
    try:
        classifier = load_mnist_classifier()
    except (ClassifierNotFoundError, FileNotFoundError):
        return None
    probabilities = predict_in_batches(classifier, images)
    return probabilities.argmax(axis=1), probabilities.max(axis=1)


def evaluate_gan(sample_fn, request, num_classes=None):
    """Classifier-space FD, KID, precision/recall of `request.num_examples` samples (default 1,000) against the
    test split; with `num_classes`, labels cycle through the classes and the fraction classified as their label
    is reported; on 28x28 (or padded 32x32) digits also the shipped classifier's mean confidence on the samples.

    Args:
        sample_fn: `(count, seed, labels=None) -> images in [0, 1]`.
        request: an `EvalRequest`.
        num_classes: the model's classes, or None for an unconditional model.
    """
    num = max(int(request.num_examples or 1000), 2)
    real_images, _ = load_real_images(request.dataset, "test", data_dir=request.data_dir)
    labels = None if num_classes is None else np.arange(num) % num_classes
    results = evaluate_generator(sample_fn, real_images, num_samples=num, labels=labels, seed=request.seed,
                                 kid_subset_size=min(1000, num, len(real_images)),
                                 inception_weights=request.inception_weights)
    count = min(num, 500)
    judged = classify_digits(sample_fn(count, request.seed + 999, labels=None if labels is None else labels[:count]))
    if judged is not None:
        results["classifier_confidence"] = float(judged[1].mean())
        results["confident_fraction"] = float((judged[1] > 0.9).mean())
    return results
