"""The README's "Measured" table, written from the result JSONs in `benchmarks/results/`.

    python benchmarks/results_table.py           # rewrite the table between the README's markers
    python benchmarks/results_table.py --check   # exit 1 if the README's table differs from the JSONs

Each row names the JSON it reads; its command and commit are the ones the JSON recorded (`benchmarks/provenance.py`)
or "not recorded" for results made before provenance was kept, so a stale number shows as stale.
`tests/test_readme_results.py` checks that README and JSONs agree.
"""

import argparse
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO_ROOT, "benchmarks", "results")
README = os.path.join(REPO_ROOT, "README.md")
BEGIN = "<!-- results table: written by benchmarks/results_table.py from benchmarks/results/*.json -->"
END = "<!-- end of results table -->"


def _vae(result):
    return (f"test ELBO {result['test_elbo_nats']:.1f} nats, IW log-likelihood (k={result['iw_samples']}) "
            f"{result['iw_log_likelihood_nats']:.2f} nats on {result['num_examples']} held-out digits")


def _floor(result):
    floor = result["fd_floor_by_sample_size"]["test_500_vs_train_4500"]["mean"]
    return f"classifier accuracy {100 * result['classifier_test_accuracy']:.1f}%; FD real test vs real train {floor:.2f}"


def _gan(result):
    parts = []
    for name, run in sorted(result.items()):
        if name == "real_test_digits" or not isinstance(run, dict):
            continue
        text = f"{name}: classifier FD {run['fd']:.1f}, {100 * run['confident_fraction']:.0f}% confident, {run['classes_covered']} classes"
        if "label_accuracy" in run:
            text += f", label accuracy {100 * run['label_accuracy']:.1f}%"
        text += f" ({run['generator_steps']:,} G steps, {run['train_seconds'] / 60:.0f} min)"
        if "trained_generator" in run:  # sampled from the generator's weight average; the trained one for comparison
            text += f"; the trained generator without averaging: FD {run['trained_generator']['fd']:.1f}, " \
                    f"{100 * run['trained_generator']['confident_fraction']:.0f}% confident"
        parts.append(text)
    return "; ".join(parts)


def _optimal_discriminator(result):
    matched = result["matched"]
    return (f"p_G = p_data: V = -log 4 to {matched['value_error']:.0e}, D* = 1/2 to {matched['d_max_abs_error']:.0e}; "
            f"p_G != p_data: V - theory {result['mismatched']['value_error']:.0e}")


def _vqvae2(result):
    stage1, stage2 = result["stage1"], result["stage2"]
    return (f"test reconstruction MSE {stage1['reconstruction_mse']:.5f}; prior samples FD {stage2['sample_fd']:.1f}, "
            f"label accuracy {100 * stage2['sample_label_accuracy']:.1f}% ({stage2['epochs']} prior epochs); "
            f"{stage2['seconds_per_sampled_batch']:.1f} s per {stage2['sample_batch_size']} samples"
            + (f" (full-grid reference sampler {stage2['reference_seconds_per_sampled_batch']:.1f} s)"
               if "reference_seconds_per_sampled_batch" in stage2 else ""))


def _translation(result):
    pix2pix, srgan, cyclegan, spade = (result[name] for name in ("pix2pix", "srgan", "cyclegan", "spade"))
    return (f"pix2pix L1 {pix2pix['l1']:.3f} (identity {pix2pix['identity_baseline_l1']:.3f}); "
            f"SRGAN PSNR {srgan['psnr']:.1f} dB (bicubic {srgan['bicubic_psnr']:.1f}); "
            f"CycleGAN A->B L1 {cyclegan['a2b_l1_vs_true_thickening']:.3f} (identity {cyclegan['identity_baseline_l1_vs_true_thickening']:.3f}); "
            f"SPADE region accuracy {100 * spade['region_pixel_accuracy']:.1f}%")


def _speed(result):
    rows = {(row["model"], row["precision"], row["xla"]): row for row in result["rows"]}
    parts = [f"{model} {rows[(model, 'float32', False)]['examples_per_second']:,.0f} ex/s"
             for model in ("vae", "dcgan", "vqvae2") if (model, "float32", False) in rows]
    return (f"batch {result['batch_size']}, float32: " + ", ".join(parts)
            + f"; matmul {result['matmul_float32_flops_per_second'] / 1e9:.0f} GFLOP/s; every family x precision x XLA in BUILD.md")


def _speed_paired(result):
    parts = []
    for row in result["rows"]:
        ratio = row["ratio"]["project"]
        text = f"{row['model']} {ratio['median']:.2f} (IQR {ratio['q1']:.2f}-{ratio['q3']:.2f}, range {ratio['min']:.2f}-{ratio['max']:.2f})"
        if "project_ema_off" in row["ratio"]:
            text += f", {row['ratio']['project_ema_off']['median']:.2f} without the generator average"
        parts.append(text)
    cores = len(result["cpu_affinity"]) if result.get("cpu_affinity") else result["machine"]["cores"]
    return (f"project trainer ex/s / plain-Keras reference ex/s (same networks, optimizers and data), median of "
            f"{result['pairs']} alternating pairs on {cores} core{'s' if cores > 1 else ''}: " + "; ".join(parts))


