"""The optimal discriminator, checked numerically: D(x) vs p_data / (p_data + p_G) and V(G, D) vs -log 4 + 2 JSD.

    python benchmarks/optimal_discriminator.py [--steps=5000] [--batch_size=1024]

Two fixed generators against a bimodal p_data = 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.7^2):
- "mismatched": p_G = N(0, 1.5^2) (a generator that missed both modes);
- "matched": p_G = p_data, where theory says D* = 1/2 everywhere and V = -log 4.
A 1-64-64-1 tanh MLP is trained to convergence with the minimax loss on fresh samples each step.

Writes benchmarks/results/optimal_discriminator.json.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_integer("steps", 5000, "Discriminator training steps per case.")
flags.DEFINE_integer("batch_size", 1024, "Samples from each distribution per step.")
flags.DEFINE_integer("seed", 0, "Seed.")
flags.DEFINE_string("result", "benchmarks/results/optimal_discriminator.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from keras_gen.theory.optimal_discriminator import LOG4, GaussianMixture1D, compare_with_theory

    p_data = GaussianMixture1D(means=(-2.0, 2.0), stds=(0.5, 0.7), weights=(0.5, 0.5))
    cases = {"mismatched": GaussianMixture1D(means=(0.0,), stds=(1.5,), weights=(1.0,)), "matched": p_data}
    results = {"minus_log4": -LOG4}
    for name, p_g in cases.items():
        start = time.time()
        results[name] = compare_with_theory(p_data, p_g, steps=FLAGS.steps, batch_size=FLAGS.batch_size, seed=FLAGS.seed)
        results[name]["seconds"] = round(time.time() - start, 1)
        print(name, json.dumps(results[name], indent=2, sort_keys=True), flush=True)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
