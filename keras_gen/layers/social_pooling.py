"""Social GAN's pooling module: what each pedestrian knows of everyone else in its scene."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class SocialPooling(keras.layers.Layer):
    """Pools the other pedestrians of a scene into one vector per pedestrian.

    For pedestrian i, each other pedestrian j contributes MLP([embed(p_j - p_i), h_j]) (its position relative to i
    and its motion encoding); the contributions are reduced by an element-wise max over j. The max makes the result
    independent of the order of the others; a j that `mask` excludes (padding) is replaced by the lowest float
    before the max, so it cannot change the result at all. A pedestrian with no other one in its scene gets zeros.

    Args:
        embedding_dim: size of the relative-position embedding.
        hidden_units: width of the MLP's hidden layer.
        output_dim: size of the pooled vector (the MLP's output, ReLU).

    Call arguments:
        inputs: `[hidden (batch, pedestrians, units), positions (batch, pedestrians, 2), mask (batch, pedestrians)]`,
            the mask boolean or 0/1.

    Returns:
        (batch, pedestrians, output_dim).

    Reference:
        Gupta et al., "Social GAN: Socially Acceptable Trajectories with Generative Adversarial Networks" (2018),
        https://arxiv.org/abs/1803.10892
    """

    def __init__(self, embedding_dim=64, hidden_units=512, output_dim=1024, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("embedding_dim", embedding_dim), ("hidden_units", hidden_units), ("output_dim", output_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.output_dim = output_dim
        self.position_embedding = keras.layers.Dense(embedding_dim, name="position_embedding")
        self.hidden = keras.layers.Dense(hidden_units, activation="relu", name="hidden")
        self.out = keras.layers.Dense(output_dim, activation="relu", name="out")

    def build(self, input_shape):
        hidden_shape = input_shape[0]
        self.position_embedding.build((None, None, None, 2))
        self.hidden.build((None, None, None, self.embedding_dim + hidden_shape[-1]))
        self.out.build((None, None, None, self.hidden_units))

    def call(self, inputs):
        hidden, positions, mask = inputs
        count = ops.shape(hidden)[1]
        relative = positions[:, None, :, :] - positions[:, :, None, :]  # (batch, i, j, 2): p_j - p_i
        others = ops.broadcast_to(hidden[:, None, :, :], (ops.shape(hidden)[0], count, count, ops.shape(hidden)[-1]))
        features = self.out(self.hidden(ops.concatenate([self.position_embedding(relative), others], axis=-1)))
        # (batch, i, j): j is a real pedestrian other than i
        valid = ops.logical_and(ops.cast(mask, "bool")[:, None, :], ops.logical_not(ops.eye(count, dtype="bool"))[None])
        lowest = ops.full_like(features, -3.0e38)  # below any feature (-inf in float16: the max is the same)
        pooled = ops.max(ops.where(valid[..., None], features, lowest), axis=2)  # (batch, i, output_dim)
        return ops.where(ops.any(valid, axis=2)[..., None], pooled, ops.zeros_like(pooled))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (self.output_dim,)

    def get_config(self):
        config = {"embedding_dim": self.embedding_dim, "hidden_units": self.hidden_units, "output_dim": self.output_dim}
        return {**super().get_config(), **config}
