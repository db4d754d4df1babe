"""text2image on captioned_digits, judged on 1,000 held-out-template captions.

    nice -n 10 python benchmarks/text2image.py --budget_minutes=17

Trains `--model=text2image` with its recipe through the runner (the `keras-gen train` path) until `--epochs` or the
wall-time budget, then runs the family's evaluation (`keras_gen.metrics.text_to_image`) on `--num_samples`
captions written from templates (and attribute combinations) the model never saw:
- class accuracy: the shipped classifier names the caption's digit (must show >= 90%);
- attribute accuracy: thickness and size measured on the image as the caption says (>= 80%), also slant, position;
- classifier FD against the 500 test images (<= 5);
- R-precision (1 of 100 candidates) with the model's encoders, next to chance (1%) and to real test images.
Writes benchmarks/results/text2image.json (with provenance) and a grid of held-out captions beside it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("epochs", 200, "Maximum epochs (of --steps_per_epoch batches).")
flags.DEFINE_integer("steps_per_epoch", 100, "Batches per epoch (the budget is checked after each epoch).")
flags.DEFINE_float("budget_minutes", 17.0, "Wall-time budget for training; stops after the epoch that exceeds it.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_string("options", "", "Family options, key=value,...")
flags.DEFINE_integer("num_samples", 1000, "Held-out captions scored.")
flags.DEFINE_string("output_dir", "runs/benchmark_text2image", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/text2image.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def main(argv):
    del argv

    from keras_gen.families import get_family
    from keras_gen.families.text import generate_images
    from keras_gen.metrics.text_to_image import held_out_captions
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.training.runner import train
    from keras_gen.utils.images import save_grid
    from budget import TimeBudget
    from provenance import provenance

    started = provenance()


    family = get_family("text2image")
    config = TrainConfig(model="text2image", dataset="captioned_digits", epochs=FLAGS.epochs,
                         steps_per_epoch=FLAGS.steps_per_epoch, batch_size=FLAGS.batch_size,
                         output_dir=FLAGS.output_dir, sample_every=10, options=parse_options(FLAGS.options))
    budget = TimeBudget(FLAGS.budget_minutes * 60)
    start = time.time()
    model = train(family, config, callbacks=[budget], verbose=0)
    train_seconds = time.time() - start
    start = time.time()
    metrics = family.evaluate_run(model, config, num_examples=FLAGS.num_samples)
    eval_seconds = time.time() - start
    captions, _, _ = held_out_captions(10, seed=5)
    stem = os.path.splitext(os.path.basename(FLAGS.result))[0]
    grid = os.path.join(os.path.dirname(FLAGS.result), f"{stem}_held_out.png")
    rows = [c for c in captions for _ in range(8)]
    save_grid(generate_images(model, rows, seed=11), grid, ncols=8, scale=2)
    attributes = metrics["attribute_accuracy"]
    result = {
        **started,
        **metrics,
        "must_show": {
            "class_accuracy>=0.9": metrics["class_accuracy"] is not None and metrics["class_accuracy"] >= 0.9,
            "thickness_accuracy>=0.8": attributes.get("thickness", 0) >= 0.8,
            "size_accuracy>=0.8": attributes.get("size", 0) >= 0.8,
            "classifier_fd<=5": metrics["classifier_fd"] <= 5,
        },
        "epochs": budget.epochs,
        "generator_steps": int(model.g_optimizer.iterations.numpy()),
        "train_seconds": round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "budget_minutes": FLAGS.budget_minutes,
        "options": FLAGS.options,
        "held_out_grid": grid,
        "held_out_grid_captions": [str(c) for c in captions],
    }
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
