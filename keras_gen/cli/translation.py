"""`keras-gen translate` for the image-conditioned families (pix2pix, CycleGAN, SRGAN, SPADE)."""

import numpy as np
from PIL import Image

from keras_gen.data import paired
from keras_gen.metrics.translation import translate as translate_batches
from keras_gen.models.cyclegan import DIRECTIONS, CycleGAN
from keras_gen.utils.images import load_image, save_grid
from keras_gen.utils.value_range import to_signed, to_unit


def read_sources(paths, source_shape, num_label_classes=0):
    """Image files -> model sources in [-1, 1] (label maps: grey level -> nearest class id, one-hot).

    Files of another size are resized (bilinear; nearest for label maps) to the model's input size, and the
    returned note says so: nothing is cropped.
    """
    notes, sources = [], []
    for path in paths:
        with Image.open(path) as image:
            size = image.size
        if size != (source_shape[1], source_shape[0]):
            notes.append(f"{path} resized from {size[0]}x{size[1]} to {source_shape[1]}x{source_shape[0]}")
        if num_label_classes:
            grey = np.asarray(Image.open(path).convert("L").resize((source_shape[1], source_shape[0]), Image.NEAREST))
            ids = np.rint(grey / 255.0 * (num_label_classes - 1)).astype(np.int64)
            sources.append(np.eye(num_label_classes, dtype=np.float32)[ids])
        else:
            sources.append(to_signed(load_image(path, source_shape[:2], source_shape[-1])))
    return np.stack(sources), notes


def translate(model, config, options, args):
    """`--input a.png[,b.png]` (else 8 test sources) -> `--out` grid of (input, output) rows.

    CycleGAN: `--direction=b2a` translates B -> A (default a2b). SPADE: the style latent is drawn with `--seed`,
    or encoded from a style image with `--style=IMG` (needs the style encoder).
    """
    if args.direction not in DIRECTIONS:
        raise ValueError(f"`--direction` must be one of {DIRECTIONS}. Received: direction={args.direction!r}")
    cyclegan = isinstance(model, CycleGAN)
    num_label_classes = 0 if cyclegan else paired.get_paired_info(config.dataset).num_label_classes
    notes = []
    if args.input:
        sources, notes = read_sources([p for p in args.input.split(",") if p], model.source_shape, num_label_classes)
    else:
        domain = 1 if cyclegan and args.direction == "b2a" else 0
        sources = paired.pairs_as_numpy(config.dataset, "test", limit=8, data_dir=config.data_dir)[domain]
    if args.style:
        if cyclegan or model.style_encoder is None:
            raise ValueError(f"This model has no style encoder. Received: style={args.style!r}")
        style = load_image(args.style, model.target_shape[:2], model.target_shape[-1])
        z = np.repeat(np.asarray(model.encode_style(to_signed(style[None]))), len(sources), axis=0)
        outputs = np.asarray(model.translate(sources, z))
    else:
        outputs = translate_batches(model, sources, args.direction, seed=args.seed)
    outputs = to_unit(outputs)
    shown = paired.source_as_image(sources, outputs.shape[1:], num_label_classes)
    grid = np.stack([shown, outputs], axis=1).reshape((-1,) + outputs.shape[1:])
    written = save_grid(grid, args.out, ncols=2, scale=4)
    return written + (f" ({'; '.join(notes)})" if notes else "")


COMMANDS = {"translate": translate}
