"""`keras-gen` verbs for the video family: sample (an animated GIF and a frame strip)."""

import os

from keras_gen.families.video import sample_clips
from keras_gen.utils.labels import parse_labels
from keras_gen.utils.video import save_frame_strip, save_gif


def strip_path(out):
    """Where `sample --out=clips.gif` writes the frame strip: `clips_strip.png`."""
    return f"{os.path.splitext(out)[0]}_strip.png"


def sample(model, config, options, args):
    """`--num_samples` clips from `--seed`: `--out` (a .gif, all clips playing side by side) and `<out>_strip.png`
    (one row per clip, one column per frame). `--labels` for a conditional model (default: the classes in turn)."""
    if not args.out.lower().endswith(".gif"):
        raise ValueError(f"`sample` writes an animated GIF: --out must end in .gif. Received: out={args.out!r}")
    if not 1 <= args.num_samples <= 256:
        raise ValueError(f"--num_samples must be in [1, 256]. Received: num_samples={args.num_samples!r}")
    labels = None
    if args.labels:
        if not model.conditional:
            raise ValueError(f"This model is unconditional: it takes no --labels. Received: labels={args.labels!r}")
        labels = parse_labels(args.labels, model.num_classes, count=args.num_samples)
    clips = sample_clips(model, args.num_samples, args.seed, labels=labels)
    save_frame_strip(clips, strip_path(args.out))
    return save_gif(clips, args.out)


COMMANDS = {"sample": sample}
