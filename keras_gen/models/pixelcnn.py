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


class CachedSampler:
    """Samples a `build_pixelcnn_prior_network` network computing each position once, instead of the whole grid.

    The plain way to sample a PixelCNN runs the network over the whole grid at every position: H*W full passes
    for H*W codes, (H*W)^2 position-evaluations of which all but H*W are thrown away (a 14x14 grid: 196x the
    work). Here every layer keeps the inputs it has already seen (the fast generation of Ramachandran et al.
    2017, https://arxiv.org/abs/1704.06001): at the start of a row the vertical stack computes that row only,
    from the rows above it that it cached; at each position the horizontal stack computes that position only,
    from the positions to its left that it cached and the vertical stack's row; the output layers run at that
    position only. Every layer's output at a position is the same function of the same inputs as in the full
    pass (the masks make the positions after it irrelevant), so the codes drawn with the same seeds are the
    same as the plain sampler's (`PixelCNNPrior.sample(..., method="reference")`), up to float rounding.

    It reads the layers of a network built by `build_pixelcnn_prior_network` by name; `for_network` returns
    None for any other network, which is then sampled the plain way. A plain Python object, so Keras does not
    track (and save) the layers twice.
    """

    def __init__(self, network):
        prefix = network.name
        self.grid_shape = tuple(int(d) for d in network.input["codes"].shape[1:3])
        self.code_embedding = network.get_layer(f"{prefix}_code_embedding")
        self.label_embedding = network.get_layer(f"{prefix}_label_embedding") if "labels" in network.input else None
        # The conditioning grid is fully observed: its path (embedding, upsampling, plain convolutions) runs once.
        self.condition_network = (
            keras.Model(network.input["condition"], network.get_layer(f"{prefix}_condition_conv2").output)
            if "condition" in network.input else None
        )
        self.blocks = [network.get_layer(f"{prefix}_gated_block{index}") for index in range(_count_blocks(network))]
        self.head = [network.get_layer(f"{prefix}_{name}") for name in ("out_relu1", "out_conv1", "logits")]
        self.kernel_size = self.blocks[0].kernel_size

    @classmethod
    def for_network(cls, network):
        """A `CachedSampler` for `network`, or None when it is not laid out as `build_pixelcnn_prior_network` makes it."""
        prefix = network.name
        names = {layer.name for layer in network.layers}
        blocks = [layer for layer in network.layers if isinstance(layer, GatedPixelCNNBlock)]
        expected = {f"{prefix}_code_embedding", f"{prefix}_out_relu1", f"{prefix}_out_conv1", f"{prefix}_logits"}
        expected |= {f"{prefix}_gated_block{index}" for index in range(len(blocks))}
        if "labels" in network.input:
            expected.add(f"{prefix}_label_embedding")
        if "condition" in network.input:
            expected.add(f"{prefix}_condition_conv2")
        if not blocks or not expected <= names or len({block.kernel_size for block in blocks}) != 1:
            return None
        return cls(network)

    def sample(self, batch_size, labels, condition, temperature, seed, seed_offset, return_logits=False):
        """`(batch, height, width)` int32 codes; the arguments are `PixelCNNPrior._reference_sample_loop`'s.

        With `return_logits`, `(codes, logits)`: the `(batch, height, width, K)` float32 logits each code was
        drawn from (before the temperature), what the full network gives on the returned codes.
        """
        num_embeddings = self.head[-1].filters
        height, width = self.grid_shape
        kernel_size = self.kernel_size
        pad = kernel_size // 2  # "same" padding of the masked convolutions
        dtype = self.code_embedding.compute_dtype
        class_condition = self.label_embedding(labels) if self.label_embedding is not None else None  # (batch, f)
        spatial_condition = (self.condition_network(condition) if self.condition_network is not None
                             else None)  # (batch, height, width, f)
        biases = [block.condition_biases(class_condition, spatial_condition) for block in self.blocks]
        # Layer l's inputs so far, zero-padded as "same" padding sees them: vertical stack over the whole grid
        # (batch, height + 2 pad, width + 2 pad, channels), horizontal stack over the current row (batch, 1, ...).
        channels = [self.code_embedding.output_dim] + [block.filters for block in self.blocks[:-1]]
        vertical_inputs = [tf.zeros((batch_size, height + 2 * pad, width + 2 * pad, c), dtype) for c in channels]
        row_masks = tf.one_hot(tf.range(height) + pad, height + 2 * pad, dtype=dtype)[:, None, :, None, None]
        column_masks = tf.one_hot(tf.range(width) + pad, width + 2 * pad, dtype=dtype)[:, None, None, :, None]

        def row_step(row, codes, all_logits, vertical_inputs):
            # The vertical stack at this row sees only rows above it (already drawn): compute it once for the row.
            vertical_inputs = list(vertical_inputs)
            links = []  # per layer: the vertical stack's contribution to the horizontal stack, (batch, 1, width, 2f)
            for index, block in enumerate(self.blocks):
                window = _slice(vertical_inputs[index], 1, row, kernel_size)  # (batch, k, width + 2 pad, c)
                features = block.vertical_conv.call_window(window)  # (batch, 1, width, 2f)
                links.append(block.vertical_to_horizontal(features))
                if index + 1 < len(self.blocks):
                    output = block.vertical_output(features, _row_of(biases[index][0], row))  # (batch, 1, width, f)
                    output = tf.pad(output, [[0, 0], [0, 0], [pad, pad], [0, 0]])
                    vertical_inputs[index + 1] += row_masks[row] * output  # written once: the row was zeros

            def column_step(col, codes, all_logits, horizontal_inputs):
                horizontal_inputs = list(horizontal_inputs)
                for index, block in enumerate(self.blocks):
                    window = _slice(horizontal_inputs[index], 2, col, kernel_size)  # (batch, 1, k, c)
                    features = block.horizontal_conv.call_window(window) + _slice(links[index], 2, col, 1)
                    output = block.horizontal_output(features, window[:, :, pad:pad + 1],
                                                     _position_of(biases[index][1], row, col))  # (batch, 1, 1, f)
                    if index + 1 < len(self.blocks):
                        horizontal_inputs[index + 1] += column_masks[col] * output
                for layer in self.head:
                    output = layer(output)
                logits = tf.cast(output[:, 0, 0, :], tf.float32)  # (batch, K)
                position = row * width + col
                drawn = tf.random.stateless_categorical(
                    logits / temperature, 1, seed=tf.stack([seed, seed_offset + position]), dtype=tf.int32)[:, 0]
                at_position = tf.reshape(tf.one_hot(position, height * width, dtype=tf.int32), (1, height, width))
                codes = codes + at_position * drawn[:, None, None]  # (batch, height, width)
                if return_logits:
                    all_logits += tf.cast(at_position, tf.float32)[..., None] * logits[:, None, None, :]
                embedded = self.code_embedding(drawn)[:, None, None, :]  # (batch, 1, 1, f)
                horizontal_inputs[0] += column_masks[col] * embedded
                return col + 1, codes, all_logits, horizontal_inputs

            horizontal_inputs = [tf.zeros((batch_size, 1, width + 2 * pad, c), dtype) for c in channels]
            _, codes, all_logits, horizontal_inputs = tf.while_loop(
                lambda col, *_: col < width, column_step, (tf.constant(0), codes, all_logits, horizontal_inputs))
            # The row's codes, embedded, are the first layer's input for the rows below.
            vertical_inputs[0] += row_masks[row] * horizontal_inputs[0]
            return row + 1, codes, all_logits, vertical_inputs

        codes = tf.zeros((batch_size, height, width), tf.int32)
        # A scalar placeholder unless asked for: the loop then carries no logits grid.
        all_logits = tf.zeros((batch_size, height, width, num_embeddings) if return_logits else (), tf.float32)
        _, codes, all_logits, _ = tf.while_loop(
            lambda row, *_: row < height, row_step, (tf.constant(0), codes, all_logits, vertical_inputs))
        return (codes, all_logits) if return_logits else codes


