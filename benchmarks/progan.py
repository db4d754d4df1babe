"""Progressive GAN on mnist_5k digits padded to 32x32, judged by the shipped MNIST classifier.

    nice -n 10 python benchmarks/progan.py --budget_minutes=20 \
        --options=channel_base=512,channel_max=64,images_per_phase=6400

Trains with the family's recipe (the `keras-gen train --model=progan` path) until `--epochs` or the wall-time
budget, then scores 1,000 samples of the EMA generator at the level reached, cropped back to 28x28:
classifier-space Frechet distance / KID / precision / recall against the test digits, the classifier's confidence
and which classes it finds among the confident samples. Writes the JSON result (with provenance and the growth
state), a 10x10 sample grid, and the run's last grid at each resolution it reached
(`<result stem>_resolution_RxR.png`, shown at that resolution).
"""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("epochs", 1000, "Maximum epochs (the budget normally stops training first).")
flags.DEFINE_integer("steps_per_epoch", 25, "Batches per epoch (short epochs: the budget is checked per epoch).")
flags.DEFINE_float("budget_minutes", 20.0, "Training wall-time budget; training stops after the epoch exceeding it.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_string("options", "", "progan options, key=value,...")
flags.DEFINE_integer("num_samples", 1000, "Samples scored.")
flags.DEFINE_string("output_dir", "runs/benchmark_progan", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/progan.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def main(argv):
    del argv

    from keras_gen.families import train
    from keras_gen.families.gan import sample_images
    from keras_gen.metrics.classifier import load_mnist_classifier
    from keras_gen.metrics.evaluate import evaluate_generator, load_real_images
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.utils.images import save_grid
    from budget import TimeBudget
    from digit_scores import classifier_statistics
    from provenance import provenance

    started = provenance()
    run_start = time.time()

    class GrowthBudget(TimeBudget):
        """The wall-clock budget, also noting when training first reached each resolution."""

        def __init__(self, seconds):
            super().__init__(seconds)
            self.phase_starts = {}

        def on_epoch_end(self, epoch, logs=None):
            growth = self.model.growth()
            self.phase_starts.setdefault(growth["current_resolution"], round(time.time() - self.start, 1))
            print(f"  level {growth['level']:.3f}", flush=True)
            super().on_epoch_end(epoch, logs)

    shutil.rmtree(FLAGS.output_dir, ignore_errors=True)
    config = TrainConfig(model="progan", dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                         steps_per_epoch=FLAGS.steps_per_epoch, output_dir=FLAGS.output_dir, sample_every=1,
                         options=parse_options(FLAGS.options))
    budget = GrowthBudget(FLAGS.budget_minutes * 60)
    model = train(config, callbacks=[budget], verbose=0)
    train_seconds = round(time.time() - run_start, 1)

    classifier = load_mnist_classifier()
    real_images, _ = load_real_images("mnist_5k", "test")
    stem = os.path.splitext(FLAGS.result)[0]

    def sample_fn(count, seed, labels=None):
        return sample_images(model, count, seed, labels=labels)

    quality = evaluate_generator(sample_fn, real_images, num_samples=FLAGS.num_samples, seed=7,
                                 kid_subset_size=min(500, FLAGS.num_samples))
    images = sample_fn(FLAGS.num_samples, 2024)
    stats, _ = classifier_statistics(images, classifier)
    grid = f"{stem}_samples.png"
    save_grid(images[:100], grid, ncols=10, scale=2)
    resolution_grids = {}
    samples_dir = os.path.join(FLAGS.output_dir, "samples")
    for name in sorted(os.listdir(samples_dir)):
        if name.startswith("resolution_"):
            target = f"{stem}_{name}"
            shutil.copyfile(os.path.join(samples_dir, name), target)
            resolution_grids[name[len("resolution_"):-len(".png")]] = target

    results = {
        **started,
        "model": "progan",
        "dataset": "mnist_5k padded to 32x32 (samples cropped back to 28x28 for the classifier)",
        "options": FLAGS.options,
        "batch_size": FLAGS.batch_size,
        "epochs": budget.epochs,
        "generator_steps": int(model.g_optimizer.iterations.numpy()),
        "growth": model.growth(),
        "seconds_when_resolution_first_logged": budget.phase_starts,
        "train_seconds": train_seconds,
        "total_seconds": round(time.time() - run_start, 1),
        **{k: quality[k] for k in ("fd", "kid", "precision", "recall") if k in quality},
        **stats,
        "sample_grid": grid,
        "resolution_grids": resolution_grids,
    }
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
