"""Training callbacks of growing models (Progressive GAN)."""

import os

import keras
import numpy as np
from keras import ops

from keras_gen.utils.images import save_grid
from keras_gen.utils.value_range import to_unit


def native_samples(model, num, seed):
    """`num` images in [0, 1] of `model` (a `ProGAN`) at the resolution it has reached, at that resolution (not
    upsampled); -> `(images, resolution)`."""
    growth = model.growth()
    images = model.render(model.sample_latent(num, seed=seed))  # (num, final, final, C), nearest-upsampled
    factor = growth["final_resolution"] // growth["current_resolution"]
    native = ops.average_pool(images, factor, factor) if factor > 1 else images  # exact: blocks are constant
    return to_unit(np.asarray(native)), growth["current_resolution"]


class ResolutionGrids(keras.callbacks.Callback):
    """Writes `resolution_RxR.png` in `out_dir` after each epoch: `num` samples from a fixed seed at the resolution
    R the model has reached, shown at R (enlarged); the grid of an earlier resolution stays as it was left."""

    def __init__(self, out_dir, num=64, seed=1234):
        super().__init__()
        self.out_dir = out_dir
        self.num = num
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        images, resolution = native_samples(self.model, self.num, self.seed)
        save_grid(images, os.path.join(self.out_dir, f"resolution_{resolution}x{resolution}.png"),
                  scale=max(1, 64 // resolution))