def _count_blocks(network):
    return sum(isinstance(layer, GatedPixelCNNBlock) for layer in network.layers)


def _row_of(bias, row):
    """A conditioning bias (0, (batch, 1, 1, c) or (batch, height, width, c)) at one row: (batch, 1, 1 or width, c)."""
    if isinstance(bias, float) or bias.shape[1] == 1:
        return bias
    return _slice(bias, 1, row, 1)


def _position_of(bias, row, col):
    """A conditioning bias at one position: 0 or (batch, 1, 1, c)."""
    if isinstance(bias, float) or bias.shape[1] == 1:
        return bias
    return _slice(_slice(bias, 1, row, 1), 2, col, 1)


def _slice(tensor, axis, start, size):
    """`tensor[..., start:start + size, ...]` along `axis`, with a tensor `start` and a static result shape."""
    begin = [0] * len(tensor.shape)
    begin[axis] = start
    sizes = [-1 if d is None else int(d) for d in tensor.shape]
    sizes[axis] = size
    return tf.slice(tensor, tf.stack(begin), sizes)


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
        self.cached_sampler = CachedSampler.for_network(network)  # None: sampled the plain way
        self._sample_functions = {
            "reference": tf.function(self._reference_sample_loop, reduce_retracing=True),
            "cached": (tf.function(self.cached_sampler.sample, reduce_retracing=True)
                       if self.cached_sampler is not None else None),
        }
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

    def sample(self, num_samples=None, labels=None, condition=None, temperature=1.0, seed=0, seed_offset=0,
               method="auto"):
        """Draws code grids autoregressively, one position per step, the whole batch at once.

        Args:
            num_samples: batch size when there is no `labels`/`condition` to take it from.
            labels: `(batch,)` int class labels (class-conditional priors).
            condition: `(batch, h, w)` int conditioning codes (grid-conditional priors).
            temperature: > 0; logits are divided by it (< 1 sharpens, > 1 flattens).
            seed: integer (or int32 scalar tensor); the same seed gives the same codes.
            seed_offset: shifts the random stream, so two priors sampled with one seed are independent.
            method: "cached" computes each layer at each position once (`CachedSampler`; networks from
                `build_pixelcnn_prior_network`), "reference" runs the whole network at every position (the
                plain definition; same codes, H*W times the work), "auto" the cached one when the network allows.

        Returns:
            `(batch, height, width)` int32 codes.
        """
        if method not in ("auto", "cached", "reference"):
            raise ValueError(f"`method` must be 'auto', 'cached' or 'reference'. Received: method={method!r}")
        if method == "cached" and self.cached_sampler is None:
            raise ValueError("`method='cached'` needs a network built by `build_pixelcnn_prior_network`. "
                             f"Received: method={method!r} for network {self.network.name!r}")
        if method == "auto":
            method = "reference" if self.cached_sampler is None else "cached"
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
        return self._sample_functions[method](
            batch_size, labels, condition, tf.cast(temperature, tf.float32), tf.cast(seed, tf.int32),
            tf.cast(seed_offset, tf.int32),
        )

    def _reference_sample_loop(self, batch_size, labels, condition, temperature, seed, seed_offset):
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
