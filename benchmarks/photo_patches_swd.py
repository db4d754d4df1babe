"""A GAN trained on `photo_patches_64` for a fixed wall-clock time, judged by the multi-scale sliced Wasserstein
distance (Progressive GAN's SWD) per Laplacian-pyramid level against the held-out test patches.

    nice -n 10 python benchmarks/photo_patches_swd.py --models=dcgan --minutes=12
    nice -n 10 python benchmarks/photo_patches_swd.py --models=stylegan2 --minutes=12    # once it is registered

Every model gets the same wall-clock budget (checked after every train step), so models of different cost are
compared at equal time, as the issue asks ("SWD at every pyramid level below DCGAN trained for the same
wall-clock time"); compare rows only when their `machine.load_average` is alike (the CPU is shared). The
reference row `real_train_vs_test` is the SWD of 1,000 real train patches against the 1,000 test patches: what a
generator that reproduced the training patches perfectly would score. It is far from 0 at the coarse levels:
the held-out right-hand strips of the two photos differ in colour and layout from the rest. So each model is
also scored against 1,000 train patches (`swd_<level>_vs_train`, the fit to the training distribution). Each run merges its models into the result JSON
and writes a sample grid beside it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_list("models", ["dcgan"], "Registered GAN-like families (anything with `sample_images`) to train.")
flags.DEFINE_float("minutes", 12.0, "Training wall-clock budget per model, checked after every step.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_string("options", "", "Family options, key=value,... (applied to every model).")
flags.DEFINE_integer("num_samples", 1000, "Generated images scored (the test split has 1,000 patches).")
flags.DEFINE_string("output_dir", "runs/benchmark_photo_patches", "Training output (one folder per model).")
flags.DEFINE_string("result", "benchmarks/results/photo_patches_swd.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS
DATASET = "photo_patches_64"


def main(argv):
    del argv
    import keras
    import numpy as np

    from keras_gen.data import as_numpy
    from keras_gen.families import get_family, train
    from keras_gen.metrics.swd import multiscale_swd
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.utils.images import save_grid
    from provenance import provenance

    started = provenance()

    class WallClock(keras.callbacks.Callback):
        def __init__(self, seconds):
            super().__init__()
            self.seconds, self.start, self.steps = seconds, time.time(), 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if time.time() - self.start > self.seconds:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            print(f"  epoch {epoch + 1}: {time.time() - self.start:.0f} s, {self.steps} steps, "
                  + ", ".join(f"{k}={float(v):.3f}" for k, v in sorted((logs or {}).items())), flush=True)

    test_images, _ = as_numpy(DATASET, "test", value_range="unit")
    train_images, _ = as_numpy(DATASET, "train", value_range="unit")
    num = min(FLAGS.num_samples, len(test_images))
    if num < len(test_images):  # a seeded subset of both photos' patches (the split is ordered by photograph)
        test_images = test_images[np.sort(np.random.default_rng(1).permutation(len(test_images))[:num])]
    floor_order = np.random.default_rng(0).permutation(len(train_images))[:num]
    train_reference = train_images[floor_order]
    results = {"real_train_vs_test": {**started, **multiscale_swd(test_images[:num], train_reference)}}
    print(json.dumps(results, indent=2), flush=True)
    for name in FLAGS.models:
        family = get_family(name)
        config = TrainConfig(model=name, dataset=DATASET, epochs=10_000, batch_size=FLAGS.batch_size,
                             output_dir=os.path.join(FLAGS.output_dir, name), sample_every=5,
                             options=parse_options(FLAGS.options))
        clock = WallClock(FLAGS.minutes * 60)
        start = time.time()
        model = train(config, callbacks=[clock], verbose=0)
        train_seconds = time.time() - start
        start = time.time()
        samples = np.concatenate([family.sample_images(model, 250, seed) for seed in range(2024, 2024 + num // 250)])
        swd = multiscale_swd(test_images[:len(samples)], samples)
        swd_train = {f"{key}_vs_train": value for key, value in multiscale_swd(train_reference[:len(samples)],
                                                                                samples).items()}
        grid = os.path.join(os.path.dirname(FLAGS.result), f"photo_patches_swd_{name}.png")
        save_grid(samples[:64], grid, ncols=8)
        results[name] = {**started, **swd, **swd_train, "train_seconds": round(train_seconds, 1), "train_steps": clock.steps,
                         "batch_size": FLAGS.batch_size, "options": FLAGS.options, "num_samples": len(samples),
                         "eval_seconds": round(time.time() - start, 1), "sample_grid": grid}
        print(json.dumps({name: results[name]}, indent=2, sort_keys=True), flush=True)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    if os.path.exists(FLAGS.result):  # merge with earlier runs' models (e.g. the StyleGAN2 run)
        with open(FLAGS.result) as f:
            results = {**json.load(f), **results}
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    app.run(main)
