"""PixelCNN priors over grids of discrete codes (the second stage of VQ-VAE / VQ-VAE-2)."""

import keras
import tensorflow as tf
from keras import ops

from keras_gen.layers.pixelcnn import GatedPixelCNNBlock
from keras_gen.utils.distribute import dense_gradients, per_replica_loss


def build_pixelcnn_prior_network(
    grid_shape,
    num_embeddings,
    filters=64,
    num_layers=6,
    kernel_size=3,
    num_classes=None,
    condition_grid_shape=None,
    condition_num_embeddings=None,
    name="pixelcnn_prior",
):
    """A gated PixelCNN (vertical + horizontal stacks) mapping a code grid to next-code logits.

    Args:
        grid_shape: `(height, width)` of the code grid.
        num_embeddings: number of distinct codes K (the logits' size).
        filters: channels of every gated block.
        num_layers: gated blocks; the first has mask type "A", the rest "B".
        kernel_size: odd kernel size of the masked convolutions.
        num_classes: if given, the network takes `labels` (batch,) and is class-conditional.
        condition_grid_shape: if given, the network takes `condition`, a `(batch, h, w)` grid of codes
            (e.g. the VQ-VAE-2 top codes) whose size divides `grid_shape`; it is embedded, upsampled to
            `grid_shape` and fed to every block as a spatial conditioning map.
        condition_num_embeddings: number of distinct codes in `condition`.

    Returns:
        A functional `keras.Model` from the dict `{"codes", ["labels"], ["condition"]}` to logits
        `(batch, height, width, num_embeddings)`.
    """
    height, width = grid_shape
    if not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"`num_layers` must be a positive integer. Received: num_layers={num_layers!r}")
    if (condition_grid_shape is None) != (condition_num_embeddings is None):
        raise ValueError(
            "`condition_grid_shape` and `condition_num_embeddings` go together. "
            f"Received: condition_grid_shape={condition_grid_shape!r}, "
            f"condition_num_embeddings={condition_num_embeddings!r}"
        )
    codes = keras.Input((height, width), dtype="int32", name="codes")
    inputs = {"codes": codes}
    x = keras.layers.Embedding(num_embeddings, filters, name=f"{name}_code_embedding")(codes)  # (b, h, w, f)

    class_condition = None
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs["labels"] = labels
        class_condition = keras.layers.Embedding(num_classes, filters, name=f"{name}_label_embedding")(labels)

    spatial_condition = None
    if condition_grid_shape is not None:
        condition_height, condition_width = condition_grid_shape
        if height % condition_height or width % condition_width:
            raise ValueError(
                f"`condition_grid_shape` must divide `grid_shape`={tuple(grid_shape)}. "
                f"Received: condition_grid_shape={tuple(condition_grid_shape)}"
            )
        condition = keras.Input((condition_height, condition_width), dtype="int32", name="condition")
        inputs["condition"] = condition
        c = keras.layers.Embedding(condition_num_embeddings, filters, name=f"{name}_condition_embedding")(condition)
        factor = (height // condition_height, width // condition_width)
        if factor != (1, 1):
            c = keras.layers.UpSampling2D(factor, name=f"{name}_condition_upsample")(c)  # (b, h, w, f)
        # The condition is fully observed, so it may look in every direction: plain convolutions.
        c = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_condition_conv1")(c)
        spatial_condition = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_condition_conv2")(c)

    vertical, horizontal = x, x
    for index in range(num_layers):
        block = GatedPixelCNNBlock(
            filters,
            kernel_size,
            mask_type="A" if index == 0 else "B",
            class_condition_dim=filters if num_classes is not None else None,
            spatial_condition_channels=filters if condition_grid_shape is not None else None,
            name=f"{name}_gated_block{index}",
        )
        vertical, horizontal = block(
            vertical, horizontal, class_condition=class_condition, spatial_condition=spatial_condition
        )
    h = keras.layers.ReLU(name=f"{name}_out_relu1")(horizontal)
    h = keras.layers.Conv2D(filters, 1, activation="relu", name=f"{name}_out_conv1")(h)
    # float32 logits under mixed precision: softmax and sampling need the range.
    logits = keras.layers.Conv2D(num_embeddings, 1, dtype="float32", name=f"{name}_logits")(h)  # (b, h, w, K)
    return keras.Model(inputs, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelCNNPrior(keras.Model):
    """An autoregressive prior over code grids, trained with categorical cross-entropy.

    Args:
        network: a model from `build_pixelcnn_prior_network` (dict inputs `codes`, optional `labels`,
            optional `condition`; logits out).

    Data for `fit`: a dict with `codes` (batch, height, width) int, plus `labels` and/or `condition`
    when the network takes them.

    Reference:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        https://arxiv.org/abs/1606.05328.
    """

    def __init__(self, network, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        codes_shape = network.input["codes"].shape
        self.grid_shape = (int(codes_shape[1]), int(codes_shape[2]))
        self.num_embeddings = int(network.output.shape[-1])
        self.conditional_on_labels = "labels" in network.input
        label_embeddings = [layer for layer in network.layers if layer.name.endswith("_label_embedding")]
        self.num_classes = int(label_embeddings[0].input_dim) if label_embeddings else None
        self.conditional_on_grid = "condition" in network.input
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self._sample_function = tf.function(self._sample_loop, reduce_retracing=True)
        self.built = True  # all weights live in the functional network

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, inputs, training=False):
        return self.network({key: inputs[key] for key in self.network.input}, training=training)

    def compute_loss_value(self, inputs, training=False):
        logits = self(inputs, training=training)
        return ops.mean(keras.losses.sparse_categorical_crossentropy(inputs["codes"], logits, from_logits=True))

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.compute_loss_value(data, training=True)
            scaled_loss = self.optimizer.scale_loss(per_replica_loss(loss))
        gradients = dense_gradients(tape.gradient(scaled_loss, self.trainable_weights))
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        self.loss_tracker.update_state(self.compute_loss_value(data))
        return {m.name: m.result() for m in self.metrics}

    def _check_conditioning(self, labels, condition):
        if self.conditional_on_labels and labels is None:
            raise ValueError("This prior is class-conditional: pass `labels`. Received: labels=None")
        if self.conditional_on_grid and condition is None:
            raise ValueError("This prior is conditioned on a code grid: pass `condition`. Received: condition=None")

    def sample(self, num_samples=None, labels=None, condition=None, temperature=1.0, seed=0, seed_offset=0):
        """Draws code grids autoregressively, one position per step, the whole batch at once.

        Args:
            num_samples: batch size when there is no `labels`/`condition` to take it from.
            labels: `(batch,)` int class labels (class-conditional priors).
            condition: `(batch, h, w)` int conditioning codes (grid-conditional priors).
            temperature: > 0; logits are divided by it (< 1 sharpens, > 1 flattens).
            seed: integer (or int32 scalar tensor); the same seed gives the same codes.
            seed_offset: shifts the random stream, so two priors sampled with one seed are independent.

        Returns:
            `(batch, height, width)` int32 codes.
        """
        self._check_conditioning(labels, condition)
        if isinstance(temperature, (int, float)) and not temperature > 0:
            raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
        if labels is not None:
            batch_size = tf.shape(labels)[0]
        elif condition is not None:
            batch_size = tf.shape(condition)[0]
        elif tf.is_tensor(num_samples):
            batch_size = tf.cast(num_samples, tf.int32)
        elif num_samples is not None and int(num_samples) >= 1:
            batch_size = tf.constant(int(num_samples))
        else:
            raise ValueError(f"`num_samples` must be a positive integer. Received: num_samples={num_samples!r}")
        labels = tf.zeros((batch_size,), tf.int32) if labels is None else tf.cast(labels, tf.int32)
        condition = tf.zeros((batch_size, 1, 1), tf.int32) if condition is None else tf.cast(condition, tf.int32)
        return self._sample_function(
            batch_size, labels, condition, tf.cast(temperature, tf.float32), tf.cast(seed, tf.int32),
            tf.cast(seed_offset, tf.int32),
        )

    def _sample_loop(self, batch_size, labels, condition, temperature, seed, seed_offset):
        height, width = self.grid_shape
        conditioning = {}
        if self.conditional_on_labels:
            conditioning["labels"] = labels
        if self.conditional_on_grid:
            conditioning["condition"] = condition
        codes = tf.zeros((batch_size, height, width), tf.int32)
        for position in tf.range(height * width):
            row, col = position // width, position % width
            logits = self.network({**conditioning, "codes": codes}, training=False)
            logits = tf.cast(logits[:, row, col, :], tf.float32) / temperature  # (batch, K)
            step_seed = tf.stack([seed, seed_offset + position])
            drawn = tf.random.stateless_categorical(logits, 1, seed=step_seed, dtype=tf.int32)[:, 0]  # (batch,)
            # Write the drawn codes at (row, col); later steps only read positions before it.
            at_position = tf.reshape(tf.one_hot(position, height * width, dtype=tf.int32), (1, height, width))
            codes = codes + at_position * drawn[:, None, None]
        return codes

    def get_config(self):
        return {**super().get_config(), "network": keras.saving.serialize_keras_object(self.network)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)
