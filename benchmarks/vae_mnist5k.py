"""Trains the default VAE (784-400-20, Bernoulli, dynamic binarization) on mnist_5k; reports test ELBO and IW LL.

    python benchmarks/vae_mnist5k.py [--epochs=N] [--options=...] [--iw_samples=1000]

Writes benchmarks/results/vae_mnist5k.json (with every option resolved, under `resolved_options`). The test digits
are binarized once with a fixed seed; the 500 test digits are never used in training or to choose anything.
"""

import dataclasses
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("epochs", 300, "Training epochs (the vae recipe's cosine learning rate decays over all of them).")
flags.DEFINE_integer("batch_size", 100, "Batch size.")
flags.DEFINE_float("learning_rate", None, "Learning rate (default: the recipe's).")
flags.DEFINE_string("model", "vae", "vae or conv_vae.")
flags.DEFINE_string("options", "", "Family options, key=value,...")
flags.DEFINE_integer("iw_samples", 1000, "Importance samples per test digit.")
flags.DEFINE_string("output_dir", "runs/benchmark_vae", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/vae_mnist5k.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS
TARGET = -99.0  # nats, issue #17


def main(argv):
    del argv
    from keras_gen.families import get_family, train
    from keras_gen.training.config import TrainConfig, parse_options
    from provenance import provenance

    started = provenance()  # the tree as it was when the run began (the code that ran)

    config = TrainConfig(model=FLAGS.model, dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                         learning_rate=FLAGS.learning_rate, output_dir=FLAGS.output_dir, sample_every=0,
                         options=parse_options(FLAGS.options))
    start = time.time()
    model = train(config, verbose=0)
    train_seconds = time.time() - start
    start = time.time()
    family = get_family(config.model)
    metrics = family.evaluate_run(model, config, iw_samples=FLAGS.iw_samples)
    result = {**started, **metrics, "resolved_options": dataclasses.asdict(family.resolve_options(config)),
              "epochs": FLAGS.epochs, "batch_size": FLAGS.batch_size, "learning_rate": FLAGS.learning_rate,
              "options": FLAGS.options, "train_seconds": round(train_seconds, 1),
              "eval_seconds": round(time.time() - start, 1), "target_iw_log_likelihood_nats": TARGET,
              "passes": metrics["iw_log_likelihood_nats"] > TARGET}
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
