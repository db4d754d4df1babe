"""VQ-VAE-2 on mnist_5k, both stages through the shared runner; reports what issue 5 asks for.

    python benchmarks/vqvae2_mnist.py [--epochs=12] [--prior_epochs=8] [--num_samples=1000] [--reuse_stage1] [--reuse_stage2] [--temperature=T]

Stage 1 (`vqvae2`): reconstruction MSE on the 500 test digits and the test-set perplexity/usage of both code
grids (14x14 bottom, 7x7 top). Stage 2 (`vqvae2_prior`): test cross-entropy of both priors, the time to sample
one batch of `--sample_batch` labels (the priors' cached samplers, each layer computed once per position; also
the full-grid reference sampler that runs the whole network at each of the 49 + 196 positions, and the exported
SavedModel's `sample` signature loaded with plain TensorFlow), and, with the shipped
MNIST classifier (`keras_gen.metrics`), the classifier Fréchet distance and label accuracy of class-conditional
samples (labels cycling 0-9). Writes benchmarks/results/vqvae2_mnist.json. Sized for ~10 minutes on 2 shared CPUs.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("epochs", 12, "Stage-1 (VQ-VAE-2) epochs.")
flags.DEFINE_integer("prior_epochs", 8, "Stage-2 (PixelCNN priors) epochs.")
flags.DEFINE_integer("batch_size", 64, "Batch size of both stages.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate (stage 1).")
flags.DEFINE_float("prior_learning_rate", 1e-3, "Adam learning rate (stage 2).")
flags.DEFINE_string("options", "", "Stage-1 family options, key=value,...")
flags.DEFINE_string("prior_options", "", "Stage-2 family options, key=value,...")
flags.DEFINE_float("temperature", None, "Sampling temperature of the priors (default: the family's, 1.0).")
flags.DEFINE_integer("num_samples", 1000, "Class-conditional samples scored by the classifier FD / label accuracy.")
flags.DEFINE_integer("sample_batch", 100, "Batch size whose sampling time is reported.")
flags.DEFINE_bool("time_reference", True, "Also time one batch of the full-grid reference sampler (~20-40 s).")
flags.DEFINE_bool("reuse_stage1", False, "Skip stage-1 training when <output_dir>/vqvae2 holds a trained model.")
flags.DEFINE_bool("reuse_stage2", False, "Skip stage-2 training when <output_dir>/vqvae2_prior holds a trained model.")
flags.DEFINE_string("output_dir", "runs/benchmark_vqvae2", "Training output (two subdirectories).")
flags.DEFINE_string("result", "benchmarks/results/vqvae2_mnist.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import tempfile

    import numpy as np
    import tensorflow as tf
    from provenance import provenance

    from keras_gen.export.vqvae2 import export_vqvae2
    from keras_gen.families import get_family, train
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.training.runner import load_trained
    from keras_gen.utils.images import save_grid

    run_start = time.time()
    result = {**provenance(), "dataset": "mnist_5k", "batch_size": FLAGS.batch_size}

    # Stage 1.
    stage1_dir = os.path.join(FLAGS.output_dir, "vqvae2")
    config = TrainConfig(model="vqvae2", dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                         learning_rate=FLAGS.learning_rate, output_dir=stage1_dir, sample_every=0,
                         options=parse_options(FLAGS.options))
    start = time.time()
    if FLAGS.reuse_stage1 and os.path.exists(os.path.join(stage1_dir, "model.keras")):
        vqvae, config = load_trained(stage1_dir)
        train_seconds = "reused"
    else:
        vqvae = train(config, verbose=2)
        train_seconds = round(time.time() - start, 1)
    result["stage1"] = {"epochs": config.epochs, "options": FLAGS.options, "train_seconds": train_seconds,
                        **get_family("vqvae2").evaluate_run(vqvae, config)}
    print(json.dumps(result["stage1"], indent=2, sort_keys=True), flush=True)

    # Stage 2.
    prior_config = TrainConfig(
        model="vqvae2_prior", dataset="mnist_5k", epochs=FLAGS.prior_epochs, batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.prior_learning_rate, output_dir=os.path.join(FLAGS.output_dir, "vqvae2_prior"),
        sample_every=0, options={**parse_options(FLAGS.prior_options), "vqvae_dir": stage1_dir},
    )
    start = time.time()
    if FLAGS.reuse_stage2 and os.path.exists(os.path.join(prior_config.output_dir, "model.keras")):
        prior, prior_config = load_trained(prior_config.output_dir)
        train_seconds = "reused"
    else:
        prior = train(prior_config, verbose=2)
        train_seconds = round(time.time() - start, 1)

    temperature = 1.0 if FLAGS.temperature is None else FLAGS.temperature
    labels = np.arange(FLAGS.sample_batch) % 10

    def seconds_per_batch(generate, repeats=3):
        generate(0)  # trace once
        times = []
        for seed in range(1, repeats + 1):
            start = time.time()
            images = np.asarray(generate(seed))
            times.append(time.time() - start)
        return round(float(np.median(times)), 3), images

    sample_seconds, images = seconds_per_batch(
        lambda seed: prior.generate(labels=labels, temperature=temperature, seed=seed))
    save_grid(images, os.path.join(FLAGS.output_dir, "samples.png"), ncols=10, scale=2)
    timing = {"seconds_per_sampled_batch": sample_seconds}
    with tempfile.TemporaryDirectory() as export_dir:
        export_vqvae2(prior, export_dir)
        exported = tf.saved_model.load(export_dir).signatures["sample"]
        timing["export_seconds_per_sampled_batch"], _ = seconds_per_batch(
            lambda seed: exported(labels=tf.constant(labels, tf.int32), seed=tf.constant(seed))["images"])
    if FLAGS.time_reference:
        reference_seconds, reference_images = seconds_per_batch(lambda seed: prior.generate(
            labels=labels, temperature=temperature, seed=seed, method="reference"), repeats=1)
        timing["reference_seconds_per_sampled_batch"] = reference_seconds
        # Same seed, same draws: the cached sampler's images are the reference sampler's.
        timing["reference_max_abs_image_difference"] = float(np.abs(
            np.asarray(prior.generate(labels=labels, temperature=temperature, seed=1)) - reference_images).max())
    print(json.dumps(timing, indent=2), flush=True)

    start = time.time()
    prior_config = prior_config.replace(options={**prior_config.options, "temperature": temperature})
    metrics = get_family("vqvae2_prior").evaluate_run(prior, prior_config, num_examples=FLAGS.num_samples)
    result["stage2"] = {
        "epochs": prior_config.epochs, "options": FLAGS.prior_options, "train_seconds": train_seconds,
        "sample_batch_size": FLAGS.sample_batch, **timing,
        "eval_seconds": round(time.time() - start, 1), **metrics,
    }
    result["wall_seconds"] = round(time.time() - run_start, 1)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
