"""video_gan on moving_digits_32 (32x32, 10 frames, 2 digits), judged by the shipped MNIST classifier.

    nice -n 10 python benchmarks/video_gan.py --budget_minutes=17 --clip_classifier_steps=300

Trains with the family's recipe through `keras_gen.training.runner.train` (the `keras-gen train` path) until
`--epochs` or the wall-time budget runs out, then scores `--num_samples` generated clips against as many test
clips (`keras_gen.metrics.video.video_quality`):
- content consistency (>= 0.9 asked) and the same measure on real clips (the classifier's ceiling);
- per-frame classifier FD (<= 10 asked);
- mean speed of tracked digits, within 20% of the real clips' asked; speed Wasserstein distance; bounces per clip;
- clip FD in the features of a small clip classifier trained here first (`--clip_classifier_steps`), FVD-style
  (I3D is not available offline; `--i3d_saved_model=DIR` uses a user-supplied SavedModel instead).
As a floor, the same metrics of real train clips against the test clips. Writes the JSON result and
`<result stem>_samples.gif` / `_strip.png` beside it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("dataset", "moving_digits_32", "Clip dataset.")
flags.DEFINE_integer("epochs", 200, "Maximum epochs.")
flags.DEFINE_integer("steps_per_epoch", 100, "Batches per epoch.")
flags.DEFINE_float("budget_minutes", 17.0, "Wall-time budget for training; stops after the epoch that exceeds it.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_string("options", "", "Family options, key=value,...")
flags.DEFINE_string("precision", "float32", "Compute precision (float32, mixed_bfloat16, mixed_float16).")
flags.DEFINE_integer("num_samples", 500, "Generated (and real test) clips scored.")
flags.DEFINE_integer("clip_classifier_steps", 300, "Training steps of the clip classifier for the clip FD (0: skip).")
flags.DEFINE_string("i3d_saved_model", None, "A user-supplied I3D-style SavedModel for the clip FD (none ships).")
flags.DEFINE_string("output_dir", "runs/benchmark_video_gan", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/video_gan.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import keras
    import numpy as np

    from keras_gen.data.clips import clips_as_numpy
    from keras_gen.families import get_family
    from keras_gen.families.video import sample_clips
    from keras_gen.metrics import video
    from keras_gen.metrics.classifier import load_mnist_classifier
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.training.runner import train
    from keras_gen.utils.video import save_frame_strip, save_gif
    from budget import TimeBudget
    from provenance import provenance

    started = provenance()
    wall_start = time.time()
    result = {"provenance": started, "dataset": FLAGS.dataset}

    features = None
    if FLAGS.i3d_saved_model:
        features = video.saved_model_features(FLAGS.i3d_saved_model)
        result["clip_features"] = "i3d_saved_model"
    elif FLAGS.clip_classifier_steps:
        from keras_gen.metrics.clip_classifier import clip_feature_function, train_clip_classifier

        start = time.time()
        clip_classifier, clip_metrics = train_clip_classifier(FLAGS.dataset, steps=FLAGS.clip_classifier_steps, verbose=0)
        features = clip_feature_function(clip_classifier)
        result["clip_features"] = "clip_classifier"
        result["clip_classifier"] = {**clip_metrics, "steps": FLAGS.clip_classifier_steps,
                                     "seconds": round(time.time() - start, 1)}
        print("clip classifier:", result["clip_classifier"], flush=True)


    config = TrainConfig(model="video_gan", dataset=FLAGS.dataset, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                         steps_per_epoch=FLAGS.steps_per_epoch, precision=FLAGS.precision, sample_every=5,
                         output_dir=FLAGS.output_dir, options=parse_options(FLAGS.options))
    family = get_family("video_gan")
    budget = TimeBudget(FLAGS.budget_minutes * 60)
    start = time.time()
    model = train(family, config, callbacks=[budget], verbose=0)
    result["training"] = {"epochs": budget.epochs, "steps": budget.epochs * FLAGS.steps_per_epoch,
                          "batch_size": FLAGS.batch_size, "precision": FLAGS.precision,
                          "seconds": round(time.time() - start, 1),
                          "options": json.load(open(os.path.join(FLAGS.output_dir, "config.json")))["options"]}
    keras.config.set_dtype_policy("float32")

    classifier = load_mnist_classifier()
    num = FLAGS.num_samples
    real_test, _ = clips_as_numpy(FLAGS.dataset, "test", limit=num)
    real_train, _ = clips_as_numpy(FLAGS.dataset, "train", limit=num)
    generated = np.concatenate([sample_clips(model, min(250, num - s), 10_000 + s) for s in range(0, num, 250)])
    start = time.time()
    result["generated"] = video.video_quality(real_test, generated, classifier, features)
    result["real_train_vs_test"] = video.video_quality(real_test, real_train, classifier, features)
    result["evaluation_seconds"] = round(time.time() - start, 1)
    g = result["generated"]
    result["must_show"] = {
        "content_consistency_at_least_0.9": g["content_consistency"] >= 0.9,
        "per_frame_fd_at_most_10": g["per_frame_fd"] <= 10.0,
        "mean_speed_within_20_percent": (g["mean_speed_relative_error"] is not None
                                         and g["mean_speed_relative_error"] <= 0.2),
    }
    stem = os.path.splitext(FLAGS.result)[0]
    result["gif"] = save_gif(generated[:16], f"{stem}_samples.gif", ncols=8, scale=3)
    result["strip"] = save_frame_strip(generated[:8], f"{stem}_strip.png", scale=2)
    result["wall_seconds"] = round(time.time() - wall_start, 1)
    os.makedirs(os.path.dirname(FLAGS.result) or ".", exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps({k: result[k] for k in ("must_show", "training", "wall_seconds")}, indent=2))
    print(json.dumps({k: v for k, v in g.items()}, indent=2))


if __name__ == "__main__":
    app.run(main)
