"""DCGAN and a class-conditional GAN on mnist_5k, judged by the shipped MNIST classifier.

    python benchmarks/gan_mnist.py --models=dcgan --epochs=60 --budget_minutes=12 --options=base_filters=32
    python benchmarks/gan_mnist.py --models=cgan --epochs=60 --budget_minutes=12 --options=base_filters=32

For each model: train with the family's recipe (`keras_gen.training.runner.train`, the `keras-gen train` path),
stop at `--epochs` or when the per-model wall-time budget runs out, then draw 1,000 samples and report
- the classifier's mean confidence (max probability) and the fraction of samples with confidence > 0.9:
  do the samples look like digits the classifier recognises?
- the class histogram of confident samples (mode coverage: a collapsed GAN makes few classes);
- Frechet distance / KID / precision / recall in the classifier's feature space against the 500 test digits;
- for the conditional model, `label_accuracy`: the fraction classified as the label it was generated for.
For reference the same statistics are computed on the 500 real test digits.

Each run adds its models to benchmarks/results/gan_mnist.json (one model per run keeps a run under 15 minutes
on the shared CPU) and writes sample grids beside the result, named <result stem>_<model>.png.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_list("models", ["dcgan", "cgan"], "GAN families to train.")
flags.DEFINE_integer("epochs", 25, "Maximum training epochs per model (70 steps each at batch 64).")
flags.DEFINE_float("budget_minutes", 6.5, "Wall-time budget per model; training stops after the epoch that exceeds it.")
flags.DEFINE_integer("steps_per_epoch", 0, "Train steps per epoch (0: one pass over the training digits).")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_string("options", "", "Family options, key=value,... (applied to every model).")
flags.DEFINE_integer("num_samples", 1000, "Samples scored per model.")
flags.DEFINE_string("output_dir", "runs/benchmark_gan", "Training output (one folder per model).")
flags.DEFINE_string("result", "benchmarks/results/gan_mnist.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def classifier_statistics(images, classifier):
    """The shared digit statistics under this benchmark's key: `classes_covered` (classes with >= 2% of samples)."""
    from digit_scores import classifier_statistics as statistics

    stats, predicted = statistics(images, classifier)
    stats.pop("classes_present")
    stats["classes_covered"] = stats.pop("classes_at_2_percent")
    return stats, predicted


def raw_generator_statistics(model, classifier, real_images, labels):
    """The digit statistics and FD of the trained generator of a model that samples from its weight average."""
    import numpy as np

    from keras_gen.metrics.evaluate import evaluate_generator
    from keras_gen.utils.labels import cycle_labels
    from keras_gen.utils.value_range import to_unit

    def sample_fn(count, seed, labels=None):  # `sample_images`, with the trained generator in place of the average
        if labels is None and model.conditional:
            labels = cycle_labels(count, model.num_classes)
        z = model.sample_latent(count, seed=seed)
        inputs = model.generator_inputs_from(z, model.check_labels(labels, num_samples=count))
        return to_unit(np.asarray(model.generator(inputs, training=False)))

    stats, predicted = classifier_statistics(sample_fn(FLAGS.num_samples, 2024), classifier)
    quality = evaluate_generator(sample_fn, real_images, num_samples=FLAGS.num_samples, labels=labels, seed=7,
                                 kid_subset_size=min(500, FLAGS.num_samples))
    result = {**stats, "fd": quality["fd"]}
    if labels is not None:
        result["label_accuracy"] = float((predicted == labels).mean())
    return result


def main(argv):
    del argv

    from keras_gen.families.gan import sample_images
    from keras_gen.metrics.classifier import load_mnist_classifier
    from keras_gen.metrics.evaluate import evaluate_generator, load_real_images
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.families import train
    from keras_gen.utils.images import save_grid
    from keras_gen.utils.labels import cycle_labels
    from budget import TimeBudget
    from provenance import provenance

    started = provenance()  # the tree as it was when the run began (the code that ran)


    classifier = load_mnist_classifier()
    real_images, real_labels = load_real_images("mnist_5k", "test")
    real_stats, real_predicted = classifier_statistics(real_images, classifier)
    results = {"real_test_digits": {**real_stats, "accuracy": float((real_predicted == real_labels).mean())}}
    for name in FLAGS.models:
        print(f"{name}: training", flush=True)
        config = TrainConfig(model=name, dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                             steps_per_epoch=FLAGS.steps_per_epoch or None,
                             output_dir=os.path.join(FLAGS.output_dir, name), sample_every=5,
                             options=parse_options(FLAGS.options))
        budget = TimeBudget(FLAGS.budget_minutes * 60)
        start = time.time()
        model = train(config, callbacks=[budget], verbose=0)
        train_seconds = time.time() - start
        start = time.time()
        images = sample_images(model, FLAGS.num_samples, seed=2024)
        labels = cycle_labels(FLAGS.num_samples, model.num_classes) if model.conditional else None
        stats, predicted = classifier_statistics(images, classifier)

        def sample_fn(count, seed, labels=None):
            return sample_images(model, count, seed, labels=labels)

        quality = evaluate_generator(sample_fn, real_images, num_samples=FLAGS.num_samples, labels=labels, seed=7,
                                     kid_subset_size=min(500, FLAGS.num_samples))
        stem = os.path.splitext(os.path.basename(FLAGS.result))[0]  # gan_mnist, or a variant run's own name
        grid = os.path.join(os.path.dirname(FLAGS.result), f"{stem}_{name}.png")
        save_grid(images[:100], grid, ncols=10, scale=2)
        results[name] = {
            **started,
            **stats,
            **{k: quality[k] for k in ("fd", "kid", "precision", "recall") if k in quality},
            "epochs": budget.epochs,
            "generator_steps": int(model.g_optimizer.iterations.numpy()),
            "train_seconds": round(train_seconds, 1),
            "eval_seconds": round(time.time() - start, 1),
            "sample_grid": grid,
            "options": FLAGS.options,
        }
        if labels is not None:
            results[name]["label_accuracy"] = float((predicted == labels).mean())
        if model.ema_generator is not None:  # the same statistics from the trained (not averaged) generator
            results[name]["trained_generator"] = raw_generator_statistics(model, classifier, real_images, labels)
        print(json.dumps({name: results[name]}, indent=2, sort_keys=True), flush=True)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    if os.path.exists(FLAGS.result):  # one model per run keeps each run short: merge with earlier runs' models
        with open(FLAGS.result) as f:
            results = {**json.load(f), **results}
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
