"""A buffer of previously generated images, so a discriminator also sees older fakes (CycleGAN)."""

import keras
from keras import ops

from keras_gen.utils.distribute import gather_replicas


@keras.saving.register_keras_serializable(package="keras_gen")
class ImagePool(keras.layers.Layer):
    """History of past generated images, queried once per discriminator step.

    While the pool is filling, each incoming image is stored and returned unchanged. Once full, each image
    is, with probability `swap_probability`, swapped for a uniformly chosen stored image (which it replaces
    in the pool); otherwise it is returned unchanged. Training the discriminator on this mix of current and
    past fakes damps the oscillation between generator and discriminator. Under a distribution strategy the
    pool is shared: it sees the global batch, in the same order as one device would.

    Within one batch all swaps read the pool as it was before the batch (so a returned image is always a
    fake from an earlier step); if two images of a batch pick the same slot, one of them is kept. The pool
    contents, fill count and random state are non-trainable weights, so a `.keras` checkpoint resumes them.

    Args:
        pool_size: number of stored images (50 in the paper); 0 disables the pool (images pass through).
        swap_probability: probability, once full, of returning a stored image instead of the new one.
        seed: integer seed of the swap decisions and slot choices.

    Call arguments:
        images: `(batch, H, W, C)` generated images. The output has the same shape and carries no gradient.

    Reference:
        Shrivastava et al., "Learning from Simulated and Unsupervised Images through Adversarial Training"
        (2017), https://arxiv.org/abs/1612.07828; used by CycleGAN, Zhu et al. (2017),
        https://arxiv.org/abs/1703.10593
    """

    def __init__(self, pool_size=50, swap_probability=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(pool_size, int) or pool_size < 0:
            raise ValueError(f"`pool_size` must be a non-negative integer. Received: pool_size={pool_size!r}")
        if not 0.0 <= swap_probability <= 1.0:
            raise ValueError(f"`swap_probability` must be in [0, 1]. Received: swap_probability={swap_probability!r}")
        self.pool_size = pool_size
        self.swap_probability = swap_probability
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4 or None in input_shape[1:]:
            raise ValueError(f"ImagePool needs (batch, H, W, C) images with known H, W, C. Received: input_shape={input_shape}")
        self.images = self.add_weight(
            shape=(max(self.pool_size, 1),) + tuple(input_shape[1:]), initializer="zeros", trainable=False, name="images"
        )
        self.num_filled = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="num_filled")

    def call(self, images):
        images = ops.stop_gradient(images)
        if self.pool_size == 0:
            return images
        # Under a distribution strategy there is one pool for the global batch: every replica gathers all
        # replicas' images, makes the same draws and writes, and keeps its own slice of the result.
        local_batch_size = ops.shape(images)[0]
        images, offset = gather_replicas(images)
        batch_size = ops.shape(images)[0]
        # Slot each image would take while the pool is still filling.
        fill_slots = self.num_filled + ops.arange(batch_size, dtype="int32")  # (batch,)
        filling = fill_slots < self.pool_size
        # A swap reads a slot filled before this batch: on the batch that fills the pool, the slots this batch
        # fills (and those still empty) hold no earlier fake.
        filled_before = self.num_filled
        swap = ops.logical_and(
            ops.logical_and(ops.logical_not(filling), filled_before > 0),
            keras.random.uniform((batch_size,), seed=self.seed_generator) < self.swap_probability,
        )
        random_slots = ops.cast(
            ops.floor(keras.random.uniform((batch_size,), seed=self.seed_generator) * ops.cast(filled_before, "float32")),
            "int32",
        )
        random_slots = ops.clip(random_slots, 0, ops.maximum(filled_before - 1, 0))
        stored = ops.take(self.images, random_slots, axis=0)  # (batch, H, W, C), the pool before this batch
        outputs = ops.where(swap[:, None, None, None], ops.cast(stored, images.dtype), images)

        # Write the new images into their slots: a fill slot, a swapped slot, or nowhere (slot = pool_size,
        # a dummy row dropped below).
        write_slots = ops.where(filling, fill_slots, ops.where(swap, random_slots, self.pool_size))
        padded = ops.concatenate([self.images, ops.zeros_like(self.images[:1])], axis=0)
        padded = ops.scatter_update(padded, write_slots[:, None], ops.cast(images, padded.dtype))
        self.images.assign(padded[: self.pool_size])
        self.num_filled.assign(ops.minimum(self.num_filled + batch_size, self.pool_size))
        return outputs[offset : offset + local_batch_size]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "swap_probability": self.swap_probability,
            "seed": self.seed,
        }
