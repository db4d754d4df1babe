"""The lecture's saturation argument, measured: minimax vs non-saturating generator loss from one initialization.

    python benchmarks/saturation.py [--model=gan] [--logged_steps=300] [--budget_minutes=6]

Early in training the discriminator rejects the generator's samples easily: D(G(z)) is near 0, where the minimax
generator loss log(1 - D(G(z))) is flat, so its gradient vanishes; the non-saturating loss -log D(G(z)) has its
steepest slope there (Goodfellow et al. 2014, section 3). Both runs start from the same weights (one global seed;
the loss does not take part in building the networks; the script checks the initial weights are equal) and see
the same batches. For the first `--logged_steps` steps it records, before each step, on a fixed batch of 256 z:
the norm of the generator loss's gradient with respect to the generator's weights, and the mean D(G(z)). Each run
then trains to the wall-clock budget and is scored by the classifier FD of 1,000 samples (the shipped classifier).
Writes benchmarks/results/saturation.json and saturation.png (gradient norm and D(G(z)) against the step).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("model", "gan", "GAN family with a `loss` option (gan: the original fully connected GAN).")
flags.DEFINE_integer("logged_steps", 300, "Steps whose gradient norm is recorded.")
flags.DEFINE_float("budget_minutes", 6.0, "Wall-clock training budget per loss.")
flags.DEFINE_integer("epochs", 200, "Epoch cap (the budget usually stops first).")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_string("options", "", "Extra family options, key=value,... (both runs).")
flags.DEFINE_integer("num_samples", 1000, "Samples scored by the classifier FD.")
flags.DEFINE_string("output_dir", "runs/benchmark_saturation", "Training runs go here.")
flags.DEFINE_string("result", "benchmarks/results/saturation.json", "Where to write the JSON result (plot beside it).")
FLAGS = flags.FLAGS

LOSSES = ("minimax", "non_saturating")


def main(argv):
    del argv
    import keras
    import numpy as np
    import tensorflow as tf

    from budget import TimeBudget
    from keras_gen.families import get_family, train
    from keras_gen.training.config import TrainConfig, parse_options
    from provenance import provenance

    started = provenance()

    class GradientProbe(keras.callbacks.Callback):
        """Before each of the first `steps` train steps: |grad_G L_G| and mean D(G(z)) on a fixed z batch."""

        def __init__(self, steps):
            super().__init__()
            self.steps, self.norms, self.d_of_fake, self.initial = steps, [], [], None
            self.z = None  # drawn in on_train_begin, once the latent size is known

        def on_train_begin(self, logs=None):
            model = self.model
            self.initial = float(sum(np.abs(w).sum() for w in model.generator.get_weights())
                                 + sum(np.abs(w).sum() for w in model.discriminator.get_weights()))
            self.z = tf.constant(np.random.default_rng(123).standard_normal((256, model.latent_dim)), tf.float32)

        def on_train_batch_begin(self, batch, logs=None):
            if len(self.norms) >= self.steps:
                return
            model = self.model
            # As the train step sees it (training=True); the batch-norm statistics this updates are put back.
            kept = [(weight, weight.numpy()) for weight in model.generator.non_trainable_weights
                    + model.discriminator.non_trainable_weights]
            with tf.GradientTape() as tape:
                logits = model.discriminator(model.generator(self.z, training=True), training=True)
                loss = model.generator_loss(logits)
            gradients = tape.gradient(loss, model.generator.trainable_weights)
            for weight, value in kept:
                weight.assign(value)
            self.norms.append(float(tf.linalg.global_norm([g for g in gradients if g is not None])))
            self.d_of_fake.append(float(tf.reduce_mean(tf.sigmoid(tf.cast(logits, tf.float32)))))

    family = get_family(FLAGS.model)
    results = {**started, "model": FLAGS.model, "batch_size": FLAGS.batch_size, "budget_minutes": FLAGS.budget_minutes,
               "options": FLAGS.options, "logged_steps": FLAGS.logged_steps}
    for loss in LOSSES:
        keras.utils.set_random_seed(0)
        config = TrainConfig(model=FLAGS.model, dataset="mnist_5k", epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                             output_dir=os.path.join(FLAGS.output_dir, loss), sample_every=0, seed=0,
                             options={**parse_options(FLAGS.options), "loss": loss})
        probe, budget = GradientProbe(FLAGS.logged_steps), TimeBudget(FLAGS.budget_minutes * 60)
        start = time.time()
        model = train(config, callbacks=[probe, budget], verbose=0)
        train_seconds = time.time() - start
        metrics = family.evaluate_run(model, config, num_examples=FLAGS.num_samples)
        results[loss] = {
            "initial_weights_abs_sum": probe.initial, "generator_gradient_norm": probe.norms,
            "mean_d_of_fake": probe.d_of_fake, "epochs": budget.epochs, "train_seconds": round(train_seconds, 1),
            "fd": float(metrics["fd"]), **{key: float(metrics[key]) for key in ("kid", "precision", "recall")
                                            if key in metrics},
        }
        print(loss, {key: value for key, value in results[loss].items() if not isinstance(value, list)}, flush=True)
    minimax, non_saturating = results["minimax"], results["non_saturating"]
    if minimax["initial_weights_abs_sum"] != non_saturating["initial_weights_abs_sum"]:
        raise SystemExit("The two runs did not start from the same weights: the comparison is void.")
    first = slice(0, 50)
    results["summary"] = {
        "median_gradient_norm_first_50_steps": {loss: float(np.median(results[loss]["generator_gradient_norm"][first]))
                                                for loss in LOSSES},
        "mean_d_of_fake_first_50_steps": {loss: float(np.mean(results[loss]["mean_d_of_fake"][first])) for loss in LOSSES},
        "fd": {loss: results[loss]["fd"] for loss in LOSSES},
    }
    print(json.dumps(results["summary"], indent=2))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for loss in LOSSES:
        label = f"{loss} (FD {results[loss]['fd']:.1f} after {results[loss]['train_seconds'] / 60:.0f} min)"
        top.semilogy(results[loss]["generator_gradient_norm"], label=label)
        bottom.plot(results[loss]["mean_d_of_fake"], label=loss)
    top.set_ylabel("|grad of G loss wrt G weights|")
    top.set_title(f"{FLAGS.model} on mnist_5k, same initialization")
    top.legend()
    bottom.set_ylabel("mean D(G(z))")
    bottom.set_xlabel("train step")
    figure.tight_layout()
    plot = os.path.splitext(FLAGS.result)[0] + ".png"
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.result)), exist_ok=True)
    figure.savefig(plot, dpi=100)
    results["plot"] = plot
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main)
