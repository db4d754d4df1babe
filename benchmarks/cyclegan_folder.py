"""CycleGAN on a folder in the CycleGAN layout (`trainA/ trainB/ testA/ testB/`), made here from the two
photographs that ship inside scikit-learn: domain A = crops of china.jpg, domain B = crops of flower.jpg (test
crops from the right-most 160 columns, train crops from the rest, as `photo_patches_64` splits them).

    nice -n 10 python benchmarks/cyclegan_folder.py --minutes=10 --resolution=64
    nice -n 10 python benchmarks/cyclegan_folder.py --minutes=20 --resolution=128   # the paper's ResNet (auto)

It trains through `keras-gen train`'s code path on `folder:<dir>,resolution=R` for a wall-clock budget and
reports the cycle and identity losses and the multi-scale SWD of translated test A images against the real test
B images, next to the SWD of the untranslated A images against B (the translation should move A towards B at
every level) and the reconstruction error |F(G(a)) - a|.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_float("minutes", 10.0, "Training wall-clock budget, checked after every step.")
flags.DEFINE_integer("resolution", 64, "Image side in pixels (128 and up: the paper's ResNet generator).")
flags.DEFINE_integer("crop", 150, "Side of the square crops cut from the photos (then resized to --resolution).")
flags.DEFINE_integer("train_per_domain", 200, "Training crops per domain.")
flags.DEFINE_integer("test_per_domain", 100, "Test crops per domain.")
flags.DEFINE_integer("batch_size", 1, "Batch size (1 in the paper).")
flags.DEFINE_string("options", "", "cyclegan options, key=value,...")
flags.DEFINE_string("folder", "runs/sklearn_photos_cyclegan_layout", "Where the CycleGAN-layout folder is written.")
flags.DEFINE_string("output_dir", "runs/benchmark_cyclegan_folder", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/cyclegan_folder.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS
TEST_COLUMNS = 160


def write_cyclegan_layout(root, crop, train_per_domain, test_per_domain, seed=0):
    """JPEG crops of china.jpg (A) and flower.jpg (B) in `root/{train,test}{A,B}/`; test crops come from the
    right-most `TEST_COLUMNS` columns of each photo, train crops from the rest."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(seed)
    for domain, photo in zip("AB", load_sample_images().images):
        boundary = photo.shape[1] - TEST_COLUMNS
        for split, count, (low, high) in (("train", train_per_domain, (0, boundary)),
                                          ("test", test_per_domain, (boundary, photo.shape[1]))):
            folder = os.path.join(root, f"{split}{domain}")
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                top = rng.integers(0, photo.shape[0] - crop + 1)
                left = rng.integers(low, high - crop + 1)
                Image.fromarray(photo[top:top + crop, left:left + crop]).save(os.path.join(folder, f"{i:04d}.jpg"),
                                                                              quality=95)


def main(argv):
    del argv
    import keras
    import numpy as np

    from keras_gen.data import paired
    from keras_gen.families import train
    from keras_gen.metrics.swd import multiscale_swd
    from keras_gen.metrics.translation import translate
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.utils.images import save_grid
    from keras_gen.utils.value_range import to_unit
    from provenance import provenance

    started = provenance()
    write_cyclegan_layout(FLAGS.folder, FLAGS.crop, FLAGS.train_per_domain, FLAGS.test_per_domain)
    dataset = f"folder:{os.path.abspath(FLAGS.folder)},resolution={FLAGS.resolution}"

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

    config = TrainConfig(model="cyclegan", dataset=dataset, epochs=10_000, batch_size=FLAGS.batch_size,
                         output_dir=FLAGS.output_dir, sample_every=0, options=parse_options(FLAGS.options))
    clock = WallClock(FLAGS.minutes * 60)
    start = time.time()
    model = train(config, callbacks=[clock], verbose=0)
    train_seconds = time.time() - start
    test_a, test_b = paired.pairs_as_numpy(dataset, "test")  # [-1, 1]
    count = min(len(test_a), len(test_b))
    test_a, test_b = test_a[:count], test_b[:count]
    a_to_b = translate(model, test_a, "a2b")
    back = translate(model, a_to_b, "b2a")
    swd_translated = multiscale_swd(to_unit(test_b), to_unit(a_to_b), patches_per_image=64)
    swd_untranslated = multiscale_swd(to_unit(test_b), to_unit(test_a), patches_per_image=64)
    grid = os.path.join(os.path.dirname(FLAGS.result), f"cyclegan_folder_{FLAGS.resolution}.png")
    save_grid(to_unit(np.stack([test_a[:8], a_to_b[:8], back[:8]], axis=1).reshape((-1,) + test_a.shape[1:])), grid,
              ncols=6)
    history = os.path.join(FLAGS.output_dir, "history.csv")
    result = {
        **started,
        "dataset": dataset,
        "generator": "resnet" if any(layer.name.endswith("res0_add") for layer in model.generator_ab.layers) else "unet",
        "generator_weights": int(model.generator_ab.count_params()),
        "train_seconds": round(train_seconds, 1),
        "train_steps": clock.steps,
        "swd_translated_a_vs_b": swd_translated,
        "swd_untranslated_a_vs_b": swd_untranslated,
        "cycle_l1_test": float(np.abs(back - test_a).mean()),
        "last_epoch_history": open(history).read().splitlines()[-1] if os.path.exists(history) else None,
        "sample_grid": grid,
        "options": FLAGS.options,
    }
    print(json.dumps(result, indent=2, sort_keys=True), flush=True)
    results = {}
    if os.path.exists(FLAGS.result):
        with open(FLAGS.result) as f:
            results = json.load(f)
    results[f"resolution_{FLAGS.resolution}"] = result
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    app.run(main)
