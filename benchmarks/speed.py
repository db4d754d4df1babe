"""Training throughput of every model family, in float32 / mixed_bfloat16 / mixed_float16, with and without XLA.

    python benchmarks/speed.py [--models=vae,dcgan] [--precisions=float32,mixed_bfloat16] [--repeats=3]

For each (model, precision, XLA) it times `--steps` train steps (batch begin to end, so fit()'s per-call setup is
excluded) `--repeats` times after a warm-up run and reports the median examples/s; it counts the FLOPs of one train step from the traced graph (TF's op FLOP statistics: matmuls
and convolutions, forward and backward) and compares the achieved FLOP/s with this machine's measured dense
float32 matmul FLOP/s. It also measures the input pipeline alone, to show it outruns training.
Prints a table and writes benchmarks/results/speed.json.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("models", "", "Comma-separated model families (default: all registered).")
flags.DEFINE_string("precisions", "float32,mixed_bfloat16", "Precisions to time.")
flags.DEFINE_string("xla", "false,true", "XLA settings to time.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_integer("steps", 10, "Train steps per timed run.")
flags.DEFINE_integer("repeats", 3, "Timed runs (the median is reported).")
flags.DEFINE_string("result", "benchmarks/results/speed.json", "Where to write the JSON.")
FLAGS = flags.FLAGS


def matmul_flops_per_second(size=2048, repeats=5):
    import tensorflow as tf

    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    matmul = tf.function(lambda: tf.matmul(a, b))
    matmul().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul().numpy()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times)


def train_step_flops(model, batch):
    """FLOPs of one train step, from the op statistics of its traced graph (None when TF cannot count them)."""
    import tensorflow as tf

    try:
        concrete = tf.function(model.train_step).get_concrete_function(batch)
        options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        return int(tf.compat.v1.profiler.profile(graph=concrete.graph, options=options).total_float_ops)
    except Exception:  # noqa: BLE001 - a count is a bonus; a failure must not stop the timing
        return None


def pipeline_examples_per_second(dataset, batch_size, batches=50):
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


class StepTimer:
    """Wall time of each train batch (begin to end), as a Keras callback."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.durations = []

            def on_train_batch_begin(self, batch, logs=None):
                self._start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                self.durations.append(time.perf_counter() - self._start)

        return _Timer()


def time_family(name, precision, xla):
    import keras

    from keras_gen.families import get_family
    from keras_gen.training.config import TrainConfig

    family = get_family(name)
    keras.backend.clear_session()
    keras.config.set_dtype_policy(precision)
    config = TrainConfig(model=name, dataset=family.default_dataset, batch_size=FLAGS.batch_size, epochs=1,
                         steps_per_epoch=FLAGS.steps, precision=precision, jit_compile=xla, output_dir="/tmp/speed")
    train_ds, _, info = family.make_datasets(config)
    model = family.build_model(config, info)
    batch = next(iter(train_ds))
    flops = train_step_flops(model, batch) if not xla else None
    model.fit(train_ds, epochs=1, steps_per_epoch=2, verbose=0)  # warm-up: tracing and compilation
    seconds = []
    for _ in range(FLAGS.repeats):
        timer = StepTimer()
        model.fit(train_ds, epochs=1, steps_per_epoch=FLAGS.steps, verbose=0, callbacks=[timer])
        seconds.append(sum(timer.durations))  # train steps only: fit()'s per-call setup is not the model's speed
    median = statistics.median(seconds)
    pipeline = pipeline_examples_per_second(train_ds, FLAGS.batch_size)
    keras.config.set_dtype_policy("float32")
    return {"model": name, "precision": precision, "xla": xla, "examples_per_second": FLAGS.steps * FLAGS.batch_size / median,
            "step_ms": 1000 * median / FLAGS.steps, "train_step_flops": flops,
            "pipeline_examples_per_second": pipeline, "runs_seconds": seconds}


def main(argv):
    del argv
    from keras_gen.families import family_names

    names = [n for n in FLAGS.models.split(",") if n] or family_names()
    peak = matmul_flops_per_second()
    rows, flops_by_model = [], {}
    for name in names:
        for precision in FLAGS.precisions.split(","):
            for xla in (x.strip().lower() == "true" for x in FLAGS.xla.split(",")):
                try:
                    row = time_family(name, precision, xla)
                except Exception as error:  # noqa: BLE001 - report the failure in the table and go on
                    row = {"model": name, "precision": precision, "xla": xla, "error": f"{type(error).__name__}: {error}"[:300]}
                if row.get("train_step_flops"):
                    flops_by_model.setdefault(name, row["train_step_flops"])  # same math in every precision
                flops = flops_by_model.get(name)
                if flops and "examples_per_second" in row:
                    row["achieved_flops_per_second"] = flops / (row["step_ms"] / 1000)
                    row["fraction_of_matmul_peak"] = row["achieved_flops_per_second"] / peak
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {"matmul_float32_flops_per_second": peak, "batch_size": FLAGS.batch_size, "steps": FLAGS.steps,
              "repeats": FLAGS.repeats, "cpu_count": os.cpu_count(), "rows": rows}
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\ndense float32 matmul: {peak / 1e9:.1f} GFLOP/s on {os.cpu_count()} cores")
    print(f"{'model':14s} {'precision':15s} {'xla':5s} {'ex/s':>9s} {'step ms':>8s} {'GFLOP/s':>8s} {'% peak':>7s} {'pipeline ex/s':>13s}")
    for row in rows:
        if "error" in row:
            print(f"{row['model']:14s} {row['precision']:15s} {str(row['xla']):5s} error: {row['error'][:80]}")
            continue
        achieved = row.get("achieved_flops_per_second")
        print(f"{row['model']:14s} {row['precision']:15s} {str(row['xla']):5s} {row['examples_per_second']:9.0f} "
              f"{row['step_ms']:8.1f} {achieved / 1e9 if achieved else float('nan'):8.2f} "
              f"{100 * row['fraction_of_matmul_peak'] if achieved else float('nan'):7.1f} {row['pipeline_examples_per_second']:13.0f}")


if __name__ == "__main__":
    app.run(main)
