"""A small MNIST conv classifier: the pinned feature network for "classifier FD" and label accuracy.

Standard MNIST practice is to compute the Fréchet distance in the feature space of a digit classifier rather
than InceptionV3 (which is trained on natural images and must be downloaded). This one is trained by our own
command on the offline `mnist_5k` digits and shipped in `saved_models/mnist_classifier/`.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CLASSIFIER_DIR = os.path.join(REPO_ROOT, "saved_models", "mnist_classifier")
CLASSIFIER_FILENAME = "mnist_classifier.keras"
CLASSIFIER_DIR_ENV = "KERAS_GEN_CLASSIFIER_DIR"  # overrides the default folder (e.g. for an installed package)
# 32x32 digit sets (`mnist_5k_32`, the translation digit sets) are the 28x28 digits zero-padded by this much on
# every side: the metrics crop it back off, so a 32x32 digit model is measured by the same classifier.
DIGIT_PADDING = 2
TRAIN_COMMAND = "python -m keras_gen.metrics.train_classifier --out saved_models/mnist_classifier"


class ClassifierNotFoundError(FileNotFoundError):
    """The shipped classifier is missing (e.g. an installed package without the `saved_models/` folder)."""


def build_mnist_classifier(num_classes=10, feature_dim=128, dropout=0.3, name="mnist_classifier"):
    """A 4-conv network on (28, 28, 1) images in [0, 1] that outputs class probabilities.

    Global average pooling keeps it small (~75k weights, ~0.3 MB on disk); the `feature_dim`-wide dense layer
    named `mnist_classifier_features` is the embedding used for Fréchet distance, KID and precision/recall.

    Args:
        num_classes: number of output classes.
        feature_dim: width of the penultimate (feature) layer.
        dropout: dropout rate before the output layer (training only).
        name: model name, also the prefix of every layer name.
    """
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be >= 2. Received: num_classes={num_classes}")
    if feature_dim < 1:
        raise ValueError(f"`feature_dim` must be a positive integer. Received: feature_dim={feature_dim}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
    inputs = keras.Input((28, 28, 1), name=f"{name}_images")
    x = inputs
    for block, filters in enumerate((32, 64)):
        for conv in range(2):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{block}_{conv}")(x)
            x = keras.layers.BatchNormalization(name=f"{name}_bn{block}_{conv}")(x)
            x = keras.layers.ReLU(name=f"{name}_relu{block}_{conv}")(x)
        x = keras.layers.MaxPooling2D(name=f"{name}_pool{block}")(x)  # 28 -> 14 -> 7
    x = keras.layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)  # (batch, 64)
    features = keras.layers.Dense(feature_dim, activation="relu", name=f"{name}_features")(x)
    x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(features)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name=f"{name}_probabilities")(x)
    return keras.Model(inputs, probabilities, name=name)


def _augmenter(seed):
    """Small random shifts and rotations: 4,500 digits are few, and generated digits are rarely centred exactly."""
    augmenter = keras.Sequential([
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed),
        keras.layers.RandomRotation(0.04, fill_mode="constant", seed=seed + 1),
    ], name="augment")
    return lambda x, y: (augmenter(x, training=True), y)


def train_mnist_classifier(dataset="mnist_5k", epochs=30, batch_size=64, learning_rate=2e-3, seed=0, augment=True,
                           data_dir=None, steps_per_epoch=None, verbose=2):
    """Trains `build_mnist_classifier` on the dataset's train split; returns `(model, {"test_accuracy": ...})`.

    Args:
        dataset: a registered 28x28x1 dataset (default: the offline `mnist_5k`, 4,500 train / 500 test).
        epochs: passes over the train split (cosine-decayed learning rate).
        batch_size: minibatch size.
        learning_rate: peak Adam learning rate.
        seed: seed for initialization, shuffling and augmentation.
        augment: random shifts/rotations of the training digits.
        data_dir: tensorflow-datasets folder for tfds-backed datasets.
        steps_per_epoch: None for full passes; a small number for smoke tests.
        verbose: passed to `fit`.
    """
    from keras_gen import data

    info = data.get_info(dataset)
    if tuple(info.image_shape) != (28, 28, 1):
        raise ValueError(f"The MNIST classifier needs 28x28x1 digits. Received: dataset={dataset!r} "
                         f"with image_shape={info.image_shape}")
    if epochs < 1:
        raise ValueError(f"`epochs` must be a positive integer. Received: epochs={epochs}")
    keras.utils.set_random_seed(seed)
    train_ds = data.load(dataset, "train", batch_size=batch_size, with_labels=True, seed=seed, data_dir=data_dir)
    if augment:
        train_ds = train_ds.map(_augmenter(seed), num_parallel_calls=tf.data.AUTOTUNE)
    if steps_per_epoch is not None:
        train_ds = train_ds.take(steps_per_epoch)
    test_ds = data.load(dataset, "test", batch_size=256, with_labels=True, data_dir=data_dir)
    steps = int(train_ds.cardinality().numpy()) * epochs
    model = build_mnist_classifier(num_classes=info.num_classes)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train_ds, epochs=epochs, validation_data=test_ds, verbose=verbose)
    _, test_accuracy = model.evaluate(test_ds, verbose=0)
    return model, {"test_accuracy": float(test_accuracy)}


def classifier_path(model_dir=None):
    """The `.keras` file inside `model_dir` (default: `$KERAS_GEN_CLASSIFIER_DIR` or the shipped folder)."""
    model_dir = model_dir or os.environ.get(CLASSIFIER_DIR_ENV) or DEFAULT_CLASSIFIER_DIR
    return os.path.join(model_dir, CLASSIFIER_FILENAME) if not model_dir.endswith(".keras") else model_dir


def load_mnist_classifier(model_dir=None):
    """Loads the shipped MNIST classifier (probabilities model); `features_model(...)` gives its embedding.

    Args:
        model_dir: a folder holding `mnist_classifier.keras` (or the `.keras` path itself). Default:
            `$KERAS_GEN_CLASSIFIER_DIR`, else `saved_models/mnist_classifier/` in the repository.
    """
    path = classifier_path(model_dir)
    if not os.path.exists(path):
        raise ClassifierNotFoundError(
            f"No MNIST classifier at {path!r}. Train one with `{TRAIN_COMMAND}` (about two minutes on a CPU) or "
            f"point {CLASSIFIER_DIR_ENV} at a folder holding {CLASSIFIER_FILENAME}. Received: model_dir={model_dir!r}"
        )
    return keras.models.load_model(path)


def features_model(classifier):
    """A model mapping images to `(features, probabilities)` of `classifier` in one forward pass."""
    names = [layer.name for layer in classifier.layers]
    feature_name = next((n for n in names if n.endswith("_features")), None)
    if feature_name is None:
        raise ValueError(f"The classifier has no '*_features' layer. Received: layers={names}")
    return keras.Model(classifier.inputs, [classifier.get_layer(feature_name).output, classifier.outputs[0]],
                       name=f"{classifier.name}_features_and_probabilities")


def classifier_metadata(model_dir=None):
    """The `metrics.json` written next to the classifier (test accuracy, command), or {} if absent."""
    path = os.path.join(os.path.dirname(classifier_path(model_dir)), "metrics.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def predict_in_batches(model, images, batch_size=256):
    """Runs `model` over `images` in batches without tf.function retracing per call; returns numpy arrays."""
    outputs = None
    for start in range(0, len(images), batch_size):
        batch = model(np.asarray(images[start:start + batch_size], np.float32), training=False)
        batch = [np.asarray(b) for b in batch] if isinstance(batch, (list, tuple)) else [np.asarray(batch)]
        outputs = [[b] for b in batch] if outputs is None else [o + [b] for o, b in zip(outputs, batch)]
    if outputs is None:
        raise ValueError(f"`images` is empty. Received: shape={np.shape(images)}")
    outputs = [np.concatenate(o) for o in outputs]
    return outputs if len(outputs) > 1 else outputs[0]