def _video(result):
    generated, floor = result["generated"], result["real_train_vs_test"]
    return (f"video_gan on {result['dataset']} ({result['training']['steps']} G steps, {result['training']['seconds'] / 60:.0f} min): "
            f"per-frame classifier FD {generated['per_frame_fd']:.2f} (real {floor['per_frame_fd']:.2f}), content consistency "
            f"{100 * generated['content_consistency']:.1f}% (real {100 * floor['content_consistency']:.1f}%), mean speed "
            f"{generated['generated_mean_speed']:.2f} px/frame vs real {generated['real_mean_speed']:.2f}")


def _stylegan2(result):
    fds = ", ".join(f"psi {psi}: {fd:.1f}" for psi, fd in sorted(result["fd_versus_psi"].items(), key=lambda item: float(item[0])))
    return (f"stylegan2, {result['generator_steps']} G steps: classifier FD {fds}; "
            f"{result['per_psi']['1']['classes_present']} classes present at psi 1")


def _progan(result):
    growth = result["growth"]
    return (f"progan, {result['generator_steps']} G steps, grown to {growth['current_resolution']}x"
            f"{growth['current_resolution']} of {growth['final_resolution']}x{growth['final_resolution']} (level "
            f"{growth['level']:.2f}): classifier FD {result['fd']:.1f}, {result['classes_present']} classes present")


def _social_gan(result):
    pooling, ablation = result["pooling"], result["no_pooling"]
    return (f"social_gan on {result['dataset']} ({pooling['generator_steps']} G steps each): minADE/minFDE (K={pooling['num_samples']}) "
            f"{pooling['min_ade_20']:.3f}/{pooling['min_fde_20']:.3f} m vs constant velocity {pooling['constant_velocity_ade']:.3f}/"
            f"{pooling['constant_velocity_fde']:.3f} m; collisions < 0.1 m {100 * pooling['collision_rate_0.1m']:.2f}% with pooling, "
            f"{100 * ablation['collision_rate_0.1m']:.2f}% without")


def _swd_levels(result, suffix=""):
    return "/".join(f"{result[f'swd_{level}{suffix}']:.0f}" for level in (64, 32, 16))


def _photo_patches(result):
    models = [f"{name} ({run['train_steps']} steps in {run['train_seconds'] / 60:.0f} min): SWD x1e3 at 64/32/16 px "
              f"{_swd_levels(run)} vs test, {_swd_levels(run, '_vs_train')} vs train"
              for name, run in sorted(result.items()) if name != "real_train_vs_test"]
    return "; ".join(models) + f"; real train vs test {_swd_levels(result['real_train_vs_test'])}"


def _cyclegan_folder(result):
    run = result["resolution_64"]
    return (f"CycleGAN ({run['generator']}) on a CycleGAN-layout folder of the sklearn photos, 64 px, "
            f"{run['train_steps']:,} steps: SWD x1e3 translated A vs B {_swd_levels(run['swd_translated_a_vs_b'])}, "
            f"untranslated {_swd_levels(run['swd_untranslated_a_vs_b'])}; test cycle L1 {run['cycle_l1_test']:.3f}")


def _text2image(result):
    attributes = result["attribute_accuracy"]
    return (f"text2image on {result['dataset']} held-out templates ({result['generator_steps']:,} G steps, "
            f"{result['train_seconds'] / 60:.0f} min): class as captioned {100 * result['class_accuracy']:.1f}%, thickness "
            f"{100 * attributes['thickness']:.1f}%, size {100 * attributes['size']:.1f}%; classifier FD {result['classifier_fd']:.2f}; "
            f"R-precision {100 * result['r_precision']:.1f}% (chance {100 * result['r_precision_chance']:.0f}%, real images "
            f"{100 * result['real_r_precision']:.1f}%)")


def _app_load(result):
    slowest = max(item.get("p99_seconds", 0.0) for item in result["endpoints"].values())
    return (f"{result['users']} concurrent gradio_client users x {result['calls_per_endpoint_per_user']} calls of each of "
            f"{len(result['endpoints'])} endpoints of the one-page app: {result['total_errors']} errors in "
            f"{result['total_calls']} calls; slowest endpoint p99 {slowest:.2f} s"
            + (f"; start-up {result['startup_seconds']:.0f} s, slowest first call "
               f"{max(result['first_call_seconds'].values()):.2f} s" if "first_call_seconds" in result else ""))


