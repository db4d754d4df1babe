"""Training throughput of every model family, in float32 / mixed_bfloat16 / mixed_float16, with and without XLA.

    python benchmarks/speed.py [--models=vae,dcgan] [--precisions=float32,mixed_bfloat16] [--repeats=3]

For each (model, precision, XLA) it times `--steps` train steps (batch begin to end, so fit()'s per-call setup is
excluded) `--repeats` times after a warm-up run and reports the median examples/s. It counts the FLOPs of one
train step from the traced graph (TF's op FLOP statistics: matmuls and convolutions, forward and backward) and
compares the achieved FLOP/s with this machine's measured dense
float32 matmul FLOP/s. It also measures the input pipeline alone, to show it outruns training.
Prints a Markdown table and writes benchmarks/results/speed.json (`--table` prints the table of an existing
result; `--merge` keeps the rows of the existing result that this run does not time). Each row records the
1-minute load average: above the core count, something else shared the machine.

    taskset -c 1 python benchmarks/speed.py --paired --models=vae,dcgan,cgan --pairs=12 --steps=10 --paired_steps=vae:100

`--paired` times each model against a plain-Keras reference trainer of the same networks, optimizers, batch and
data (`speed_reference.py`), in one process, in alternating order (a b, b a, a b, ...), and reports the median
and spread of the per-pair ratio project ex/s / reference ex/s: on a shared machine single runs drift by 2x,
but the two arms of a pair see nearly the same machine. A GAN's project trainer runs twice per round, with its
default generator average (`ema_images`) and without it (the reference keeps none). Writes
benchmarks/results/speed_paired.json (`--table` with `--paired` prints its table).
"""

import dataclasses
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
flags.DEFINE_bool("table", False, "Only print --result as a Markdown table (no timing).")
flags.DEFINE_bool("merge", False, "Keep the rows of --result for (model, precision, xla) not timed in this run.")
flags.DEFINE_bool("paired", False, "Time each model against its plain-Keras reference in alternating pairs.")
flags.DEFINE_integer("pairs", 12, "--paired: rounds of alternating runs (each gives one ratio per project arm).")
flags.DEFINE_string("paired_steps", "", "--paired: per-model train steps per run, e.g. vae:100 (default: --steps).")
flags.DEFINE_string("vqvae_dir", "", "Stage-1 run for vqvae2_prior (default: a freshly initialized vqvae2, 1 step).")
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
    except Exception as error:  # noqa: BLE001 - a count is a bonus; a failure must not stop the timing
        print(f"FLOP count of {model.name} failed: {type(error).__name__}: {str(error)[:300]}", flush=True)
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


def timed_fit(model, dataset, steps):
    """Examples/s of one `fit()` of `steps` steps, timed around the train batches."""
    timer = StepTimer()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    return steps * FLAGS.batch_size / sum(timer.durations)


def stage_one_dir():
    """A vqvae2 run for vqvae2_prior to build on: --vqvae_dir, or one step of a new model (speed needs no quality)."""
    if FLAGS.vqvae_dir:
        return FLAGS.vqvae_dir
    from keras_gen.training.config import TrainConfig
    from keras_gen.families import train

    output_dir = "/tmp/speed_vqvae2_stage1"
    if not os.path.exists(os.path.join(output_dir, "model.keras")):
        train(TrainConfig(model="vqvae2", dataset="mnist_5k", epochs=1, steps_per_epoch=1, batch_size=FLAGS.batch_size,
                          output_dir=output_dir, sample_every=0), verbose=0)
    return output_dir


def time_family(name, precision, xla):
    import keras

    from keras_gen.families import get_family
    from keras_gen.training.config import TrainConfig

    family = get_family(name)
    options = {"vqvae_dir": stage_one_dir()} if name == "vqvae2_prior" else {}
    keras.backend.clear_session()
    keras.config.set_dtype_policy(precision)
    config = TrainConfig(model=name, dataset=family.default_dataset, batch_size=FLAGS.batch_size, epochs=1,
                         steps_per_epoch=FLAGS.steps, precision=precision, jit_compile=xla, output_dir="/tmp/speed",
                         options=options)
    train_ds, _, info = family.datasets(config)
    model = family.build(config, info)
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
            "pipeline_examples_per_second": pipeline, "runs_seconds": seconds,
            "load_average_1min": os.getloadavg()[0]}  # > cores means something else shared the machine


