"""`keras-gen` verbs for the text-conditioned family: generate (captions -> a PNG grid)."""

from keras_gen.families.text import generate_images
from keras_gen.utils.images import save_grid
from keras_gen.utils.text import check_captions
from keras_gen.export.text_to_image import max_words


def generate(model, config, options, args):
    """`--text="a thick seven"` (several captions separated by `|`): `--num_samples` images per caption, one row
    per caption, seeds `--seed`, `--seed + 1`, ..."""
    if not args.text:
        raise ValueError("`generate` needs --text (captions separated by |). Received: text=None")
    captions = check_captions([c.strip() for c in args.text.split("|")], max_words(model))
    per_caption = int(min(max(args.num_samples, 1), 16))
    rows = [caption for caption in captions for _ in range(per_caption)]
    return save_grid(generate_images(model, rows, args.seed), args.out, ncols=per_caption, scale=2)


COMMANDS = {"generate": generate}
