"""Image-conditioned models on the offline digit pairs: does each one beat its trivial baseline?

    python benchmarks/translation.py [--models=pix2pix,srgan,spade,cyclegan] [--steps=...]

- pix2pix (digit outline -> digit): held-out L1 vs the identity baseline (the outline itself).
- SRGAN (8x8 -> 32x32): PSNR / SSIM vs bicubic upsampling.
- CycleGAN (digits <-> thick digits, unpaired): cycle-reconstruction L1 in both directions, and the A -> B
  output against the true thickening (never shown in pairs) vs the identity baseline.
- SPADE (region map -> digit): per-region agreement of the output intensity with the label map.

Small models and few steps (the CPU is shared): the point is the comparison, not state-of-the-art numbers.
Writes benchmarks/results/translation.json and a (source, output, target) grid per model; the runs stay in
`--output_dir` (one folder per model) for `benchmarks/ship_models.py`.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("models", "pix2pix,srgan,spade,cyclegan", "Families to run, comma-separated.")
flags.DEFINE_integer("steps", 0, "Training steps per model (0: each model's default below).")
flags.DEFINE_integer("batch_size", 16, "Batch size.")
flags.DEFINE_string("result", "benchmarks/results/translation.json", "Where to write the JSON (grids beside it).")
flags.DEFINE_string("output_dir", "runs/benchmark_translation", "Training output (one folder per model; "
                    "`benchmarks/ship_models.py` exports from it).")
FLAGS = flags.FLAGS

from provenance import provenance  # noqa: E402  (benchmarks/, the script's own folder)
# Steps per model: chosen so the four together take ~15-20 minutes on 2 shared CPU cores.
DEFAULT_STEPS = {"pix2pix": 600, "srgan": 600, "spade": 400, "cyclegan": 400}
EPOCHS = 4


def run_one(name, steps, batch_size, workdir):
    from keras_gen.families import get_family, train
    from keras_gen.families.translation import sample_images
    from keras_gen.training.config import TrainConfig
    from keras_gen.utils.images import save_grid

    family = get_family(name)
    config = TrainConfig(model=name, epochs=EPOCHS, batch_size=batch_size, steps_per_epoch=max(1, steps // EPOCHS),
                         learning_rate=2e-4, seed=0, sample_every=0, output_dir=os.path.join(workdir, name))
    start = time.time()
    model = train(config, verbose=2)
    train_seconds = time.time() - start
    metrics = family.evaluate_run(model, config, num_examples=500)
    save_grid(sample_images(model, 0, 0), os.path.join(os.path.dirname(FLAGS.result), f"translation_{name}.png"), ncols=6, scale=3)
    metrics.update({"train_steps": config.steps_per_epoch * EPOCHS, "batch_size": batch_size,
                    "train_seconds": round(train_seconds, 1)})
    return metrics


def main(argv):
    del argv
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.result)), exist_ok=True)
    results = provenance()
    for name in [m for m in FLAGS.models.split(",") if m]:
        steps = FLAGS.steps or DEFAULT_STEPS[name]
        results[name] = run_one(name, steps, FLAGS.batch_size, FLAGS.output_dir)
        print(json.dumps({name: results[name]}, sort_keys=True), flush=True)
        with open(FLAGS.result, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    app.run(main)
