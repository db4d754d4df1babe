"""Social GAN on the simulated crowds (`crowds_sim`): best-of-20 errors against the baselines, and the pooling
ablation's collision rate.

    nice -n 10 python benchmarks/social_gan.py --budget_minutes=20

Trains `social_gan` twice with the family's recipe (`keras_gen.families.train`, the `keras-gen train` path): with the
pooling module and without it (`--options pooling=False`), the first for `--epochs` or until its half of the wall-time
budget runs out (data simulation and evaluation count against it), the ablation for as many epochs as the first
got (the budget stays a safety stop). Then, on the test
windows (scenes simulated with seeds never trained on), reports for each model minADE/minFDE over K = 20 samples,
the constant-velocity and linear-regression baselines on the same windows, and the collision rate between predicted
pedestrians (distance below 0.1 m and 0.2 m at the same step, within one sample).

Must show: minADE and minFDE at least 20% below constant velocity; collision rate lower with pooling than without.
Writes benchmarks/results/social_gan.json.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_float("budget_minutes", 20.0, "Wall-time budget of the whole run (both models, data, evaluation).")
flags.DEFINE_integer("epochs", 200, "Maximum training epochs per model.")
flags.DEFINE_integer("steps_per_epoch", 10, "Batches per epoch.")
flags.DEFINE_integer("batch_size", 32, "Scenes per batch.")
flags.DEFINE_string("options", "", "Family options, key=value,... (applied to both models).")
flags.DEFINE_integer("num_samples", 20, "K of minADE/minFDE.")
flags.DEFINE_string("output_dir", "runs/benchmark_social_gan", "Training output (one folder per model).")
flags.DEFINE_string("result", "benchmarks/results/social_gan.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS

EVAL_RESERVE_SECONDS = 120  # per model: sampling 20 futures of every test window and scoring them


def main(argv):
    del argv

    from keras_gen.data import trajectories
    from keras_gen.export.social_gan import SocialGANEndpoints
    from keras_gen.families import train
    from keras_gen.metrics.trajectory import evaluate_predictions
    from keras_gen.training.config import TrainConfig, parse_options
    from budget import TimeBudget
    from provenance import provenance

    started = provenance()
    run_start = time.time()
    test = trajectories.load_windows("crowds_sim", "test")
    train_windows = trajectories.load_windows("crowds_sim", "train")
    print(f"data: {len(train_windows)} train, {len(test)} test windows ({time.time() - run_start:.0f} s)", flush=True)


    results = {**started, "dataset": "crowds_sim", "train_windows": len(train_windows), "test_windows": len(test),
               "budget_minutes": FLAGS.budget_minutes, "options": FLAGS.options}
    variants = (("pooling", "True"), ("no_pooling", "False"))
    for index, (name, pooling) in enumerate(variants):
        remaining = FLAGS.budget_minutes * 60 - (time.time() - run_start)
        deadline = time.time() + remaining / (len(variants) - index) - EVAL_RESERVE_SECONDS
        # The ablation trains as many epochs as the first model managed (the budget stays a safety stop), so
        # the two differ in the pooling module only, not in training time on a shared machine.
        epochs = results["pooling"]["epochs"] if index else FLAGS.epochs
        options = {**parse_options(FLAGS.options), "pooling": pooling}
        config = TrainConfig(model="social_gan", dataset="crowds_sim", epochs=epochs, batch_size=FLAGS.batch_size,
                             steps_per_epoch=FLAGS.steps_per_epoch, output_dir=os.path.join(FLAGS.output_dir, name),
                             options=options)
        print(f"{name}: training", flush=True)
        budget = TimeBudget(deadline=deadline)
        start = time.time()
        model = train(config, callbacks=[budget], verbose=0)
        train_seconds = time.time() - start
        start = time.time()
        endpoints = SocialGANEndpoints(model=model)
        metrics = evaluate_predictions(lambda observed, mask, k: endpoints.predict(observed, mask, k, seed=2024),
                                       test, num_samples=FLAGS.num_samples)
        k = FLAGS.num_samples
        metrics.update({
            "epochs": budget.epochs,
            "generator_steps": int(model.g_optimizer.iterations.numpy()),
            "train_seconds": round(train_seconds, 1),
            "eval_seconds": round(time.time() - start, 1),
            "ade_below_constant_velocity": 1 - metrics[f"min_ade_{k}"] / metrics["constant_velocity_ade"],
            "fde_below_constant_velocity": 1 - metrics[f"min_fde_{k}"] / metrics["constant_velocity_fde"],
        })
        results[name] = metrics
        print(json.dumps({name: metrics}, indent=2, sort_keys=True), flush=True)
    k = FLAGS.num_samples
    results["must_show"] = {
        "min_ade_20pct_below_constant_velocity": results["pooling"]["ade_below_constant_velocity"] >= 0.2,
        "min_fde_20pct_below_constant_velocity": results["pooling"]["fde_below_constant_velocity"] >= 0.2,
        **{f"collision_rate_lower_with_pooling_{t}": results["pooling"][f"collision_rate_{t}"]
           < results["no_pooling"][f"collision_rate_{t}"] for t in ("0.1m", "0.2m")},
    }
    results["wall_seconds"] = round(time.time() - run_start, 1)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
