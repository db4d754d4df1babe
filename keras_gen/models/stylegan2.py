"""StyleGAN2: mapping network, style-modulated skip generator, residual discriminator, and its trainer.

    mapping:    z (+ label embedding) -> pixel norm -> `mapping_layers` equalized dense (lr x 0.01) -> w
    synthesis:  ws (batch, num_ws, w_dim) -> learned 4x4 constant -> per resolution: [upsampling] modulated
                convs with noise, and a toRGB whose output is added to the upsampled image so far (skip)
    discriminator: fromRGB -> residual blocks halving the resolution -> minibatch stddev -> conv -> dense -> logit
                (class-conditional: projection onto a label embedding)

Reference: Karras et al., "Analyzing and Improving the Image Quality of StyleGAN" (https://arxiv.org/abs/1912.04958);
the lazy-regularization and EMA settings follow the authors' StyleGAN2-ADA code.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from keras_gen.layers.equalized import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm
from keras_gen.layers.style import BiasActivation, ConstantInput, ModulatedConv2D, NoiseInjection
from keras_gen.losses import gan as gan_losses
from keras_gen.losses.regularizers import path_length_penalty, path_lengths, r1_penalty
from keras_gen.models.adversarial import AdversarialModel
from keras_gen.models.ema import copy_network, ema_decay, update_ema
from keras_gen.utils.distribute import dense_gradients, per_replica_loss, replica_draw
from keras_gen.utils.labels import check_labels


def _check_resolution(resolution):
    if not isinstance(resolution, int) or resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"`resolution` must be a power of two >= 4. Received: resolution={resolution!r}")
    return int(math.log2(resolution))


def channels_at(resolution, channel_base, channel_max):
    """Feature maps at a resolution: `min(channel_base // resolution, channel_max)` (fewer at higher resolutions)."""
    return max(1, min(channel_base // resolution, channel_max))


def num_ws_for(resolution):
    """Per-layer latents of the synthesis network: one per conv (1 at 4x4, 2 per doubling) plus the last toRGB."""
    return 2 * _check_resolution(resolution) - 2


def _label_embedding(labels, num_classes, dim, name):
    """One-hot labels through an equalized dense layer (StyleGAN2-ADA's embedding). Not `keras.layers.Embedding`:
    its sparse gradient cannot pass the lazy regularizers' `tf.cond` under XLA."""
    one_hot = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name=f"{name}_one_hot")(labels)
    return EqualizedDense(dim, use_bias=False, name=name)(one_hot)


def build_mapping_network(z_dim, w_dim, num_layers=8, lr_multiplier=0.01, num_classes=None, name="mapping"):
    """`z` (and int `labels`) -> `w (batch, w_dim)`. A label is embedded, normalized and concatenated with the
    normalized `z` (StyleGAN2-ADA's conditioning)."""
    z = keras.Input((z_dim,), name=f"{name}_z")
    x = PixelNorm(name=f"{name}_normalize_z")(z)
    inputs = [z]
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name=f"{name}_labels")
        inputs.append(labels)
        embedded = _label_embedding(labels, num_classes, w_dim, f"{name}_label_embedding")
        embedded = PixelNorm(name=f"{name}_normalize_label")(embedded)
        x = keras.layers.Concatenate(name=f"{name}_concat")([x, embedded])
    for index in range(num_layers):
        x = EqualizedDense(w_dim, activation="lrelu", lr_multiplier=lr_multiplier, name=f"{name}_dense{index}")(x)
    return keras.Model(inputs if len(inputs) > 1 else z, x, name=name)


