"""`keras-gen` verbs for the style family: sample, mix, truncation, interpolate."""

import numpy as np

from keras_gen.export.style import StyleEndpoints
from keras_gen.families.style import sample_images
from keras_gen.latent.style import interpolate_styles, style_mixing_grid, truncation_sweep
from keras_gen.utils.images import save_grid
from keras_gen.utils.labels import cycle_labels, parse_labels


def _labels(model, text, count):
    if not text:
        return cycle_labels(count, model.num_classes) if model.conditional else None
    if not model.conditional:
        raise ValueError(f"This model is unconditional: it takes no --labels. Received: labels={text!r}")
    return parse_labels(text, model.num_classes, count=count)


def _truncation(args):
    psi = 1.0 if args.truncation is None else float(args.truncation)
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"`--truncation` (psi) must be in [0, 1]. Received: truncation={args.truncation!r}")
    return psi


def sample(model, config, options, args):
    """`--num_samples` images of seed `--seed`, truncation psi `--truncation` (default 1: none)."""
    images = sample_images(model, args.num_samples, args.seed, labels=_labels(model, args.labels, args.num_samples),
                           truncation=_truncation(args))
    return save_grid(images, args.out, ncols=model.num_classes if model.conditional and not args.labels else None, scale=2)


def mix(model, config, options, args):
    """Style-mixing grid: 4 row sources (seeds `--seed`...) give the coarse styles (w rows < `--crossover`, default
    half), 6 column sources (seeds `--seed`+100...) the fine ones."""
    endpoints = StyleEndpoints(model=model)
    crossover = model.num_ws // 2 if args.crossover is None else int(args.crossover)
    ws_rows = endpoints.seeded_ws(range(args.seed, args.seed + 4), _labels(model, args.labels, 4))
    ws_columns = endpoints.seeded_ws(range(args.seed + 100, args.seed + 106), _labels(model, args.labels, 6))
    grid, ncols = style_mixing_grid(endpoints.synthesize, ws_rows, ws_columns, crossover)
    return save_grid(grid, args.out, ncols=ncols, scale=2)


def truncation(model, config, options, args):
    """Rows: 6 latents of `--seed`; columns: psi = 0, 0.25, ..., 1."""
    endpoints = StyleEndpoints(model=model)
    ws = endpoints.mapping(endpoints.latents(6, args.seed), _labels(model, args.labels, 6))
    grid, ncols = truncation_sweep(endpoints.synthesize, ws, endpoints.w_avg, cutoff=endpoints.truncation_cutoff)
    return save_grid(grid, args.out, ncols=ncols, scale=2)


def interpolate(model, config, options, args):
    """Rows: pairs of seeded latents; columns: `--steps` points on the straight line between them in W."""
    endpoints = StyleEndpoints(model=model)
    rows = int(min(8, max(1, args.num_samples // args.steps)))
    ws = endpoints.mapping(endpoints.latents(2 * rows, args.seed), _labels(model, args.labels, 2 * rows))
    path = np.concatenate([interpolate_styles(ws[2 * r], ws[2 * r + 1], args.steps) for r in range(rows)])
    return save_grid(endpoints.synthesize(path), args.out, ncols=args.steps, scale=2)


COMMANDS = {"sample": sample, "mix": mix, "truncation": truncation, "interpolate": interpolate}