# Paired timing against a plain-Keras reference (speed_reference.py) -----------------------------------------


def paired_steps():
    steps = {}
    for item in (i for i in FLAGS.paired_steps.split(",") if i):
        name, _, count = item.partition(":")
        steps[name.strip()] = int(count)
    return steps


def time_paired(name, steps):
    """One model's project arms (a GAN's with and without its generator average) and its reference, in pairs."""
    import keras

    from keras_gen.families import get_family
    from keras_gen.training.config import TrainConfig
    from speed_reference import REFERENCE, alternating_order, paired_rounds, ratio_statistics, reference_for

    family = get_family(name)
    keras.backend.clear_session()
    config = TrainConfig(model=name, dataset=family.default_dataset, batch_size=FLAGS.batch_size, epochs=1,
                         steps_per_epoch=steps, output_dir="/tmp/speed_paired")
    train_ds, _, info = family.datasets(config)
    models = {"project": family.build(config, info)}
    if getattr(models["project"], "ema_images", None) is not None:  # the reference keeps no average: time both
        models["project_ema_off"] = family.build(dataclasses.replace(config, options={"ema_images": None}), info)
    models[REFERENCE] = reference_for(models["project"], jit_compile=config.jit_compile, seed=config.seed)
    for model in models.values():  # warm-up: tracing
        model.fit(train_ds, epochs=1, steps_per_epoch=2, verbose=0)
    speeds, ratios = paired_rounds(lambda arm: timed_fit(models[arm], train_ds, steps), list(models), FLAGS.pairs)
    row = {"model": name, "steps": steps, "order": [" ".join(order) for order in alternating_order(list(models), 2)],
           "examples_per_second": speeds,
           "median_examples_per_second": {arm: statistics.median(values) for arm, values in speeds.items()},
           "ratios": ratios, "ratio": {arm: ratio_statistics(values) for arm, values in ratios.items()},
           "load_average_1min": os.getloadavg()[0]}
    if "project_ema_off" in models:
        row["ema_images"] = models["project"].ema_images  # the default recipe's; project_ema_off runs without
    print(json.dumps({k: row[k] for k in ("model", "median_examples_per_second", "ratio")}), flush=True)
    return row


def main_paired():
    from provenance import provenance  # noqa: E402  (benchmarks/, this script's folder)

    started = provenance()
    start = time.perf_counter()
    names = [n for n in FLAGS.models.split(",") if n] or ["vae", "dcgan", "cgan"]
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    peak = matmul_flops_per_second()
    overrides = paired_steps()
    rows = [time_paired(name, overrides.get(name, FLAGS.steps)) for name in names]
    result = {**started, "cpu_affinity": affinity, "matmul_float32_flops_per_second": peak,
              "load_average_after": [round(x, 2) for x in os.getloadavg()], "batch_size": FLAGS.batch_size,
              "pairs": FLAGS.pairs, "wall_seconds": time.perf_counter() - start, "rows": rows}
    if affinity and len(affinity) < os.cpu_count():
        result["note"] = (f"Pinned to {len(affinity)} of {os.cpu_count()} cores (taskset) on a shared machine: the "
                          "absolute ex/s are not this machine's speed; the per-pair ratios are the result.")
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2)
    print(paired_markdown_table(result))


