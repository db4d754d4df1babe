"""Exports the benchmark runs that ship in `saved_models/` and writes `saved_models/MANIFEST.json`.

    python benchmarks/ship_models.py [--force]    # after the benchmarks named below have made their runs;
                                                  # --force re-exports models already in saved_models/

Each shipped model is a SavedModel at `saved_models/<name>/1` (TF Serving's version folder) made from a benchmark's
training run; the manifest records its model and group, its signatures, the benchmark command and commit that
trained it (from the benchmark's result JSON), the export command, and the metrics that result measured.
`keras-gen app` with no arguments opens one page with a tab per manifest entry.
"""

import json
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAVED_MODELS = os.path.join(REPO_ROOT, "saved_models")
MAX_TOTAL_BYTES = 60 * 1024 * 1024  # the folder travels with every clone

# (name, training run, result JSON whose provenance and metrics belong to that run, metric keys to record); a
# result JSON that holds several runs (gan_mnist*.json: one entry per model) is named as "path.json#entry".
SHIPPED = [
    ("vae_mnist_5k", "runs/benchmark_vae", "benchmarks/results/vae_mnist5k.json",
     ("test_elbo_nats", "iw_log_likelihood_nats", "fd")),
    ("dcgan_mnist_5k", "runs/benchmark_gan_refactor/dcgan", "benchmarks/results/gan_mnist_dcgan_refactor.json#dcgan",
     ("fd", "confident_fraction", "classes_covered")),
    ("progan_mnist_5k", "runs/benchmark_progan", "benchmarks/results/progan.json",
     ("fd", "confident_fraction", "classes_present")),
    ("text2image_captioned_digits", "runs/benchmark_text2image", "benchmarks/results/text2image.json",
     ("class_accuracy", "classifier_fd", "r_precision")),
    ("video_gan_moving_digits", "runs/benchmark_video_gan", "benchmarks/results/video_gan.json#generated",
     ("per_frame_fd", "content_consistency", "mean_speed_relative_error")),
    ("vqvae2_mnist_5k", "runs/prior8", "benchmarks/results/vqvae2_mnist.json#stage2",
     ("sample_fd", "sample_label_accuracy", "seconds_per_sampled_batch")),
    ("stylegan2_mnist_5k", "runs/benchmark_stylegan2", "benchmarks/results/stylegan2.json",
     ("fd", "confident_fraction", "classes_present")),
    ("pix2pix_digit_outlines", "runs/benchmark_translation/pix2pix", "benchmarks/results/translation.json#pix2pix",
     ("l1", "identity_baseline_l1", "psnr")),
    ("srgan_digits_x4", "runs/benchmark_translation/srgan", "benchmarks/results/translation.json#srgan",
     ("psnr", "bicubic_psnr", "ssim")),
    ("spade_digit_label_maps", "runs/benchmark_translation/spade", "benchmarks/results/translation.json#spade",
     ("region_pixel_accuracy", "region_mean_recall", "psnr")),
    ("cyclegan_thin_thick_digits", "runs/benchmark_translation/cyclegan", "benchmarks/results/translation.json#cyclegan",
     ("cycle_l1_a", "a2b_l1_vs_true_thickening", "identity_baseline_l1_vs_true_thickening")),
    ("social_gan_crowds_sim", "runs/benchmark_social_gan/pooling", "benchmarks/results/social_gan.json#pooling",
     ("min_ade_20", "min_fde_20", "constant_velocity_ade")),
]


def _folder_bytes(path):
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


def ship(name, run_dir, result_path, metric_keys):
    """Exports `run_dir` to `saved_models/<name>/1`; returns its manifest entry."""
    from keras_gen.export.common import read_metadata

    export_dir = os.path.join(SAVED_MODELS, name, "1")
    command = ["keras-gen", "export", f"--model_dir={run_dir}", f"--export_dir={os.path.relpath(export_dir, REPO_ROOT)}"]
    if os.path.exists(export_dir) and "--force" in sys.argv:
        subprocess.run(["rm", "-r", export_dir], check=True)
    if not os.path.exists(export_dir):  # an export already shipped stays byte-for-byte (--force re-exports)
        subprocess.run([sys.executable, "-m", "keras_gen", *command[1:]], cwd=REPO_ROOT, check=True)
    result_file, _, entry = result_path.partition("#")
    with open(os.path.join(REPO_ROOT, result_file)) as f:
        result = json.load(f)
    recorded = result.get("provenance", result)  # video_gan.json keeps its provenance under "provenance"
    provenance = {key: recorded.get(key) for key in ("command", "commit")}
    result = result[entry] if entry else result
    provenance = {key: result.get(key) or provenance[key] for key in provenance}  # a model's own, else the file's
    metadata = read_metadata(export_dir)
    return {
        "name": name,
        "path": os.path.relpath(export_dir, SAVED_MODELS),
        "model": metadata["model"],
        "group": metadata["group"],
        "signatures": metadata["signatures"],
        "trained_by": provenance,
        "exported_by": " ".join(command),
        "metrics": {key: result[key] for key in metric_keys},
        "result": result_path,
        "bytes": _folder_bytes(export_dir),
    }


def main():
    entries = [ship(*item) for item in SHIPPED]
    total = _folder_bytes(SAVED_MODELS)
    if total > MAX_TOTAL_BYTES:
        raise SystemExit(f"saved_models/ holds {total / 2**20:.1f} MB, over the {MAX_TOTAL_BYTES / 2**20:.0f} MB limit")
    with open(os.path.join(SAVED_MODELS, "MANIFEST.json"), "w") as f:
        json.dump({"models": entries}, f, indent=2)
        f.write("\n")
    print(f"Wrote saved_models/MANIFEST.json: {len(entries)} models, saved_models/ {total / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
