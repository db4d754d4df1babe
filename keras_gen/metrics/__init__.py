"""Offline evaluation of generative models: Fréchet distance, KID, Inception-style score, precision/recall,
label accuracy, multi-scale sliced Wasserstein distance, with pinned feature networks (the shipped MNIST classifier, or InceptionV3 from a local file)."""

from keras_gen.metrics.classifier import (
    ClassifierNotFoundError, build_mnist_classifier, load_mnist_classifier, train_mnist_classifier,
)
from keras_gen.metrics.evaluate import evaluate_generator, label_accuracy, load_real_images, sample_quality
from keras_gen.metrics.features import (
    FeatureNetwork, get_feature_network, inception_feature_network, mnist_feature_network,
)
from keras_gen.metrics.frechet import (
    FeatureStatistics, frechet_distance, frechet_distance_from_features, frechet_distance_from_statistics,
)
from keras_gen.metrics.inception_score import inception_score
from keras_gen.metrics.kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel
from keras_gen.metrics.precision_recall import precision_recall
from keras_gen.metrics.swd import multiscale_swd, sliced_wasserstein

__all__ = [
    "ClassifierNotFoundError", "FeatureNetwork", "FeatureStatistics", "build_mnist_classifier", "evaluate_generator",
    "frechet_distance", "frechet_distance_from_features", "frechet_distance_from_statistics", "get_feature_network",
    "inception_feature_network", "inception_score", "kernel_inception_distance", "label_accuracy",
    "load_mnist_classifier", "load_real_images", "mmd2_unbiased", "mnist_feature_network", "polynomial_kernel",
    "multiscale_swd", "precision_recall", "sample_quality", "sliced_wasserstein", "train_mnist_classifier",
]