def paired_markdown_table(result):
    """A `--paired` result as a Markdown table (what BUILD.md shows)."""
    from speed_reference import REFERENCE

    cores = result.get("cpu_affinity")
    where = f", pinned to core(s) {','.join(map(str, cores))} of {result['machine']['cores']}" if cores else ""
    lines = [
        f"{result['pairs']} alternating pairs per model, batch {result['batch_size']}{where}; load average "
        f"{result['machine']['load_average'][0]:.1f} before, {result['load_average_after'][0]:.1f} after; "
        f"{result['wall_seconds'] / 60:.1f} min.",
        "",
        "| model | project trainer | steps/run | ratio median | IQR | min-max | pairs < 1 | project ex/s | reference ex/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["rows"]:
        for arm, stats in row["ratio"].items():
            what = {"project": "default recipe" + (" (EMA on)" if "ema_images" in row else ""),
                    "project_ema_off": "ema_images=None"}.get(arm, arm)
            lines.append(
                f"| {row['model']} | {what} | {row['steps']} | {stats['median']:.2f} | {stats['q1']:.2f}-{stats['q3']:.2f} | "
                f"{stats['min']:.2f}-{stats['max']:.2f} | {stats['below_one']}/{stats['pairs']} | "
                f"{row['median_examples_per_second'][arm]:.0f} | {row['median_examples_per_second'][REFERENCE]:.0f} |")
    return "\n".join(lines)


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
                row["matmul_float32_flops_per_second"] = peak
                rows.append(row)
                print(json.dumps(row), flush=True)
    if FLAGS.merge and os.path.exists(FLAGS.result):
        with open(FLAGS.result) as f:
            previous = json.load(f)
        timed = {(r["model"], r["precision"], r["xla"]) for r in rows}
        kept = [r for r in previous["rows"] if (r["model"], r["precision"], r["xla"]) not in timed]
        for row in kept:  # FLOP fractions of kept rows against their own run's matmul peak
            row.setdefault("matmul_float32_flops_per_second", previous["matmul_float32_flops_per_second"])
        order = {n: i for i, n in enumerate(family_names())}
        rows = sorted(kept + rows, key=lambda r: (order.get(r["model"], 99), r["precision"], r["xla"]))
    result = {"matmul_float32_flops_per_second": peak, "batch_size": FLAGS.batch_size, "steps": FLAGS.steps,
              "repeats": FLAGS.repeats, "cpu_count": os.cpu_count(), "rows": rows}
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2)
    print(markdown_table(result))


def markdown_table(result):
    """The rows of a result as a Markdown table (what BUILD.md shows)."""
    lines = [
        f"Dense float32 matmul: {result['matmul_float32_flops_per_second'] / 1e9:.1f} GFLOP/s on {result['cpu_count']} "
        f"cores. Batch {result['batch_size']}; median of {result['repeats']} x {result['steps']} timed steps.",
        "",
        "| model | precision | XLA | ex/s | step ms | GFLOP/s | % of matmul | input pipeline ex/s | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["rows"]:
        precision = {"float32": "f32", "mixed_bfloat16": "bf16", "mixed_float16": "f16"}.get(row["precision"], row["precision"])
        xla = "yes" if row["xla"] else "no"
        if "error" in row:
            lines.append(f"| {row['model']} | {precision} | {xla} | error: {row['error'][:80]} | | | | | |")
            continue
        achieved = row.get("achieved_flops_per_second")
        flops = f"{achieved / 1e9:.1f}" if achieved else "n/a"
        fraction = f"{100 * achieved / row['matmul_float32_flops_per_second']:.0f}" if achieved else "n/a"
        load = f"{row['load_average_1min']:.1f}" if "load_average_1min" in row else "n/a"
        lines.append(f"| {row['model']} | {precision} | {xla} | {row['examples_per_second']:.0f} | {row['step_ms']:.1f} | "
                     f"{flops} | {fraction} | {row['pipeline_examples_per_second']:.0f} | {load} |")
    return "\n".join(lines)


def run(argv):
    if FLAGS.paired and FLAGS.result == flags.FLAGS["result"].default:
        FLAGS.result = "benchmarks/results/speed_paired.json"
    if FLAGS.table:
        with open(FLAGS.result) as f:
            print((paired_markdown_table if FLAGS.paired else markdown_table)(json.load(f)))
        return
    main_paired() if FLAGS.paired else main(argv)


if __name__ == "__main__":
    app.run(run)