def _saturation(result):
    summary = result["summary"]
    norms, d_fake, fd = (summary[key] for key in ("median_gradient_norm_first_50_steps", "mean_d_of_fake_first_50_steps", "fd"))
    return (f"{result['model']}, same initialization, first 50 steps: median generator gradient norm minimax "
            f"{norms['minimax']:.3g} vs non-saturating {norms['non_saturating']:.3g} (mean D(G(z)) "
            f"{d_fake['minimax']:.2f} / {d_fake['non_saturating']:.2f}); FD after {result['budget_minutes']:g} min "
            f"{fd['minimax']:.1f} vs {fd['non_saturating']:.1f}")


# (what, result file under benchmarks/results/ ("file#run" for one run of several, each with its own command),
#  summary of its numbers)
ROWS = [
    ("default VAE", "vae_mnist5k.json", _vae),
    ("evaluation floor", "metrics_floor.json", _floor),
    ("DCGAN", "gan_mnist_dcgan_refactor.json", _gan),
    ("DCGAN, cGAN", "gan_mnist.json", _gan),
    ("SAGAN, WGAN-GP, BigGAN", "gan_mnist_more.json", _gan),
    ("BigGAN, other rates", "gan_mnist_biggan_ttur.json", _gan),
    ("DCGAN with the generator average, linear D logit", "gan_mnist_dcgan_ema.json", _gan),
    ("DCGAN, default recipe (dense layer before D's logit)", "gan_mnist_defaults.json#dcgan", _gan),
    ("SAGAN, default recipe, sampled from the generator average", "gan_mnist_defaults.json#sagan", _gan),
    ("BigGAN, default recipe (SAGAN's rates), slow machine", "gan_mnist_defaults.json#biggan", _gan),
    ("WGAN-GP, default recipe, slow machine", "gan_mnist_defaults.json#wgan_gp", _gan),
    ("original MLP GAN, default recipe", "gan_mnist_defaults.json#gan", _gan),
    ("optimal discriminator", "optimal_discriminator.json", _optimal_discriminator),
    ("saturating vs non-saturating loss", "saturation.json", _saturation),
    ("VQ-VAE-2", "vqvae2_mnist.json", _vqvae2),
    ("VQ-VAE-2, longer prior", "vqvae2_mnist_prior16.json", _vqvae2),
    ("VQ-VAE-2, temperature 0.7", "vqvae2_mnist_t0.7.json", _vqvae2),
    ("VQ-VAE-2, prior at lr 3e-3 (4 epochs)", "vqvae2_mnist_prior_lr3e-3.json", _vqvae2),
    ("image translation", "translation.json", _translation),
    ("video GAN", "video_gan.json", _video),
    ("StyleGAN2", "stylegan2.json", _stylegan2),
    ("Progressive GAN", "progan.json", _progan),
    ("Social GAN", "social_gan.json", _social_gan),
    ("text to image", "text2image.json", _text2image),
    ("photo patches", "photo_patches_swd.json", _photo_patches),
    ("CycleGAN on a folder", "cyclegan_folder.json", _cyclegan_folder),
    ("app under load", "app_load.json", _app_load),
    ("speed", "speed.json", _speed),
    ("speed, timed around fit() calls", "speed_fit_calls.json", _speed),
    ("speed against a plain-Keras reference", "speed_paired.json", _speed_paired),
]


def provenance_of(result):
    """The `provenance()` fields a result recorded: at its top level or in its first run that has them."""
    if isinstance(result, dict) and "command" in result:
        return result
    for value in (result.values() if isinstance(result, dict) else ()):
        if isinstance(value, dict) and "command" in value and "commit" in value:
            return value
    return {}


def table():
    lines = ["| benchmark | command | result | commit |", "| --- | --- | --- | --- |"]
    for what, filename, summarize in ROWS:
        filename, _, key = filename.partition("#")  # "file.json#name": the run `name` of a file that holds several
        with open(os.path.join(RESULTS, filename)) as f:
            result = json.load(f)
        if key:
            result = {key: result[key]}
        recorded = provenance_of(result)
        command = f"`{recorded['command']}`" if recorded.get("command") else "not recorded"
        commit = recorded.get("commit", "")[:7] or "not recorded"
        if recorded.get("dirty"):
            commit += " (uncommitted changes)"
        lines.append(f"| {what} | {command} | {summarize(result)} (`{filename}`) | {commit} |")
    return "\n".join(lines)


def readme_with_table(readme_text):
    if BEGIN not in readme_text or END not in readme_text:
        raise ValueError(f"README.md has no results-table markers: add {BEGIN!r} and {END!r}.")
    head, rest = readme_text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Exit 1 if README.md's table differs from the JSONs.")
    args = parser.parse_args()
    with open(README) as f:
        current = f.read()
    wanted = readme_with_table(current)
    if args.check:
        if wanted != current:
            print("README.md's results table differs from benchmarks/results: run python benchmarks/results_table.py")
            return 1
        return 0
    with open(README, "w") as f:
        f.write(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
