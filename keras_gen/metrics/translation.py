"""Image-to-image models' held-out numbers on a paired (or, for CycleGAN, unpaired) test split, in [0, 1]."""

import numpy as np

from keras_gen.data import paired
from keras_gen.metrics.image_quality import bicubic_upsample, image_quality
from keras_gen.utils.value_range import to_unit

DEFAULT_NUM_EXAMPLES = 500


def translate(model, sources, direction="a2b", batch_size=100, seed=0):
    """Outputs in [-1, 1] for `sources`, in batches: CycleGAN in `direction`; models with a style latent draw it
    from `seed`."""
    if hasattr(model, "generator_ab"):
        run = lambda batch: model.translate(batch, direction)  # noqa: E731
    elif model.uses_latent:
        run = lambda batch: model.translate(batch, seed=seed)  # noqa: E731
    else:
        run = model.translate
    return np.concatenate([np.asarray(run(sources[i:i + batch_size])) for i in range(0, len(sources), batch_size)])


def region_agreement(generated_unit, label_maps, thresholds=paired.LABEL_THRESHOLDS):
    """SPADE on digit region maps: how often a generated pixel's intensity falls in its region's band.

    Returns pixel accuracy, the mean per-region recall and each region's recall.
    """
    predicted = np.digitize(np.round(generated_unit[..., 0] * 255.0), thresholds)  # (N, H, W) region ids
    labels = label_maps.argmax(-1)
    recalls = [float((predicted[labels == k] == k).mean()) for k in range(label_maps.shape[-1]) if (labels == k).any()]
    return {"region_pixel_accuracy": float((predicted == labels).mean()), "region_mean_recall": float(np.mean(recalls)),
            "region_recalls": recalls}


def _test_pairs(request):
    return paired.pairs_as_numpy(request.dataset, "test", limit=request.num_examples or DEFAULT_NUM_EXAMPLES,
                                 data_dir=request.data_dir)


def _paired_metrics(model, request):
    """(sources, targets, outputs in [0, 1], metrics): L1, PSNR and SSIM of the outputs against the targets."""
    sources, targets = _test_pairs(request)
    outputs = to_unit(translate(model, sources), clip=False)
    metrics = {"num_examples": int(len(sources)), "l1": float(np.abs(outputs - to_unit(targets, clip=False)).mean()),
               **image_quality(outputs, to_unit(targets, clip=False))}
    return sources, targets, outputs, metrics


def evaluate_pix2pix(model, request):
    """Paired metrics, and the L1 of the source itself as a baseline when sources and targets are alike."""
    sources, targets, _, metrics = _paired_metrics(model, request)
    if sources.shape == targets.shape:
        metrics["identity_baseline_l1"] = float(np.abs(to_unit(sources, clip=False) - to_unit(targets, clip=False)).mean())
    return metrics


def evaluate_srgan(model, request):
    """Paired metrics next to bicubic upsampling's, and which features the content loss used."""
    sources, targets, _, metrics = _paired_metrics(model, request)
    unit_targets = to_unit(targets, clip=False)
    bicubic = bicubic_upsample(to_unit(sources, clip=False), unit_targets.shape[1:3])
    baseline = image_quality(bicubic, unit_targets)
    return {**metrics, "bicubic_psnr": baseline["psnr"], "bicubic_ssim": baseline["ssim"],
            "bicubic_l1": float(np.abs(bicubic - unit_targets).mean()), "feature_source_used": model.feature_source_used}


def evaluate_spade(model, request):
    """Paired metrics (style drawn from a fixed seed); on digit region maps the region agreement; with a style
    encoder, the L1 when each target's own style is encoded."""
    sources, targets, outputs, metrics = _paired_metrics(model, request)
    if paired.get_paired_info(request.dataset).num_label_classes == paired.DIGIT_LABEL_CLASSES:
        metrics.update(region_agreement(outputs, sources))
    if model.style_encoder is not None:
        styled = np.asarray(model.translate(sources[:100], model.encode_style(targets[:100])))
        metrics["l1_with_encoded_style"] = float(np.abs(to_unit(styled, clip=False) - to_unit(targets[:100], clip=False)).mean())
    return metrics


def evaluate_cyclegan(model, request):
    """Cycle L1 both ways; on `digits_thick`, where the true A -> B map is known (3x3 dilation) though training
    never saw pairs, the L1 of G(a) against it next to the identity's."""
    sources, targets = _test_pairs(request)
    outputs = translate(model, sources, "a2b")
    back = translate(model, outputs, "b2a")
    b_cycle = translate(model, translate(model, targets, "b2a"), "a2b")
    unit_sources, unit_targets = to_unit(sources, clip=False), to_unit(targets, clip=False)
    metrics = {"num_examples": int(len(sources)),
               "cycle_l1_a": float(np.abs(to_unit(back, clip=False) - unit_sources).mean()),
               "cycle_l1_b": float(np.abs(to_unit(b_cycle, clip=False) - unit_targets).mean())}
    if request.dataset == "digits_thick":
        truth = paired.thicken(np.round(unit_sources * 255).astype(np.uint8)).astype(np.float32) / 255.0
        metrics["a2b_l1_vs_true_thickening"] = float(np.abs(to_unit(outputs, clip=False) - truth).mean())
        metrics["identity_baseline_l1_vs_true_thickening"] = float(np.abs(unit_sources - truth).mean())
    return metrics
