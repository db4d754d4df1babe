"""VQ-VAE-2: a two-level hierarchy of discrete code grids, and its PixelCNN priors.

Grid sizes. The paper maps 256x256 images to a 64x64 bottom grid (stride 4) and a 32x32 top grid (stride 8).
For 28x28 MNIST a stride of 8 does not divide 28, so this implementation uses strides 2 and 4: 28x28 images
-> a 14x14 bottom grid -> a 7x7 top grid (16x16 -> 8x8 -> 4x4 for the synthetic test set). No padding is
needed; any image whose height and width are divisible by 4 works. The 7x7 top grid holds the global
shape of the digit, the 14x14 bottom grid the strokes.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_gen.layers.vector_quantizer import VectorQuantizer
from keras_gen.models.pixelcnn import PixelCNNPrior, build_pixelcnn_prior_network
from keras_gen.utils.distribute import dense_gradients, per_replica_loss


def _residual_stack(x, channels, residual_channels, num_blocks, name):
    for index in range(num_blocks):
        h = keras.layers.ReLU(name=f"{name}_res{index}_relu1")(x)
        h = keras.layers.Conv2D(residual_channels, 3, padding="same", name=f"{name}_res{index}_conv1")(h)
        h = keras.layers.ReLU(name=f"{name}_res{index}_relu2")(h)
        h = keras.layers.Conv2D(channels, 1, name=f"{name}_res{index}_conv2")(h)
        x = keras.layers.Add(name=f"{name}_res{index}_add")([x, h])
    return keras.layers.ReLU(name=f"{name}_res_out")(x)


def build_bottom_encoder(image_shape, channels=64, residual_channels=32, num_residual_blocks=2, name="bottom_encoder"):
    """Images (H, W, C) -> features (H/2, W/2, channels)."""
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Conv2D(channels // 2, 4, strides=2, padding="same", activation="relu", name=f"{name}_conv1")(images)
    x = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(x)
    x = _residual_stack(x, channels, residual_channels, num_residual_blocks, name)
    return keras.Model(images, x, name=name)


def build_top_encoder(feature_shape, embedding_dim, channels=64, residual_channels=32, num_residual_blocks=2,
                      name="top_encoder"):
    """Bottom features (H/2, W/2, F) -> top encodings (H/4, W/4, embedding_dim)."""
    features = keras.Input(feature_shape, name="bottom_features")
    x = keras.layers.Conv2D(channels, 4, strides=2, padding="same", activation="relu", name=f"{name}_conv1")(features)
    x = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(x)
    x = _residual_stack(x, channels, residual_channels, num_residual_blocks, name)
    z = keras.layers.Conv2D(embedding_dim, 1, name=f"{name}_pre_quantize")(x)
    return keras.Model(features, z, name=name)


def build_bottom_conditioner(feature_shape, top_shape, embedding_dim, channels=64, residual_channels=32,
                             num_residual_blocks=1, name="bottom_conditioner"):
    """[bottom features (H/2, W/2, F), quantized top (H/4, W/4, D)] -> bottom encodings (H/2, W/2, D).

    The top codes are decoded to the bottom resolution and concatenated with the bottom features, so the
    bottom level only has to encode what the top level has not (the paper's Fig. 2a).
    """
    features = keras.Input(feature_shape, name="bottom_features")
    top = keras.Input(top_shape, name="top_quantized")
    t = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_top_conv")(top)
    t = _residual_stack(t, channels, residual_channels, num_residual_blocks, f"{name}_top")
    t = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same", name=f"{name}_top_upsample")(t)
    x = keras.layers.Concatenate(name=f"{name}_concat")([features, t])  # (batch, H/2, W/2, F + channels)
    z = keras.layers.Conv2D(embedding_dim, 1, name=f"{name}_pre_quantize")(x)
    return keras.Model([features, top], z, name=name)


def build_decoder(top_shape, bottom_shape, image_channels, channels=64, residual_channels=32, num_residual_blocks=2,
                  name="decoder"):
    """[quantized top (H/4, W/4, D), quantized bottom (H/2, W/2, D)] -> images (H, W, C), unbounded.

    The output is linear (the model clips it to [0, 1] at inference): with a sigmoid output the MSE gradient
    vanishes on MNIST's saturated pixels and training sits on the mean image long enough for the commitment
    loss to collapse both codebooks to one code each.
    """
    top = keras.Input(top_shape, name="top_quantized")
    bottom = keras.Input(bottom_shape, name="bottom_quantized")
    t = keras.layers.Conv2DTranspose(top_shape[-1], 4, strides=2, padding="same", name=f"{name}_top_upsample")(top)
    x = keras.layers.Concatenate(name=f"{name}_concat")([t, bottom])  # (batch, H/2, W/2, 2D)
    x = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(x)
    x = _residual_stack(x, channels, residual_channels, num_residual_blocks, name)
    x = keras.layers.Conv2DTranspose(channels // 2, 4, strides=2, padding="same", activation="relu",
                                     name=f"{name}_upsample")(x)
    images = keras.layers.Conv2D(image_channels, 3, padding="same", name=f"{name}_out")(x)
    return keras.Model([top, bottom], images, name=name)


@keras.saving.register_keras_serializable(package="keras_gen")
class VQVAE2(keras.Model):
    """Two-level VQ-VAE: top codes on a coarse grid, bottom codes on a fine grid conditioned on the top.

    Args:
        bottom_encoder: images -> bottom features (`build_bottom_encoder`).
        top_encoder: bottom features -> top encodings (`build_top_encoder`).
        bottom_conditioner: [bottom features, quantized top] -> bottom encodings (`build_bottom_conditioner`).
        decoder: [quantized top, quantized bottom] -> images (`build_decoder`; linear output, clipped to
            [0, 1] by `call` and `decode_indices`).
        top_quantizer, bottom_quantizer: `VectorQuantizer` layers for each level.
        data_variance: pixel variance of the training images; the reconstruction MSE is divided by it (as in
            the VQ-VAE reference code), so its weight against the commitment loss does not depend on the
            dataset's contrast. With 1.0 on MNIST (variance ~0.1) the commitment loss wins, the encodings
            shrink to one code and the model collapses to the mean image.

    The loss is `mse(images, reconstruction) / data_variance + codebook losses + commitment losses` (codebook
    losses are 0 with EMA codebooks); each term and each level's perplexity and usage are tracked separately.
    `reconstruction_loss` is logged as the plain MSE.

    Reference:
        Razavi et al. 2019, "Generating Diverse High-Fidelity Images with VQ-VAE-2",
        https://arxiv.org/abs/1906.00446.
    """

    def __init__(self, bottom_encoder, top_encoder, bottom_conditioner, decoder, top_quantizer, bottom_quantizer,
                 data_variance=1.0, **kwargs):
        super().__init__(**kwargs)
        if not data_variance > 0:
            raise ValueError(f"`data_variance` must be > 0. Received: data_variance={data_variance!r}")
        self.data_variance = float(data_variance)
        self.bottom_encoder = bottom_encoder
        self.top_encoder = top_encoder
        self.bottom_conditioner = bottom_conditioner
        self.decoder = decoder
        self.top_quantizer = top_quantizer
        self.bottom_quantizer = bottom_quantizer
        self.image_shape = tuple(int(d) for d in bottom_encoder.input.shape[1:])
        top_encodings_shape = top_encoder.output.shape
        bottom_encodings_shape = bottom_conditioner.output.shape
        self.top_grid_shape = tuple(int(d) for d in top_encodings_shape[1:3])
        self.bottom_grid_shape = tuple(int(d) for d in bottom_encodings_shape[1:3])
        # Built here (their weights depend only on their own config), so a reloaded model can take its weights.
        for quantizer, shape in ((top_quantizer, top_encodings_shape), (bottom_quantizer, bottom_encodings_shape)):
            if not quantizer.built:
                quantizer.build(shape)
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("loss", "reconstruction_loss", "codebook_loss", "commitment_loss",
                         "top_perplexity", "bottom_perplexity", "top_usage", "bottom_usage")
        }
        # Every weight exists now (functional networks, quantizers built above): loading can restore the
        # optimizer state before any call.
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _forward(self, images, training=False):
        features = self.bottom_encoder(images, training=training)  # (batch, H/2, W/2, F)
        top = self.top_quantizer(self.top_encoder(features, training=training), training=training)
        bottom_encodings = self.bottom_conditioner([features, top["quantized"]], training=training)
        bottom = self.bottom_quantizer(bottom_encodings, training=training)
        # float32 out whatever the compute policy: losses and exports work in float32.
        reconstruction = ops.cast(self.decoder([top["quantized"], bottom["quantized"]], training=training), "float32")
        return reconstruction, top, bottom

    def call(self, images, training=False):
        """Images -> reconstructions in [0, 1] (through both code grids)."""
        return ops.clip(self._forward(images, training=training)[0], 0.0, 1.0)

    def encode(self, images):
        """Images `(batch, H, W, C)` in [0, 1] -> `(top_indices (batch, H/4, W/4), bottom_indices (batch, H/2, W/2))`."""
        _, top, bottom = self._forward(images, training=False)
        return top["indices"], bottom["indices"]

    def decode_indices(self, top_indices, bottom_indices):
        """Code grids -> images `(batch, H, W, C)` in [0, 1]."""
        top = self.top_quantizer.lookup(top_indices)  # (batch, H/4, W/4, D)
        bottom = self.bottom_quantizer.lookup(bottom_indices)  # (batch, H/2, W/2, D)
        return ops.clip(ops.cast(self.decoder([top, bottom], training=False), "float32"), 0.0, 1.0)

    def _loss_values(self, images, training):
        images = ops.cast(images, "float32")
        reconstruction, top, bottom = self._forward(images, training=training)
        reconstruction_loss = ops.mean(ops.square(images - reconstruction))
        codebook_loss = top["codebook_loss"] + bottom["codebook_loss"]
        commitment_loss = top["commitment_loss"] + bottom["commitment_loss"]
        values = {
            "loss": reconstruction_loss / self.data_variance + codebook_loss + commitment_loss,
            "reconstruction_loss": reconstruction_loss,
            "codebook_loss": codebook_loss,
            "commitment_loss": commitment_loss,
            "top_perplexity": top["perplexity"],
            "bottom_perplexity": bottom["perplexity"],
            "top_usage": top["usage"],
            "bottom_usage": bottom["usage"],
        }
        return values

    def _record(self, values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            values = self._loss_values(images, training=True)
            scaled_loss = self.optimizer.scale_loss(per_replica_loss(values["loss"]))
        gradients = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self._record(values)

    def test_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        return self._record(self._loss_values(images, training=False))

    def get_config(self):
        config = {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in ("bottom_encoder", "top_encoder", "bottom_conditioner", "decoder", "top_quantizer",
                         "bottom_quantizer")
        }
        config["data_variance"] = self.data_variance
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("bottom_encoder", "top_encoder", "bottom_conditioner", "decoder", "top_quantizer",
                     "bottom_quantizer"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def build_vqvae2(
    image_shape,
    channels=64,
    residual_channels=32,
    num_residual_blocks=2,
    embedding_dim=32,
    top_num_embeddings=128,
    bottom_num_embeddings=128,
    beta=0.25,
    use_ema=True,
    decay=0.99,
    restart_threshold=0.03,
    data_variance=1.0,
    seed=0,
):
    """A `VQVAE2` with the default networks. Image height and width must be divisible by 4."""
    height, width, image_channels = image_shape
    if height % 4 or width % 4:
        raise ValueError(
            f"VQ-VAE-2 downsamples by 2 (bottom grid) and 4 (top grid): image height and width must be "
            f"divisible by 4. Received: image_shape={tuple(image_shape)}"
        )
    if channels < 2 or channels % 2:
        raise ValueError(f"`channels` must be an even integer >= 2. Received: channels={channels!r}")
    feature_shape = (height // 2, width // 2, channels)
    top_shape = (height // 4, width // 4, embedding_dim)
    bottom_shape = (height // 2, width // 2, embedding_dim)
    quantizer_args = dict(embedding_dim=embedding_dim, beta=beta, use_ema=use_ema, decay=decay,
                          restart_threshold=restart_threshold)
    return VQVAE2(
        bottom_encoder=build_bottom_encoder(image_shape, channels, residual_channels, num_residual_blocks),
        top_encoder=build_top_encoder(feature_shape, embedding_dim, channels, residual_channels, num_residual_blocks),
        bottom_conditioner=build_bottom_conditioner(feature_shape, top_shape, embedding_dim, channels,
                                                    residual_channels),
        decoder=build_decoder(top_shape, bottom_shape, image_channels, channels, residual_channels,
                              num_residual_blocks),
        top_quantizer=VectorQuantizer(top_num_embeddings, seed=seed, name="top_quantizer", **quantizer_args),
        bottom_quantizer=VectorQuantizer(bottom_num_embeddings, seed=seed + 1, name="bottom_quantizer",
                                         **quantizer_args),
        data_variance=data_variance,
        name="vqvae2",
    )


@keras.saving.register_keras_serializable(package="keras_gen")
class VQVAE2Prior(keras.Model):
    """Stage 2 of VQ-VAE-2: PixelCNN priors over a trained (frozen) `VQVAE2`'s code grids.

    The top prior models p(top codes | label); the bottom prior p(bottom codes | top codes[, label]). `fit` takes
    `(images, labels)` batches, encodes them with the frozen VQ-VAE-2 and trains both priors on the codes
    with categorical cross-entropy. `generate` samples top codes, then bottom codes, then decodes them.

    Args:
        vqvae: a trained `VQVAE2` (frozen here).
        top_prior: a `PixelCNNPrior` over the top grid, optionally class-conditional.
        bottom_prior: a `PixelCNNPrior` over the bottom grid conditioned on the top codes.
    """

    def __init__(self, vqvae, top_prior, bottom_prior, **kwargs):
        super().__init__(**kwargs)
        if top_prior.grid_shape != vqvae.top_grid_shape or bottom_prior.grid_shape != vqvae.bottom_grid_shape:
            raise ValueError(
                f"Prior grids must match the VQ-VAE-2 grids {vqvae.top_grid_shape} and {vqvae.bottom_grid_shape}. "
                f"Received: top grid={top_prior.grid_shape}, bottom grid={bottom_prior.grid_shape}"
            )
        if not bottom_prior.conditional_on_grid:
            raise ValueError("The bottom prior must take the top codes as `condition`. Received: bottom_prior without it")
        self.vqvae = vqvae
        self.vqvae.trainable = False
        self.top_prior = top_prior
        self.bottom_prior = bottom_prior
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "top_loss", "bottom_loss")}
        self.built = True  # all weights live in the (built) sub-models

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def class_conditional(self):
        return self.top_prior.conditional_on_labels

    @property
    def num_classes(self):
        return self.top_prior.num_classes

    def _codes(self, data):
        images, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        if self.class_conditional and labels is None:
            raise ValueError("The top prior is class-conditional: train on (images, labels). Received: labels=None")
        top_indices, bottom_indices = self.vqvae.encode(images)
        top_inputs = {"codes": top_indices}
        bottom_inputs = {"codes": bottom_indices, "condition": top_indices}
        if self.class_conditional:
            top_inputs["labels"] = ops.cast(labels, "int32")
        if self.bottom_prior.conditional_on_labels:
            bottom_inputs["labels"] = ops.cast(labels, "int32")
        return top_inputs, bottom_inputs

    def call(self, inputs, training=False):
        """`(images, labels)` -> `{"top_logits", "bottom_logits"}` of the priors on the images' codes."""
        top_inputs, bottom_inputs = self._codes(inputs)
        return {
            "top_logits": self.top_prior(top_inputs, training=training),
            "bottom_logits": self.bottom_prior(bottom_inputs, training=training),
        }

    def _loss_values(self, data, training):
        top_inputs, bottom_inputs = self._codes(data)
        top_loss = self.top_prior.compute_loss_value(top_inputs, training=training)
        bottom_loss = self.bottom_prior.compute_loss_value(bottom_inputs, training=training)
        return {"loss": top_loss + bottom_loss, "top_loss": top_loss, "bottom_loss": bottom_loss}

    def _record(self, values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        weights = self.top_prior.trainable_weights + self.bottom_prior.trainable_weights
        with tf.GradientTape() as tape:
            values = self._loss_values(data, training=True)
            scaled_loss = self.optimizer.scale_loss(per_replica_loss(values["loss"]))
        gradients = dense_gradients(tape.gradient(scaled_loss, weights))
        self.optimizer.apply_gradients(zip(gradients, weights))
        return self._record(values)

    def test_step(self, data):
        return self._record(self._loss_values(data, training=False))

    def sample_codes(self, num_samples=None, labels=None, temperature=1.0, seed=0, method="auto"):
        """-> `(top_indices, bottom_indices)`; `labels` (batch,) for a class-conditional top prior. `method` is
        `PixelCNNPrior.sample`'s ("auto": each prior's cached sampler; "reference": the full-grid one)."""
        if labels is not None and not self.class_conditional:
            num_samples, labels = tf.shape(labels)[0], None  # unconditional: only the count matters
        top_indices = self.top_prior.sample(num_samples, labels=labels, temperature=temperature, seed=seed,
                                            method=method)
        height, width = self.top_prior.grid_shape
        bottom_indices = self.bottom_prior.sample(
            condition=top_indices, labels=labels if self.bottom_prior.conditional_on_labels else None,
            temperature=temperature, seed=seed, seed_offset=height * width, method=method,
        )
        return top_indices, bottom_indices

    def generate(self, num_samples=None, labels=None, temperature=1.0, seed=0, method="auto"):
        """Samples images `(batch, H, W, C)` in [0, 1]: top codes, then bottom codes, then the decoder."""
        top_indices, bottom_indices = self.sample_codes(num_samples, labels, temperature, seed, method)
        return self.vqvae.decode_indices(top_indices, bottom_indices)

    def get_config(self):
        config = {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in ("vqvae", "top_prior", "bottom_prior")
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("vqvae", "top_prior", "bottom_prior"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def build_vqvae2_prior(vqvae, num_classes=None, filters=64, num_layers=6, bottom_filters=None, bottom_num_layers=None,
                       kernel_size=3, bottom_class_conditional=True):
    """Priors for a trained `vqvae`: a (class-conditional when `num_classes`) top PixelCNN and a bottom
    PixelCNN conditioned on the top codes, and on the class too when `bottom_class_conditional`.

    The paper conditions only the top prior on the class (its 32x32 top grid holds the object's identity). On
    28x28 digits the 7x7 top grid uses few codes and much of the digit's identity lives in the 14x14 bottom
    grid: with a bottom prior that only sees the top codes, class-conditional samples came out at chance-level
    label accuracy, so the bottom prior sees the label as well by default."""
    top_network = build_pixelcnn_prior_network(
        vqvae.top_grid_shape, vqvae.top_quantizer.num_embeddings, filters, num_layers, kernel_size,
        num_classes=num_classes, name="top_prior",
    )
    bottom_network = build_pixelcnn_prior_network(
        vqvae.bottom_grid_shape, vqvae.bottom_quantizer.num_embeddings, bottom_filters or filters,
        bottom_num_layers or num_layers, kernel_size, condition_grid_shape=vqvae.top_grid_shape,
        condition_num_embeddings=vqvae.top_quantizer.num_embeddings,
        num_classes=num_classes if bottom_class_conditional else None, name="bottom_prior",
    )
    return VQVAE2Prior(vqvae, PixelCNNPrior(top_network, name="top_prior_model"),
                       PixelCNNPrior(bottom_network, name="bottom_prior_model"), name="vqvae2_prior")
