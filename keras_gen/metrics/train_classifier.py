"""Trains the MNIST feature classifier and writes it with its test accuracy and the command that made it.

    python -m keras_gen.metrics.train_classifier --out saved_models/mnist_classifier
"""

import json
import os
import sys
import time

from absl import app, flags

def _define_flags():
    """Defined only when run as a script: importing this module must not clash with the `keras-gen` CLI's flags."""
    flags.DEFINE_string("out", "saved_models/mnist_classifier", "Output folder for mnist_classifier.keras.")
    flags.DEFINE_string("dataset", "mnist_5k", "A 28x28x1 dataset with train/test splits.")
    flags.DEFINE_integer("epochs", 30, "Training epochs.")
    flags.DEFINE_integer("batch_size", 64, "Batch size.")
    flags.DEFINE_float("learning_rate", 2e-3, "Peak Adam learning rate (cosine decay).")
    flags.DEFINE_integer("seed", 0, "Seed for initialization, shuffling and augmentation.")


FLAGS = flags.FLAGS


def write_classifier(model, metrics, out_dir, command, dataset):
    """Saves `model` as `out_dir/mnist_classifier.keras` plus `metrics.json` and a README.md."""
    from keras_gen.metrics.classifier import CLASSIFIER_FILENAME

    import keras

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, CLASSIFIER_FILENAME)
    # An uncompiled copy: the Adam slots would triple the file, and nobody resumes training a metric network.
    # (`clone_model` would copy the compile state too.)
    inference_model = keras.Model.from_config(model.get_config())
    inference_model.set_weights(model.get_weights())
    inference_model.save(path)
    record = {**metrics, "dataset": dataset, "test_split_size": metrics.get("test_size"), "command": command,
              "num_params": int(model.count_params()), "file_bytes": os.path.getsize(path)}
    record.pop("test_size", None)
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(
            "# MNIST feature classifier\n\n"
            "The pinned feature network of `keras_gen.metrics`: its penultimate layer (`mnist_classifier_features`, "
            f"{model.get_layer('mnist_classifier_features').units} units) gives \"classifier FD\", KID and "
            "precision/recall on digits; its probabilities give the Inception-style score and the label accuracy "
            "of conditional samples. Load it with `keras_gen.metrics.load_mnist_classifier()`.\n\n"
            f"- Test accuracy on the {record['test_split_size']} held-out `{dataset}` digits: "
            f"**{100 * metrics['test_accuracy']:.2f}%**\n"
            f"- Weights: {record['num_params']:,} ({record['file_bytes'] / 1024:.0f} KB)\n"
            f"- Training time: {metrics.get('train_seconds', 0):.0f} s on CPU\n\n"
            "Made with:\n\n"
            f"```\n{command}\n```\n"
        )
    return path


def main(argv):
    del argv
    from keras_gen import data
    from keras_gen.metrics.classifier import train_mnist_classifier

    start = time.time()
    model, metrics = train_mnist_classifier(dataset=FLAGS.dataset, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                                            learning_rate=FLAGS.learning_rate, seed=FLAGS.seed)
    metrics["train_seconds"] = round(time.time() - start, 1)
    metrics["test_size"] = int(len(data.as_numpy(FLAGS.dataset, "test")[1]))
    metrics.update(epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, learning_rate=FLAGS.learning_rate,
                   seed=FLAGS.seed)
    command = "python -m keras_gen.metrics.train_classifier " + " ".join(sys.argv[1:])
    path = write_classifier(model, metrics, FLAGS.out, command.strip(), FLAGS.dataset)
    print(json.dumps({"path": path, **metrics}))


if __name__ == "__main__":
    _define_flags()
    app.run(main)
