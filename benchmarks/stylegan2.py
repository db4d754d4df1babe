"""StyleGAN2 on mnist_5k digits padded to 32x32, judged by the shipped MNIST classifier.

    nice -n 10 python benchmarks/stylegan2.py --budget_minutes=19 \
        --options=channel_base=1024,channel_max=64,z_dim=64,w_dim=64

Trains with the family's recipe (`keras-gen train --model=stylegan2` path) until `--epochs` or the wall-time
budget, then scores 1,000 samples of the EMA generator, cropped back to 28x28, at each truncation psi of
`--psis`: classifier-space Frechet distance / KID / precision / recall against the test digits, the classifier's
confidence and which classes it finds among the confident samples. Writes the JSON result (with provenance), a
sample grid per psi and a style-mixing figure (rows: coarse styles of A, columns: fine styles of B) beside it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("epochs", 1000, "Maximum epochs (the budget normally stops training first).")
flags.DEFINE_integer("steps_per_epoch", 50, "Batches per epoch (short epochs: the budget is checked per epoch).")
flags.DEFINE_float("budget_minutes", 19.0, "Training wall-time budget; training stops after the epoch exceeding it.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_string("options", "", "stylegan2 options, key=value,...")
flags.DEFINE_list("psis", ["1.0", "0.7", "0.5"], "Truncation psi values to score.")
flags.DEFINE_integer("num_samples", 1000, "Samples scored per psi.")
flags.DEFINE_string("output_dir", "runs/benchmark_stylegan2", "Training output.")
flags.DEFINE_string("result", "benchmarks/results/stylegan2.json", "Where to write the JSON result.")
flags.DEFINE_bool("evaluate_only", False, "Score the model already trained in --output_dir (model.keras) instead "
                  "of training (for a run whose evaluation did not fit its wall-time limit).")
FLAGS = flags.FLAGS


def main(argv):
    del argv

    from keras_gen.export.style import StyleEndpoints
    from keras_gen.families import train
    from keras_gen.families.style import restore_source_shape, sample_images
    from keras_gen.latent.style import style_mixing_grid
    from keras_gen.metrics.classifier import load_mnist_classifier
    from keras_gen.metrics.evaluate import evaluate_generator, load_real_images
    from keras_gen.training.config import TrainConfig, parse_options
    from keras_gen.utils.images import save_grid
    from budget import TimeBudget
    from digit_scores import classifier_statistics
    from provenance import provenance

    started = provenance()
    run_start = time.time()


    config = TrainConfig(model="stylegan2", dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                         steps_per_epoch=FLAGS.steps_per_epoch, output_dir=FLAGS.output_dir, sample_every=10,
                         options=parse_options(FLAGS.options))
    budget = TimeBudget(FLAGS.budget_minutes * 60)
    if FLAGS.evaluate_only:
        from keras_gen.training.runner import load_trained

        model, _ = load_trained(FLAGS.output_dir)
        with open(os.path.join(FLAGS.output_dir, "history.csv")) as f:
            budget.epochs = len(f.read().splitlines()) - 1
        train_seconds = None  # trained by an earlier run; see its log
    else:
        model = train(config, callbacks=[budget], verbose=0)
        train_seconds = round(time.time() - run_start, 1)

    classifier = load_mnist_classifier()
    real_images, _ = load_real_images("mnist_5k", "test")
    stem = os.path.splitext(FLAGS.result)[0]
    per_psi = {}
    for psi in (float(p) for p in FLAGS.psis):
        def sample_fn(count, seed, labels=None, psi=psi):
            return sample_images(model, count, seed, labels=labels, truncation=psi)

        quality = evaluate_generator(sample_fn, real_images, num_samples=FLAGS.num_samples, seed=7,
                                     kid_subset_size=min(500, FLAGS.num_samples))
        images = sample_fn(FLAGS.num_samples, 2024)
        stats, _ = classifier_statistics(images, classifier)
        grid = f"{stem}_psi{psi:g}.png"
        save_grid(images[:100], grid, ncols=10, scale=2)
        per_psi[f"{psi:g}"] = {
            **{k: quality[k] for k in ("fd", "kid", "precision", "recall") if k in quality},
            **stats,
            "sample_grid": grid,
        }
        print(f"psi={psi:g}: {json.dumps(per_psi[f'{psi:g}'])}", flush=True)

    endpoints = StyleEndpoints(model=model)
    crossover = model.num_ws // 2
    mixing, ncols = style_mixing_grid(lambda ws: restore_source_shape(endpoints.synthesize(ws), model.source_shape),
                                      endpoints.seeded_ws(range(4)), endpoints.seeded_ws(range(100, 106)), crossover)
    mixing_path = f"{stem}_style_mixing.png"
    save_grid(mixing, mixing_path, ncols=ncols, scale=3)

    results = {
        **started,
        "model": "stylegan2",
        "dataset": "mnist_5k padded to 32x32 (samples cropped back to 28x28 for the classifier)",
        "options": FLAGS.options,
        "batch_size": FLAGS.batch_size,
        "epochs": budget.epochs,
        "generator_steps": int(model.g_optimizer.iterations.numpy()),
        "images_seen": int(model.images_seen.numpy()),
        "train_seconds": train_seconds,
        "evaluate_only": FLAGS.evaluate_only,
        "total_seconds": round(time.time() - run_start, 1),
        "fd_versus_psi": {psi: values["fd"] for psi, values in per_psi.items()},
        # the untruncated model's scores (psi = 1, what the export's `sample` draws) at the top level, for the manifest
        **{key: per_psi["1"][key] for key in ("fd", "confident_fraction", "classes_present") if "1" in per_psi},
        "per_psi": per_psi,
        "style_mixing_figure": mixing_path,
        "style_mixing_crossover": crossover,
        "num_ws": model.num_ws,
    }
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