def build_synthesis_network(resolution, w_dim, channels=1, channel_base=2048, channel_max=128, seed=None,
                            name="synthesis"):
    """`ws (batch, num_ws, w_dim)` -> images `(batch, resolution, resolution, channels)` in about [-1, 1].

    Layer `i` reads row `i` of `ws` (the toRGB of each resolution shares its row with the next conv, as in the
    paper), so the first rows style the coarse resolutions.
    """
    log2 = _check_resolution(resolution)
    num_ws = num_ws_for(resolution)
    ws = keras.Input((num_ws, w_dim), name=f"{name}_ws")
    seeds = iter(range(0 if seed is None else seed * 1000, 10 ** 9))

    def styled_conv(x, filters, index, tag, upsample=False):
        x = ModulatedConv2D(filters, 3, w_index=index, upsample=upsample, name=f"{name}_{tag}")([x, ws])
        x = NoiseInjection(seed=next(seeds), name=f"{name}_{tag}_noise")(x)
        return BiasActivation("lrelu", name=f"{name}_{tag}_bias")(x)

    def to_rgb(x, index, tag):
        rgb = ModulatedConv2D(channels, 1, w_index=index, demodulate=False, name=f"{name}_{tag}_torgb")([x, ws])
        return BiasActivation(None, name=f"{name}_{tag}_torgb_bias")(rgb)

    x = ConstantInput(channels_at(4, channel_base, channel_max), name=f"{name}_constant")(ws)
    x = styled_conv(x, channels_at(4, channel_base, channel_max), 0, "4x4_conv")
    image = to_rgb(x, 1, "4x4")
    index = 1
    for level in range(3, log2 + 1):
        size = 2 ** level
        filters = channels_at(size, channel_base, channel_max)
        x = styled_conv(x, filters, index, f"{size}x{size}_conv0", upsample=True)
        x = styled_conv(x, filters, index + 1, f"{size}x{size}_conv1")
        index += 2
        image = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_{size}x{size}_skip_up")(image)
        image = keras.layers.Add(name=f"{name}_{size}x{size}_skip")([image, to_rgb(x, index, f"{size}x{size}")])
    image = keras.layers.Activation("linear", dtype="float32", name=f"{name}_images")(image)
    return keras.Model(ws, image, name=name)


