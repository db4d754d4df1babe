"""The floor and ceiling of the digit metrics, and the shipped classifier's accuracy.

    python benchmarks/metrics_floor.py [--model_dirs=runs/vae,runs/dcgan] [--num_samples=500]

Real train digits vs real test digits is the best any generator can hope for on `mnist_5k` ("floor"), at the
sample sizes used: FD is biased upwards at small sample sizes, so the floor is reported for several sizes, each
averaged over random subsets. Uniform noise and a single repeated digit give the other end of the scale.
With `--model_dirs`, each trained model's samples are scored under the same protocol (`num_samples` generated
vs the 4,500 train digits, whose floor is test-500-vs-train), so the numbers sit next to the floor.
Writes benchmarks/results/metrics_floor.json.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("result", "benchmarks/results/metrics_floor.json", "Where to write the JSON result.")
flags.DEFINE_integer("repeats", 5, "Random subsets averaged per sample size.")
flags.DEFINE_list("model_dirs", [], "Trained model directories (keras-gen train) whose samples to score too.")
flags.DEFINE_integer("num_samples", 500, "Generated samples per model (500 matches the test split of the floor).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import numpy as np

    from keras_gen import metrics
    from keras_gen.metrics.classifier import classifier_metadata
    from keras_gen.metrics.frechet import FeatureStatistics, frechet_distance_from_statistics
    from provenance import provenance

    started = provenance()  # the tree as it was when the run began
    start = time.time()
    train_images, _ = metrics.load_real_images("mnist_5k", "train")
    test_images, test_labels = metrics.load_real_images("mnist_5k", "test")
    network = metrics.get_feature_network("mnist_classifier")
    results = {
        "feature_network": "mnist_classifier (saved_models/mnist_classifier)",
        "classifier_test_accuracy": metrics.label_accuracy(test_images, test_labels, network),
        "classifier_recorded": classifier_metadata(),
        "train_vs_test": metrics.sample_quality(train_images, test_images, network),
    }
    print("classifier accuracy on the 500 held-out digits:", results["classifier_test_accuracy"])
    print("train (4500) vs test (500):", json.dumps(results["train_vs_test"]))

    # FD's small-sample bias: real-vs-real FD at N "generated" samples (test digits) against all 4,500 train
    # digits. Disjoint halves of the train split give the N = 2,250 point without reusing the reference images.
    train_features, _ = network(train_images)
    test_features, _ = network(test_images)
    train_stats = FeatureStatistics.from_features(train_features)
    rng = np.random.default_rng(0)
    by_size = {}
    for size in (64, 100, 250, 500):
        values = [frechet_distance_from_statistics(
            train_stats, FeatureStatistics.from_features(test_features[rng.choice(500, size, replace=False)]))
            for _ in range(FLAGS.repeats if size < 500 else 1)]
        by_size[f"test_{size}_vs_train_4500"] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    halves = []
    for _ in range(FLAGS.repeats):
        order = rng.permutation(len(train_features))
        halves.append(metrics.frechet_distance_from_features(train_features[order[:2250]], train_features[order[2250:]]))
    by_size["train_2250_vs_train_2250"] = {"mean": float(np.mean(halves)), "std": float(np.std(halves))}
    results["fd_floor_by_sample_size"] = by_size
    print("FD floor by sample size:", json.dumps(by_size))

    # The other end: noise, and one digit repeated (perfect fidelity, no diversity).
    noise = rng.uniform(size=(500, 28, 28, 1)).astype("float32")
    results["noise_vs_train"] = metrics.sample_quality(train_images, noise, network)
    results["one_digit_repeated_vs_train"] = metrics.sample_quality(
        train_images, np.repeat(test_images[:1], 500, axis=0), network)
    for key in ("noise_vs_train", "one_digit_repeated_vs_train"):
        print(key, json.dumps(results[key]))
    if FLAGS.model_dirs:
        from keras_gen.families import get_family
        from keras_gen.training.runner import load_trained

        results["models"] = {}
        for model_dir in FLAGS.model_dirs:
            model, config = load_trained(model_dir)
            sample_images = get_family(config.model).sample_images
            quality = metrics.evaluate_generator(lambda num, seed: sample_images(model, num, seed), train_images,
                                                 num_samples=FLAGS.num_samples, feature_network=network)
            # The optimizer's step count says how far the scored weights were trained (config.epochs is only
            # what the last `train` call asked for).
            steps = int(model.optimizer.iterations.numpy()) if getattr(model, "optimizer", None) is not None else None
            results["models"][model_dir] = {"model": config.model, "optimizer_steps": steps, **quality}
            print(model_dir, json.dumps(results["models"][model_dir]))
    results["seconds"] = round(time.time() - start, 1)
    results = {**started, **results}
    results["passed"] = bool(results["classifier_test_accuracy"] > 0.97)
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    print("wrote", FLAGS.result)


if __name__ == "__main__":
    app.run(main)
