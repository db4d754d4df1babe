"""Conditioning augmentation (StackGAN): a Gaussian condition around a text embedding."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditioningAugmentation(keras.layers.Layer):
    """Maps a text embedding `e` to `c = mu(e) + sigma(e) * eps`, `eps ~ N(0, I)`; returns `(c, mu, log_sigma)`.

    A fixed caption then gives many conditions, which smooths the condition manifold the generator sees when
    captions are few; `keras_gen.losses.text_to_image.conditioning_kl(mu, log_sigma)` is the regularizer.

    Args:
        units: size of `c`.
        seed: seed of the `keras.random.SeedGenerator` used when `noise` is not given.

    Call arguments:
        embeddings: (batch, embedding_dim).
        noise: (batch, units) standard-normal draws, or None to draw them (fixed draws make exports and apps
            reproduce one another).

    Reference:
        Zhang et al., "StackGAN: Text to Photo-realistic Image Synthesis with Stacked GANs"
        (https://arxiv.org/abs/1612.03242), section 3.1.
    """

    def __init__(self, units, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.dense = keras.layers.Dense(2 * units, name=f"{self.name}_mean_and_log_sigma")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, embeddings, noise=None):
        statistics = self.dense(embeddings)  # (batch, 2 * units)
        mean, log_sigma = statistics[:, :self.units], statistics[:, self.units:]
        if noise is None:
            noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(log_sigma) * ops.cast(noise, mean.dtype), mean, log_sigma

    def compute_output_shape(self, input_shape):
        shape = (input_shape[0], self.units)
        return shape, shape, shape

    def get_config(self):
        return {**super().get_config(), "units": self.units, "seed": self.seed}
