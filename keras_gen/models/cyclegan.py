"""CycleGAN: unpaired translation between two image domains with cycle-consistency."""

import keras
from keras import ops

from keras_gen.layers.image_pool import ImagePool
from keras_gen.models.adversarial import AdversarialModel, loss_function
from keras_gen.utils.distribute import per_replica_loss

DIRECTIONS = ("a2b", "b2a")


def _l1(images, reference):
    """Mean absolute difference, in float32 (generators may compute in float16 under mixed precision)."""
    return ops.mean(ops.abs(ops.cast(images, "float32") - ops.cast(reference, "float32")))


@keras.saving.register_keras_serializable(package="keras_gen")
class CycleGAN(AdversarialModel):
    """Two generators `G: A -> B`, `F: B -> A` and two discriminators `D_B`, `D_A`, trained on unpaired batches.

    Why its own trainer rather than a `keras_gen.models.gan.GAN` subclass: the GAN trainer updates one
    generator against one discriminator on real images of one domain; CycleGAN's generator objective
    couples both generators (`|F(G(a)) - a|` needs both in one tape), and each discriminator trains on its
    own domain's reals against *pooled* past fakes. The pieces are the same as the GAN's: loss functions
    from `keras_gen.losses.gan` passed in by name or as functions, one optimizer per role
    (`compile(d_optimizer=..., g_optimizer=...)`), `keras.metrics.Mean` trackers.

    Generator loss: `adv(D_B(G(a))) + adv(D_A(F(b))) + cycle_weight * (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)
    + identity_weight * cycle_weight * (|G(b) - b|_1 + |F(a) - a|_1)`; each discriminator:
    `disc(D(real), D(pool(fake)))`, halved as in the paper to slow D relative to G.

    Args:
        generator_ab, generator_ba: `keras.Model`s mapping images of one domain to the other (same shapes).
        discriminator_a, discriminator_b: `keras.Model`s, images -> logits (PatchGAN).
        generator_loss, discriminator_loss: `GAN_LOSSES` names or functions; least squares as in the paper.
        cycle_weight: lambda of the cycle-consistency loss (10 in the paper).
        identity_weight: weight of the identity loss relative to `cycle_weight` (0.5 in the paper; 0 turns it
            off). It keeps colours/intensities when an input already looks like the target domain.
        pool_size: size of each image pool of past fakes (50 in the paper; 0 disables the pools).
        seed: seed of the pools' random choices.

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks" (2017),
        https://arxiv.org/abs/1703.10593
    """

    def __init__(
        self,
        generator_ab,
        generator_ba,
        discriminator_a,
        discriminator_b,
        generator_loss="least_squares",
        discriminator_loss="least_squares",
        cycle_weight=10.0,
        identity_weight=0.5,
        pool_size=50,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for key, value in (("cycle_weight", cycle_weight), ("identity_weight", identity_weight)):
            if not value >= 0:
                raise ValueError(f"`{key}` must be >= 0. Received: {key}={value!r}")
        if not isinstance(pool_size, int) or pool_size < 0:
            raise ValueError(f"`pool_size` must be a non-negative integer. Received: pool_size={pool_size!r}")
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.generator_loss = loss_function(generator_loss, "generator")
        self.discriminator_loss = loss_function(discriminator_loss, "discriminator")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_size = pool_size
        self.seed = seed
        # Different seeds for the two pools, so their choices are not correlated.
        self.pool_a = ImagePool(pool_size, seed=None if seed is None else seed, name="pool_a")
        self.pool_b = ImagePool(pool_size, seed=None if seed is None else seed + 1, name="pool_b")
        # Built now (from the generators' input shape) so a .keras checkpoint restores their contents.
        image_shape = (None,) + tuple(generator_ab.inputs[0].shape[1:])
        self.pool_a.build(image_shape)
        self.pool_b.build(image_shape)
        self.built = True  # the networks are built functional models and the pools are built above
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("g_loss", "d_loss", "adversarial_loss", "cycle_loss", "identity_loss", "d_a_loss", "d_b_loss")
        }

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def source_shape(self):
        """(H, W, C) of the images of either domain."""
        return tuple(int(d) for d in self.generator_ab.inputs[0].shape[1:])

    @property
    def target_shape(self):
        return self.source_shape

    @property
    def generator_weights(self):
        return self.generator_ab.trainable_weights + self.generator_ba.trainable_weights

    @property
    def discriminator_weights(self):
        return self.discriminator_a.trainable_weights + self.discriminator_b.trainable_weights

    # ----------------------------------------------------------------------------------------------------------
    # inference

    def translate(self, images, direction="a2b"):
        """Images of one domain -> the other: "a2b" uses G, "b2a" uses F."""
        if direction not in DIRECTIONS:
            raise ValueError(f"`direction` must be one of {DIRECTIONS}. Received: direction={direction!r}")
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        return generator(ops.convert_to_tensor(images, "float32"), training=False)

    def reconstruct(self, images, direction="a2b"):
        """The cycle: `F(G(a))` for "a2b", `G(F(b))` for "b2a"."""
        back = "b2a" if direction == "a2b" else "a2b"
        return self.translate(self.translate(images, direction), back)

    def call(self, inputs, training=False):
        """`a -> G(a)` (the A-to-B generator; use `translate(..., "b2a")` for the other direction)."""
        return self.generator_ab(inputs, training=training)

    # ----------------------------------------------------------------------------------------------------------
    # training

    def unpack_batch(self, data):
        if isinstance(data, (tuple, list)) and len(data) == 1:  # fit(x=(a, b)) arrives as ((a, b),)
            data = data[0]
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("CycleGAN trains on (domain_a, domain_b) batches: use keras_gen.data.paired.load_pairs.")
        return data[0], data[1]

    def compute_generator_loss(self, real_a, real_b, training=True):
        """-> (loss, logs, fake_a, fake_b). Runs inside the generators' tape."""
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        adversarial = self.generator_loss(self.discriminator_b(fake_b, training=training)) + self.generator_loss(
            self.discriminator_a(fake_a, training=training)
        )
        cycle = _l1(self.generator_ba(fake_b, training=training), real_a) + _l1(
            self.generator_ab(fake_a, training=training), real_b
        )
        loss = adversarial + self.cycle_weight * cycle
        identity = ops.convert_to_tensor(0.0)
        if self.identity_weight > 0:
            identity = _l1(self.generator_ab(real_b, training=training), real_b) + _l1(
                self.generator_ba(real_a, training=training), real_a
            )
            loss = loss + self.identity_weight * self.cycle_weight * identity
        logs = {"adversarial_loss": adversarial, "cycle_loss": cycle, "identity_loss": identity}
        return loss, logs, fake_a, fake_b

    def compute_discriminator_loss(self, real_a, real_b, fake_a, fake_b, training=True):
        """-> (loss, logs). `fake_*` are (pooled) generated images, without gradient to the generators."""
        loss_a = 0.5 * self.discriminator_loss(
            self.discriminator_a(real_a, training=training), self.discriminator_a(fake_a, training=training)
        )
        loss_b = 0.5 * self.discriminator_loss(
            self.discriminator_b(real_b, training=training), self.discriminator_b(fake_b, training=training)
        )
        return loss_a + loss_b, {"d_a_loss": loss_a, "d_b_loss": loss_b}

    def generator_step(self, real_a, real_b):
        import tensorflow as tf

        weights = self.generator_weights
        with tf.GradientTape() as tape:
            loss, logs, fake_a, fake_b = self.compute_generator_loss(real_a, real_b)
            scaled_loss = self.g_optimizer.scale_loss(per_replica_loss(loss))
        self.g_optimizer.apply(tape.gradient(scaled_loss, weights), weights)
        return loss, logs, fake_a, fake_b

    def discriminator_step(self, real_a, real_b, fake_a, fake_b):
        import tensorflow as tf

        fake_a, fake_b = self.pool_a(fake_a), self.pool_b(fake_b)
        weights = self.discriminator_weights
        with tf.GradientTape() as tape:
            loss, logs = self.compute_discriminator_loss(real_a, real_b, fake_a, fake_b)
            scaled_loss = self.d_optimizer.scale_loss(per_replica_loss(loss))
        self.d_optimizer.apply(tape.gradient(scaled_loss, weights), weights)
        return loss, logs

    def train_step(self, data):
        real_a, real_b = self.unpack_batch(data)
        # As in the paper's code: generators first, then the discriminators on those same (pooled) fakes.
        g_loss, g_logs, fake_a, fake_b = self.generator_step(real_a, real_b)
        d_loss, d_logs = self.discriminator_step(real_a, real_b, ops.stop_gradient(fake_a), ops.stop_gradient(fake_b))
        return self._update(g_loss, d_loss, {**g_logs, **d_logs})

    def test_step(self, data):
        real_a, real_b = self.unpack_batch(data)
        g_loss, g_logs, fake_a, fake_b = self.compute_generator_loss(real_a, real_b, training=False)
        d_loss, d_logs = self.compute_discriminator_loss(real_a, real_b, fake_a, fake_b, training=False)
        return self._update(g_loss, d_loss, {**g_logs, **d_logs})

    def _update(self, g_loss, d_loss, logs):
        self.trackers["g_loss"].update_state(g_loss)
        self.trackers["d_loss"].update_state(d_loss)
        for name, value in logs.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = {
            "generator_ab": keras.saving.serialize_keras_object(self.generator_ab),
            "generator_ba": keras.saving.serialize_keras_object(self.generator_ba),
            "discriminator_a": keras.saving.serialize_keras_object(self.discriminator_a),
            "discriminator_b": keras.saving.serialize_keras_object(self.discriminator_b),
            "generator_loss": keras.saving.serialize_keras_object(self.generator_loss),
            "discriminator_loss": keras.saving.serialize_keras_object(self.discriminator_loss),
            "cycle_weight": self.cycle_weight,
            "identity_weight": self.identity_weight,
            "pool_size": self.pool_size,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b", "generator_loss", "discriminator_loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