def build_residual_discriminator(resolution, channels=1, channel_base=2048, channel_max=128, num_classes=None,
                                 mbstd_group_size=4, name="discriminator"):
    """Images (and int labels) -> one logit per image: StyleGAN2's residual discriminator."""
    log2 = _check_resolution(resolution)
    images = keras.Input((resolution, resolution, channels), name=f"{name}_images")
    x = EqualizedConv2D(channels_at(resolution, channel_base, channel_max), 1, activation="lrelu",
                        name=f"{name}_fromrgb")(images)
    for level in range(log2, 2, -1):
        size = 2 ** level
        filters, down_filters = channels_at(size, channel_base, channel_max), channels_at(size // 2, channel_base, channel_max)
        skip = keras.layers.AveragePooling2D(2, name=f"{name}_{size}x{size}_skip_down")(x)
        skip = EqualizedConv2D(down_filters, 1, use_bias=False, name=f"{name}_{size}x{size}_skip")(skip)
        x = EqualizedConv2D(filters, 3, activation="lrelu", name=f"{name}_{size}x{size}_conv0")(x)
        x = keras.layers.AveragePooling2D(2, name=f"{name}_{size}x{size}_down")(x)
        x = EqualizedConv2D(down_filters, 3, activation="lrelu", name=f"{name}_{size}x{size}_conv1")(x)
        # 1/sqrt(2): the sum of two unit-variance branches keeps unit variance
        x = keras.layers.Add(name=f"{name}_{size}x{size}_residual")([x, skip])
        x = keras.layers.Rescaling(1.0 / math.sqrt(2.0), name=f"{name}_{size}x{size}_scale")(x)
    filters = channels_at(4, channel_base, channel_max)
    x = MinibatchStdDev(mbstd_group_size, name=f"{name}_mbstd")(x)
    x = EqualizedConv2D(filters, 3, activation="lrelu", name=f"{name}_4x4_conv")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = EqualizedDense(filters, activation="lrelu", name=f"{name}_4x4_dense")(x)
    inputs = images
    if num_classes is None:
        logits = EqualizedDense(1, name=f"{name}_logit")(x)
    else:
        # Projection discriminator: the logit is the features' inner product with the label's embedding.
        labels = keras.Input((), dtype="int32", name=f"{name}_labels")
        inputs = [images, labels]
        features = EqualizedDense(filters, name=f"{name}_projection")(x)
        embedded = _label_embedding(labels, num_classes, filters, f"{name}_label_embedding")
        projected = keras.layers.Dot(axes=1, name=f"{name}_project")([features, embedded])
        logits = keras.layers.Rescaling(1.0 / math.sqrt(filters), name=f"{name}_project_scale")(projected)
    logits = keras.layers.Activation("linear", dtype="float32", name=f"{name}_logits")(logits)
    return keras.Model(inputs, logits, name=name)


def truncate(ws, w_avg, psi, cutoff=None):
    """`w_avg + psi (w - w_avg)` on the rows before `cutoff` (all rows when None): the truncation trick.

    Args:
        ws: `(batch, num_ws, w_dim)`.
        w_avg: `(w_dim,)` the tracked average of w.
        psi: scalar; 1 leaves ws as they are, 0 gives w_avg.
        cutoff: number of leading (coarse) rows to truncate, or None for all.
    """
    num_ws = ws.shape[1]
    psi = ops.cast(psi, ws.dtype)
    truncated = w_avg + psi * (ws - w_avg)
    if cutoff is None or cutoff >= num_ws:
        return truncated
    rows = ops.arange(num_ws)[None, :, None] < cutoff  # (1, num_ws, 1)
    return ops.where(rows, truncated, ws)


def mix_rows(ws_a, ws_b, crossover):
    """Rows `< crossover` from `ws_a` (coarse styles), the rest from `ws_b` (fine styles). `crossover` may be a
    scalar or a `(batch,)` tensor."""
    num_ws = ws_a.shape[1]
    crossover = ops.reshape(ops.cast(crossover, "int32"), (-1, 1, 1))
    return ops.where(ops.arange(num_ws, dtype="int32")[None, :, None] < crossover, ws_a, ws_b)


@keras.saving.register_keras_serializable(package="keras_gen")
class StyleGAN2(AdversarialModel):
    """StyleGAN2 training: non-saturating logistic loss, lazy R1 and path-length regularization, style mixing,
    tracked w average, and an exponential moving average of the generator used for sampling and export.

    Args:
        mapping: `z [, labels] -> w` (`build_mapping_network`).
        synthesis: `ws (batch, num_ws, w_dim) -> images` (`build_synthesis_network`).
        discriminator: `images [, labels] -> logits`.
        num_classes: classes of a class-conditional model, or None.
        style_mixing_prob: probability that a batch uses two latents with a random crossover row.
        r1_gamma: R1 weight gamma (the loss adds gamma / 2 times the penalty).
        r1_interval: discriminator steps between R1 evaluations (lazy regularization; 0 turns R1 off).
        pl_weight: path-length weight (0 turns it off).
        pl_interval: generator steps between path-length evaluations.
        pl_decay: decay of the running mean path length.
        pl_batch_shrink: the path-length batch is the batch divided by this.
        w_avg_beta: the tracked w average moves `1 - w_avg_beta` toward each batch's mean w.
        ema_images: half-life, in training images, of the generator EMA.
        ema_rampup: the half-life is at most this fraction of the images seen so far (None: no ramp-up).
        truncation_cutoff: rows the truncation trick applies to (None: all).
        source_shape: shape of the dataset's images, when the model works at a padded/resized resolution.
        seed: seed of the latents, mixing and path-length draws.

    Reference: https://arxiv.org/abs/1912.04958.
    """

    def __init__(self, mapping, synthesis, discriminator, num_classes=None, style_mixing_prob=0.9, r1_gamma=10.0,
                 r1_interval=16, pl_weight=2.0, pl_interval=4, pl_decay=0.01, pl_batch_shrink=2, w_avg_beta=0.995,
                 ema_images=10_000, ema_rampup=0.05, truncation_cutoff=None, source_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"`num_classes` must be a positive integer or None. Received: num_classes={num_classes!r}")
        if not 0.0 <= style_mixing_prob <= 1.0:
            raise ValueError(f"`style_mixing_prob` must be in [0, 1]. Received: style_mixing_prob={style_mixing_prob!r}")
        for name, value in (("r1_gamma", r1_gamma), ("pl_weight", pl_weight)):
            if not value >= 0:
                raise ValueError(f"`{name}` must be >= 0. Received: {name}={value!r}")
        for name, value in (("r1_interval", r1_interval), ("pl_interval", pl_interval)):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative integer (0: off). Received: {name}={value!r}")
        if not isinstance(pl_batch_shrink, int) or pl_batch_shrink < 1:
            raise ValueError(f"`pl_batch_shrink` must be a positive integer. Received: pl_batch_shrink={pl_batch_shrink!r}")
        if not ema_images > 0:
            raise ValueError(f"`ema_images` must be > 0. Received: ema_images={ema_images!r}")
        self.mapping = mapping
        self.synthesis = synthesis
        self.discriminator = discriminator
        self.num_ws = int(synthesis.input_shape[1])
        self.w_dim = int(synthesis.input_shape[2])
        self.z_dim = int((mapping.input_shape[0] if num_classes is not None else mapping.input_shape)[1])
        if truncation_cutoff is not None and (not isinstance(truncation_cutoff, int) or truncation_cutoff < 1):
            raise ValueError(f"`truncation_cutoff` must be a positive integer or None. "
                             f"Received: truncation_cutoff={truncation_cutoff!r}")
        self.num_classes = num_classes
        self.style_mixing_prob = float(style_mixing_prob)
        self.r1_gamma = float(r1_gamma)
        self.r1_interval = r1_interval
        self.pl_weight = float(pl_weight)
        self.pl_interval = pl_interval
        self.pl_decay = float(pl_decay)
        self.pl_batch_shrink = pl_batch_shrink
        self.w_avg_beta = float(w_avg_beta)
        self.ema_images = float(ema_images)
        self.ema_rampup = ema_rampup
        self.truncation_cutoff = truncation_cutoff
        self.source_shape = None if source_shape is None else tuple(int(d) for d in source_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_mapping = copy_network(mapping, f"ema_{mapping.name}")
        self.ema_synthesis = copy_network(synthesis, f"ema_{synthesis.name}")
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros", trainable=False)
        self.pl_mean = self.add_weight(name="pl_mean", shape=(), initializer="zeros", trainable=False)
        self.images_seen = self.add_weight(name="images_seen", shape=(), initializer="zeros", trainable=False)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_score_tracker = keras.metrics.Mean(name="real_logits")
        self.fake_score_tracker = keras.metrics.Mean(name="fake_logits")
        self.r1_tracker = keras.metrics.Mean(name="r1_penalty")
        self.pl_tracker = keras.metrics.Mean(name="pl_penalty")
        self.built = True

    @property
    def conditional(self):
        return self.num_classes is not None

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker, self.fake_score_tracker,
                self.r1_tracker, self.pl_tracker]

    @property
    def generator_weights(self):
        return self.mapping.trainable_variables + self.synthesis.trainable_variables

    @property
    def discriminator_weights(self):
        return self.discriminator.trainable_variables

    @property
    def resolution(self):
        return int(self.synthesis.output_shape[1])

    # ----------------------------------------------------------------------------------------------------------
    # inference (the EMA generator)

    def check_labels(self, labels, num_samples=None):
        if not self.conditional:
            if labels is not None:
                raise ValueError(f"This model is unconditional (num_classes=None); it takes no labels. Received: labels={labels!r}")
            return None
        if labels is None:
            raise ValueError(f"This model is conditional (num_classes={self.num_classes}); pass `labels`. Received: labels=None")
        return ops.convert_to_tensor(check_labels(ops.convert_to_numpy(labels), self.num_classes, count=num_samples))

    def sample_latent(self, num_samples, seed=None):
        """`(num_samples, z_dim)` standard normal z; an int `seed` gives the same batch every time."""
        seed = self.seed_generator if seed is None else seed
        return replica_draw(lambda s: keras.random.normal(s, seed=seed), (num_samples, self.z_dim))

    def map(self, z, labels=None, truncation=None, ema=True, training=False):
        """`z` -> `ws (batch, num_ws, w_dim)`, truncated toward the tracked average when `truncation` (psi) is set."""
        mapping = self.ema_mapping if ema else self.mapping
        z = ops.convert_to_tensor(z, "float32")
        labels = None if labels is None else ops.convert_to_tensor(labels, "int32")
        w = mapping(z if labels is None else [z, labels], training=training)
        ws = ops.repeat(ops.cast(w, "float32")[:, None, :], self.num_ws, axis=1)
        if truncation is not None:
            ws = truncate(ws, self.w_avg, truncation, self.truncation_cutoff)
        return ws

    def synthesize(self, ws, ema=True, training=False):
        """`ws (batch, num_ws, w_dim)` -> images in about [-1, 1]."""
        return (self.ema_synthesis if ema else self.synthesis)(ops.convert_to_tensor(ws, "float32"), training=training)

    def generate(self, z, labels=None, truncation=None):
        """Images of the EMA generator from latents `z` (and labels), with the truncation trick at `truncation`."""
        labels = self.check_labels(labels, num_samples=int(ops.shape(z)[0]))
        return self.synthesize(self.map(z, labels, truncation))

    def sample(self, num_samples, labels=None, seed=None, truncation=None):
        return self.generate(self.sample_latent(num_samples, seed=seed), labels, truncation)

    def call(self, inputs, training=False):
        """EMA generator inference: `z` or `[z, labels]` -> images."""
        z, labels = (inputs[0], inputs[1]) if isinstance(inputs, (list, tuple)) else (inputs, None)
        return self.synthesize(self.map(z, labels))

    # ----------------------------------------------------------------------------------------------------------
    # training

    def unpack_batch(self, data):
        if isinstance(data, (tuple, list)):
            data = [item for item in data if item is not None]
            if len(data) > 1:
                return ops.convert_to_tensor(data[0]), (ops.convert_to_tensor(data[1]) if self.conditional else None)
            data = data[0]
        if self.conditional:
            raise ValueError("A conditional StyleGAN2 trains on (images, labels) batches: load with `with_labels=True`.")
        return ops.convert_to_tensor(data), None

    def mixed_ws(self, batch_size, labels, update_w_avg=False):
        """Training latents: `ws` from the (non-EMA) mapping; with probability `style_mixing_prob` the rows from
        a random crossover on come from a second z."""
        def run_mapping(z):
            w = self.mapping(z if labels is None else [z, labels], training=True)
            return ops.repeat(ops.cast(w, "float32")[:, None, :], self.num_ws, axis=1)

        ws = run_mapping(self.sample_latent(batch_size))
        if update_w_avg:
            batch_mean = ops.mean(ws[:, 0], axis=0)
            self.w_avg.assign(batch_mean + self.w_avg_beta * (self.w_avg - batch_mean))
        if self.style_mixing_prob > 0 and self.num_ws > 1:
            crossover = keras.random.randint((), 1, self.num_ws, seed=self.seed_generator)
            mixing = keras.random.uniform((), seed=self.seed_generator) < self.style_mixing_prob
            crossover = ops.where(mixing, crossover, self.num_ws)
            ws = mix_rows(ws, run_mapping(self.sample_latent(batch_size)), crossover)
        return ws

    def _logits(self, images, labels, training=True):
        return self.discriminator(images if labels is None else [images, labels], training=training)

    def _due(self, optimizer, interval):
        """True on the steps where a lazy regularizer runs: every `interval`-th step of `optimizer`."""
        if not interval:
            return ops.convert_to_tensor(False)
        return ops.equal(ops.mod(optimizer.iterations, interval), 0)

    def lazy_regularizer(self, due, optimizer, weights, penalty_fn, weight):
        """`(penalty, gradients of weight * penalty)` when `due`, else zeros; `penalty_fn` runs in its own tape.

        The regularizer's gradients are taken inside the `tf.cond` branch and added to the main loss's: the
        gradient of a `tf.cond` itself (one tape around it) fails under XLA on the steps the branch is skipped.
        """
        def regularize():
            with tf.GradientTape() as tape:
                penalty = penalty_fn()
                scaled = optimizer.scale_loss(per_replica_loss(penalty * weight))
            gradients = dense_gradients(tape.gradient(scaled, weights))
            return [penalty] + [ops.zeros_like(w) if g is None else ops.cast(g, w.dtype)
                                for g, w in zip(gradients, weights)]

        def skip():
            return [tf.constant(0.0)] + [ops.zeros_like(w) for w in weights]

        penalty, *gradients = tf.cond(due, regularize, skip)
        return penalty, gradients

    def discriminator_step(self, real_images, labels):
        batch_size = ops.shape(real_images)[0]
        fake_images = self.synthesis(self.mixed_ws(batch_size, labels, update_w_avg=True), training=True)
        weights = self.discriminator.trainable_weights
        with tf.GradientTape() as tape:
            real_logits = self._logits(real_images, labels)
            fake_logits = self._logits(fake_images, labels)
            loss = gan_losses.non_saturating_discriminator_loss(real_logits, fake_logits)
            scaled = self.d_optimizer.scale_loss(per_replica_loss(loss))
        gradients = dense_gradients(tape.gradient(scaled, weights))
        due = self._due(self.d_optimizer, self.r1_interval if self.r1_gamma > 0 else 0)
        # lazy: applied every r1_interval steps, so scaled by the interval to keep its average strength
        penalty, r1_gradients = self.lazy_regularizer(
            due, self.d_optimizer, weights, lambda: r1_penalty(lambda x: self._logits(x, labels), real_images),
            (self.r1_gamma / 2.0) * float(max(self.r1_interval, 1)))
        self.d_optimizer.apply([g + r for g, r in zip(gradients, r1_gradients)], weights)
        logs = {"real_logits": ops.mean(ops.cast(real_logits, "float32")),
                "fake_logits": ops.mean(ops.cast(fake_logits, "float32")), "r1_penalty": penalty,
                "r1_due": ops.cast(due, "float32")}
        return loss, logs

    def path_length_term(self, batch_size, labels):
        """The lazy path-length penalty on a `batch / pl_batch_shrink` batch; updates the running mean."""
        size = ops.maximum(batch_size // self.pl_batch_shrink, 1)
        ws = self.mixed_ws(size, None if labels is None else labels[:size])
        noise = keras.random.normal((size, self.resolution, self.resolution, int(self.synthesis.output_shape[-1])),
                                    seed=self.seed_generator)
        lengths = path_lengths(lambda w: self.synthesis(w, training=True), ws, noise)
        penalty, new_mean = path_length_penalty(lengths, self.pl_mean, self.pl_decay)
        self.pl_mean.assign(new_mean)
        return penalty

    def generator_step(self, batch_size, labels):
        weights = self.generator_weights
        with tf.GradientTape() as tape:
            fake_images = self.synthesis(self.mixed_ws(batch_size, labels), training=True)
            loss = gan_losses.non_saturating_generator_loss(self._logits(fake_images, labels))
            scaled = self.g_optimizer.scale_loss(per_replica_loss(loss))
        gradients = dense_gradients(tape.gradient(scaled, weights))
        due = self._due(self.g_optimizer, self.pl_interval if self.pl_weight > 0 else 0)
        penalty, pl_gradients = self.lazy_regularizer(
            due, self.g_optimizer, weights, lambda: self.path_length_term(batch_size, labels),
            self.pl_weight * float(max(self.pl_interval, 1)))
        self.g_optimizer.apply([g + r for g, r in zip(gradients, pl_gradients)], weights)
        return loss, {"pl_penalty": penalty, "pl_due": ops.cast(due, "float32")}

    def ema_beta(self, batch_size):
        """Per-step decay of the generator EMA: half-life `ema_images` images, ramped up early in training."""
        return ema_decay(batch_size, self.ema_images, self.images_seen, self.ema_rampup)

    def update_ema(self, beta):
        """EMA weights <- beta * EMA + (1 - beta) * weights; non-trainable buffers are copied."""
        update_ema(self.mapping, self.ema_mapping, beta)
        update_ema(self.synthesis, self.ema_synthesis, beta)

    def train_step(self, data):
        real_images, labels = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        d_loss, d_logs = self.discriminator_step(real_images, labels)
        g_loss, g_logs = self.generator_step(batch_size, labels)
        self.images_seen.assign_add(ops.cast(batch_size, "float32"))
        self.update_ema(self.ema_beta(batch_size))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_score_tracker.update_state(d_logs["real_logits"])
        self.fake_score_tracker.update_state(d_logs["fake_logits"])
        self.r1_tracker.update_state(d_logs["r1_penalty"], sample_weight=d_logs["r1_due"])
        self.pl_tracker.update_state(g_logs["pl_penalty"], sample_weight=g_logs["pl_due"])
        return {metric.name: metric.result() for metric in self.metrics}

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = {
            "mapping": keras.saving.serialize_keras_object(self.mapping),
            "synthesis": keras.saving.serialize_keras_object(self.synthesis),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "num_classes": self.num_classes, "style_mixing_prob": self.style_mixing_prob, "r1_gamma": self.r1_gamma,
            "r1_interval": self.r1_interval, "pl_weight": self.pl_weight, "pl_interval": self.pl_interval,
            "pl_decay": self.pl_decay, "pl_batch_shrink": self.pl_batch_shrink, "w_avg_beta": self.w_avg_beta,
            "ema_images": self.ema_images, "ema_rampup": self.ema_rampup,
            "truncation_cutoff": self.truncation_cutoff,
            "source_shape": None if self.source_shape is None else list(self.source_shape), "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("mapping", "synthesis", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
