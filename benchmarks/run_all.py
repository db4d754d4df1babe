"""Regenerates every result in `benchmarks/results/` at the checked-out commit, then the README's table.

    python benchmarks/run_all.py                  # every benchmark at its recipe (hours on 2 cores), then
                                                  # ship_models.py and results_table.py
    python benchmarks/run_all.py --quick          # smoke pass: every benchmark with tiny budgets, results and
                                                  # runs under --quick_dir; benchmarks/results/ is not touched
    python benchmarks/run_all.py --only=vae_mnist5k,optimal_discriminator   # some steps only

Each step is one benchmark command, run in its own process from the repository root; the result JSON it writes
records its commit, exact command and machine (`provenance.py`). This script adds the step's `wall_seconds` to
that JSON and writes a summary (`run_all.json`: per-step command, exit code and wall time, total time) to
`benchmarks/results/` (full pass) or `--quick_dir`. A step that fails is reported and the rest still run; the
exit code is 1 when any step failed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from provenance import REPO_ROOT, provenance  # noqa: E402  (benchmarks/, the script's own folder)


class Step:
    """A benchmark command: `args` at the recipe; `quick` replaces or adds flags for the smoke pass.

    In quick flags `{quick_dir}` stands for the smoke pass's folder; unless they name an `--output_dir`, the step
    trains under `<quick_dir>/runs/<step name>`.
    """

    def __init__(self, result, script, args=(), quick=(), output_dir=True):
        self.result, self.script, self.args, self.quick, self.output_dir = result, script, list(args), list(quick), output_dir

    @property
    def name(self):
        return self.result[: -len(".json")]

    def command(self, quick, quick_dir):
        if not quick:
            return [sys.executable, self.script, *self.args, f"--result=benchmarks/results/{self.result}"]
        flags = {arg.split("=", 1)[0]: arg for arg in self.args}
        flags.update({arg.split("=", 1)[0]: arg.format(quick_dir=quick_dir) for arg in self.quick})
        flags["--result"] = f"--result={os.path.join(quick_dir, self.result)}"
        if self.output_dir and not any(arg.startswith("--output_dir=") for arg in self.quick):
            flags["--output_dir"] = f"--output_dir={os.path.join(quick_dir, 'runs', self.name)}"
        return [sys.executable, self.script, *flags.values()]


GAN_RECIPE = ["--epochs=60", "--budget_minutes=10", "--options=base_filters=32"]
GAN_QUICK = ["--epochs=1", "--steps_per_epoch=3", "--budget_minutes=0.5", "--num_samples=100"]
VQ_QUICK = ["--epochs=1", "--prior_epochs=1", "--num_samples=100", "--sample_batch=10", "--notime_reference",
            "--output_dir={quick_dir}/runs/vqvae2"]  # the three VQ-VAE-2 steps share stage 1 (and stage 2)

# In dependency order: metrics_floor scores the VAE and DCGAN runs; the VQ-VAE-2 variants reuse its stage 1
# (and stage 2); app_load serves the models ship_models.py exports (run separately, below).
STEPS = [
    Step("vae_mnist5k.json", "benchmarks/vae_mnist5k.py", quick=["--epochs=1", "--iw_samples=5"]),
    Step("optimal_discriminator.json", "benchmarks/optimal_discriminator.py", quick=["--steps=50"], output_dir=False),
    Step("saturation.json", "benchmarks/saturation.py", [],
         ["--logged_steps=3", "--budget_minutes=0.1", "--epochs=1", "--num_samples=100"]),
    Step("gan_mnist.json", "benchmarks/gan_mnist.py", ["--models=dcgan,cgan", *GAN_RECIPE], GAN_QUICK),
    Step("gan_mnist_dcgan_refactor.json", "benchmarks/gan_mnist.py",
         ["--models=dcgan", "--epochs=60", "--budget_minutes=40", "--options=base_filters=32",
          "--output_dir=runs/benchmark_gan_refactor"], GAN_QUICK),
    Step("gan_mnist_more.json", "benchmarks/gan_mnist.py", ["--models=sagan,wgan_gp,biggan", *GAN_RECIPE], GAN_QUICK),
    Step("gan_mnist_biggan_ttur.json", "benchmarks/gan_mnist.py",
         ["--models=biggan", "--epochs=60", "--budget_minutes=10",
          "--options=base_filters=32,d_learning_rate=4e-4,g_learning_rate=1e-4,d_steps=1",
          "--output_dir=runs/benchmark_gan_ttur"], GAN_QUICK),
    Step("metrics_floor.json", "benchmarks/metrics_floor.py",
         ["--model_dirs=runs/benchmark_vae,runs/benchmark_gan_refactor/dcgan"],  # the shipped VAE and DCGAN runs,
         ["--model_dirs={quick_dir}/runs/vae_mnist5k,{quick_dir}/runs/gan_mnist/dcgan", "--repeats=1",
          "--num_samples=100"],
         output_dir=False),
    Step("vqvae2_mnist.json", "benchmarks/vqvae2_mnist.py", [],
         VQ_QUICK),
    Step("vqvae2_mnist_prior16.json", "benchmarks/vqvae2_mnist.py", ["--prior_epochs=16", "--reuse_stage1"],
         VQ_QUICK),
    Step("vqvae2_mnist_t0.7.json", "benchmarks/vqvae2_mnist.py", ["--temperature=0.7", "--reuse_stage1", "--reuse_stage2"],
         VQ_QUICK),
    Step("vqvae2_mnist_prior_lr3e-3.json", "benchmarks/vqvae2_mnist.py",
         ["--prior_epochs=4", "--prior_learning_rate=3e-3", "--notime_reference", "--output_dir=runs/benchmark_vqvae2_lr3"],
         VQ_QUICK),
    Step("translation.json", "benchmarks/translation.py", [], ["--steps=2"]),
    Step("video_gan.json", "benchmarks/video_gan.py",
         ["--budget_minutes=12", "--batch_size=16", "--clip_classifier_steps=300", "--options=g_learning_rate=2e-4"],
         ["--budget_minutes=0.5", "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--num_samples=32",
          "--clip_classifier_steps=2"]),
    Step("stylegan2.json", "benchmarks/stylegan2.py", ["--options=channel_base=1024,channel_max=64,z_dim=64,w_dim=64"],
         ["--budget_minutes=0.5", "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--num_samples=100",
          "--psis=1.0"]),
    Step("progan.json", "benchmarks/progan.py",
         ["--budget_minutes=18", "--batch_size=16",
          "--options=channel_base=512,channel_max=64,images_per_phase=3000,ema_images=3000"],
         ["--budget_minutes=0.3", "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--num_samples=100"]),
    Step("social_gan.json", "benchmarks/social_gan.py", ["--budget_minutes=22"],
         ["--budget_minutes=0.5", "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--num_samples=2"]),
    Step("text2image.json", "benchmarks/text2image.py", ["--budget_minutes=18"],
         ["--budget_minutes=0.5", "--epochs=1", "--steps_per_epoch=2", "--batch_size=8", "--num_samples=300"]),
    Step("photo_patches_swd.json", "benchmarks/photo_patches_swd.py",
         ["--models=dcgan", "--minutes=10", "--options=base_filters=32"],
         ["--minutes=0.2", "--batch_size=8", "--num_samples=250"]),  # samples are drawn 250 at a time
    Step("cyclegan_folder.json", "benchmarks/cyclegan_folder.py", ["--minutes=8", "--resolution=64"],
         ["--minutes=0.2", "--train_per_domain=8", "--test_per_domain=4"]),
    Step("speed.json", "benchmarks/speed.py", [], ["--models=vae,dcgan", "--precisions=float32", "--xla=false",
                                                   "--steps=2", "--repeats=1"], output_dir=False),
]
LATE_STEPS = [  # after the models are shipped
    Step("app_load.json", "benchmarks/app_load.py", ["--users=8", "--calls=10"], ["--users=2", "--calls=1"],
         output_dir=False),
]


def _run(step, quick, quick_dir, log_dir):
    command = step.command(quick, quick_dir)
    printable = " ".join(["python", *command[1:]])
    print(f"[run_all] {step.name}: {printable}", flush=True)
    start = time.time()
    log_path = os.path.join(log_dir, f"{step.name}.log")
    with open(log_path, "w") as log:
        code = subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = round(time.time() - start, 1)
    result_path = os.path.join(quick_dir if quick else os.path.join(REPO_ROOT, "benchmarks", "results"), step.result)
    if code == 0 and os.path.exists(result_path) and os.path.getmtime(result_path) >= start:
        with open(result_path) as f:
            result = json.load(f)
        result["wall_seconds"] = seconds
        with open(result_path, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    elif code == 0:
        code = "no result written"
    print(f"[run_all] {step.name}: {'ok' if code == 0 else f'FAILED ({code}), log {log_path}'} in {seconds:.0f} s",
          flush=True)
    return {"command": printable, "exit_code": code, "wall_seconds": seconds, "log": log_path}


def _run_tool(script, log_dir):
    """ship_models.py / results_table.py after a full pass."""
    name = os.path.basename(script)[: -len(".py")]
    with open(os.path.join(log_dir, f"{name}.log"), "w") as log:
        return subprocess.run([sys.executable, script], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets; nothing in benchmarks/results/ changes")
    parser.add_argument("--quick_dir", default=None, help="where --quick writes (default: a new temporary folder)")
    parser.add_argument("--only", default="", help="comma-separated step names (result JSON stems)")
    args = parser.parse_args()

    record = provenance()
    steps = STEPS + LATE_STEPS
    known = [step.name for step in steps]
    only = [name for name in args.only.split(",") if name]
    unknown = [name for name in only if name not in known]
    if unknown:
        parser.error(f"--only: unknown steps {unknown}. Known: {', '.join(known)}")
    quick_dir = os.path.abspath(args.quick_dir or tempfile.mkdtemp(prefix="run_all_quick_")) if args.quick else None
    out_dir = quick_dir or os.path.join(REPO_ROOT, "benchmarks", "results")
    log_dir = os.path.join(quick_dir or os.path.join(REPO_ROOT, "runs"), "run_all_logs")
    os.makedirs(log_dir, exist_ok=True)

    start = time.time()
    summary = {}
    for step in STEPS:
        if not only or step.name in only:
            summary[step.name] = _run(step, args.quick, quick_dir, log_dir)
    if not args.quick and not only:
        summary["ship_models"] = {"exit_code": _run_tool("benchmarks/ship_models.py", log_dir)}
    for step in LATE_STEPS:
        if not only or step.name in only:
            summary[step.name] = _run(step, args.quick, quick_dir, log_dir)
    if not args.quick:
        summary["results_table"] = {"exit_code": _run_tool("benchmarks/results_table.py", log_dir)}
    total = round(time.time() - start, 1)

    failed = [name for name, item in summary.items() if item["exit_code"] != 0]
    report = {**record, "quick": args.quick, "only": only, "total_seconds": total, "failed": failed, "steps": summary}
    with open(os.path.join(out_dir, "run_all.json" if not only else "run_all_partial.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"[run_all] {len(summary) - len(failed)} of {len(summary)} steps ok in {total / 60:.1f} min"
          + (f"; failed: {', '.join(failed)}" if failed else "") + f"; summary in {out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
