"""How the shipped digit classifier judges a batch of generated digits (the GAN benchmarks' confidence columns)."""

import numpy as np


def classifier_statistics(images, classifier):
    """`(stats, predicted labels)`: mean top-class probability, the fraction judged with confidence > 0.9, the class
    histogram of those confident samples, the classes present in it and those holding at least 2% of the samples."""
    from keras_gen.metrics.classifier import predict_in_batches

    probabilities = predict_in_batches(classifier, images)
    confidence, predicted = probabilities.max(axis=1), probabilities.argmax(axis=1)
    histogram = np.bincount(predicted[confidence > 0.9], minlength=10)
    return {
        "mean_confidence": float(confidence.mean()),
        "confident_fraction": float((confidence > 0.9).mean()),
        "confident_class_histogram": histogram.tolist(),
        "classes_present": int((histogram > 0).sum()),
        "classes_at_2_percent": int((histogram >= 0.02 * len(images)).sum()),
    }, predicted
