"""Social GAN: several plausible futures for every pedestrian of a crowd (Gupta et al. 2018,
https://arxiv.org/abs/1803.10892).

Generator: an LSTM encodes each pedestrian's observed displacements; the pooling module (`SocialPooling`) tells it
where everyone else in the scene is; an MLP of both, joined by noise, is the initial state of an LSTM decoder that
emits one displacement per future step. Discriminator: an LSTM over a whole trajectory (observed + future) scores
it real or fake, per pedestrian. Training: the variety loss (best of k samples, `keras_gen.losses.trajectory`) plus
the adversarial loss on one sample. Positions are in metres; only displacements and relative positions enter the
networks, so a scene can be anywhere. Scenes are batched with a pedestrian mask: padding never enters the pooling or
a loss.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_gen.layers.social_pooling import SocialPooling
from keras_gen.losses import trajectory as trajectory_losses
from keras_gen.models.adversarial import AdversarialModel, loss_function
from keras_gen.utils.distribute import dense_gradients, per_replica_loss

_serializable = keras.saving.register_keras_serializable(package="keras_gen")


def displacements(positions):
    """(..., steps, 2) positions -> (..., steps, 2) steps between them, the first one zero."""
    return ops.concatenate([ops.zeros_like(positions[..., :1, :]), positions[..., 1:, :] - positions[..., :-1, :]], -2)


@_serializable
class TrajectoryEncoder(keras.layers.Layer):
    """Each pedestrian's displacements -> embedding (ReLU) -> LSTM -> its last hidden state.

    Call arguments:
        positions: (batch, pedestrians, steps, 2).

    Returns:
        (batch, pedestrians, units).
    """

    def __init__(self, embedding_dim=64, units=32, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.units = units
        self.embedding = keras.layers.Dense(embedding_dim, activation="relu", name="embedding")
        self.lstm = keras.layers.LSTM(units, name="lstm")

    def build(self, input_shape):
        steps = input_shape[-2]
        self.embedding.build((None, steps, 2))
        self.lstm.build((None, steps, self.embedding_dim))

    def call(self, positions):
        batch, pedestrians = ops.shape(positions)[0], ops.shape(positions)[1]
        steps = ops.reshape(displacements(positions), (-1, positions.shape[-2], 2))  # (batch * pedestrians, steps, 2)
        hidden = self.lstm(self.embedding(steps))
        return ops.reshape(hidden, (batch, pedestrians, self.units))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "embedding_dim": self.embedding_dim, "units": self.units}


@_serializable
class TrajectoryDecoder(keras.layers.Layer):
    """An LSTM that starts from a given state and emits `pred_len` displacements, each fed back (embedded) as the
    next input; returns the positions they lead to from the last observed one.

    Call arguments:
        inputs: `[state (batch, pedestrians, units), last positions (batch, pedestrians, 2), last displacements
            (batch, pedestrians, 2)]`.

    Returns:
        (batch, pedestrians, pred_len, 2) future positions.
    """

    def __init__(self, embedding_dim=64, units=32, pred_len=12, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.units = units
        self.pred_len = pred_len
        self.embedding = keras.layers.Dense(embedding_dim, activation="relu", name="embedding")
        self.cell = keras.layers.LSTMCell(units, name="cell")
        self.to_displacement = keras.layers.Dense(2, name="to_displacement")

    def build(self, input_shape):
        self.embedding.build((None, 2))
        self.cell.build((None, self.embedding_dim))
        self.to_displacement.build((None, self.units))

    def call(self, inputs):
        state, position, displacement = inputs
        batch, pedestrians = ops.shape(state)[0], ops.shape(state)[1]
        hidden = ops.reshape(state, (-1, self.units))  # (batch * pedestrians, units)
        states = [hidden, ops.zeros_like(hidden)]
        position, displacement = ops.reshape(position, (-1, 2)), ops.reshape(displacement, (-1, 2))
        positions = []
        for _ in range(self.pred_len):
            output, states = self.cell(self.embedding(displacement), states)
            displacement = self.to_displacement(output)
            position = position + displacement
            positions.append(position)
        return ops.reshape(ops.stack(positions, axis=1), (batch, pedestrians, self.pred_len, 2))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:2]) + (self.pred_len, 2)

    def get_config(self):
        config = {"embedding_dim": self.embedding_dim, "units": self.units, "pred_len": self.pred_len}
        return {**super().get_config(), **config}


def build_trajectory_generator(obs_len=8, pred_len=12, embedding_dim=16, encoder_units=32, decoder_units=32,
                               mlp_units=64, pooling_dim=32, noise_dim=8, pooling=True, name="social_generator"):
    """`[observed (batch, pedestrians, obs_len, 2), mask (batch, pedestrians), noise (batch, pedestrians, noise_dim)]`
    -> future positions (batch, pedestrians, pred_len, 2). `pooling=False`: no pooling module (the ablation)."""
    if noise_dim >= decoder_units:
        raise ValueError(f"`noise_dim` must be smaller than `decoder_units`. Received: noise_dim={noise_dim}, "
                         f"decoder_units={decoder_units}")
    observed = keras.Input((None, obs_len, 2), name="observed")
    mask = keras.Input((None,), name="mask")
    noise = keras.Input((None, noise_dim), name="noise")
    hidden = TrajectoryEncoder(embedding_dim, encoder_units, name=f"{name}_encoder")(observed)
    last_position = observed[:, :, -1, :]
    context = hidden
    if pooling:
        pooled = SocialPooling(embedding_dim, mlp_units, pooling_dim, name=f"{name}_pooling")([hidden, last_position, mask])
        context = keras.layers.Concatenate(name=f"{name}_context")([hidden, pooled])
    context = keras.layers.Dense(mlp_units, activation="relu", name=f"{name}_context_mlp")(context)
    context = keras.layers.Dense(decoder_units - noise_dim, activation="relu", name=f"{name}_context_out")(context)
    state = keras.layers.Concatenate(name=f"{name}_state")([context, noise])
    last_displacement = observed[:, :, -1, :] - observed[:, :, -2, :]
    future = TrajectoryDecoder(embedding_dim, decoder_units, pred_len, name=f"{name}_decoder")(
        [state, last_position, last_displacement])
    return keras.Model([observed, mask, noise], future, name=name)


def build_trajectory_discriminator(seq_len=20, embedding_dim=16, units=32, mlp_units=64, name="social_discriminator"):
    """Whole trajectories (batch, pedestrians, seq_len, 2) -> one logit per pedestrian (batch, pedestrians)."""
    trajectories = keras.Input((None, seq_len, 2), name="trajectories")
    hidden = TrajectoryEncoder(embedding_dim, units, name=f"{name}_encoder")(trajectories)
    hidden = keras.layers.Dense(mlp_units, activation="relu", name=f"{name}_mlp")(hidden)
    logits = keras.layers.Dense(1, name=f"{name}_logit")(hidden)
    return keras.Model(trajectories, keras.layers.Reshape((-1,), name=f"{name}_per_pedestrian")(logits), name=name)


@_serializable
class SocialGAN(AdversarialModel):
    """Trains a trajectory generator with the variety loss and a per-pedestrian trajectory discriminator.

    Args:
        generator: `build_trajectory_generator` model.
        discriminator: `build_trajectory_discriminator` model.
        generator_loss, discriminator_loss: GAN losses (a `GAN_LOSSES` name or a function of logits).
        noise_dim: size of the generator's noise input (per pedestrian).
        variety_k: samples per scene of the variety loss (the paper's k = 20).
        adversarial_weight: weight of the adversarial loss next to the variety loss.
        obs_len, pred_len: observed and predicted steps.
        seed: seed of the `keras.random.SeedGenerator` drawing training noise.

    Data: `(trajectories (batch, pedestrians, obs_len + pred_len, 2), mask (batch, pedestrians) bool)`.
    """

    def __init__(self, generator, discriminator, generator_loss="non_saturating", discriminator_loss="non_saturating",
                 noise_dim=8, variety_k=20, adversarial_weight=1.0, obs_len=8, pred_len=12, seed=0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(variety_k, int) or variety_k < 1:
            raise ValueError(f"`variety_k` must be a positive integer. Received: variety_k={variety_k!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.generator_loss = loss_function(generator_loss, "generator")
        self.discriminator_loss = loss_function(discriminator_loss, "discriminator")
        self.noise_dim = noise_dim
        self.variety_k = variety_k
        self.adversarial_weight = adversarial_weight
        self.obs_len = obs_len
        self.pred_len = pred_len
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.variety_tracker = keras.metrics.Mean(name="variety_loss")
        self.adversarial_tracker = keras.metrics.Mean(name="adversarial_loss")
        self.built = True  # the networks are built functional models; the trainer adds no weights of its own

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.variety_tracker, self.adversarial_tracker]

    @property
    def generator_weights(self):
        return self.generator.trainable_weights

    @property
    def discriminator_weights(self):
        return self.discriminator.trainable_weights

    # ----------------------------------------------------------------------------------------------------------
    # inference

    def generate(self, observed, mask, noise, training=False):
        """Future positions (batch, pedestrians, pred_len, 2) for given noise (batch, pedestrians, noise_dim)."""
        inputs = [ops.convert_to_tensor(observed, "float32"), ops.cast(mask, "float32"),
                  ops.convert_to_tensor(noise, "float32")]
        return self.generator(inputs, training=training)

    def sample_futures(self, observed, mask, num_samples, seed=None, training=False):
        """(num_samples, batch, pedestrians, pred_len, 2): `num_samples` futures of every scene.

        `seed`: an int (or int tensor) for a stateless draw (what the export serves), None: the model's seed
        generator (training)."""
        batch, pedestrians = ops.shape(observed)[0], ops.shape(observed)[1]
        shape = (num_samples * batch, pedestrians, self.noise_dim)
        if seed is None:
            noise = keras.random.normal(shape, seed=self.seed_generator)
        else:
            noise = tf.random.stateless_normal(shape, seed=tf.stack([tf.cast(seed, tf.int32), 0]))
        tiled = ops.tile(observed, (num_samples, 1, 1, 1))  # sample-major: row s * batch + b
        futures = self.generate(tiled, ops.tile(ops.cast(mask, "float32"), (num_samples, 1)), noise, training)
        return ops.reshape(futures, (num_samples, batch, pedestrians, self.pred_len, 2))

    def call(self, inputs, training=False):
        """`(observed, mask)` -> one future per pedestrian (batch, pedestrians, pred_len, 2)."""
        observed, mask = inputs
        return self.sample_futures(observed, mask, 1, training=training)[0]

    # ----------------------------------------------------------------------------------------------------------
    # training

    def _split(self, data):
        trajectories, mask = data
        trajectories = ops.convert_to_tensor(trajectories, "float32")
        mask = ops.cast(mask, "bool")
        # Padding holds whatever the caller put there; zero it so it cannot reach a network as NaN.
        trajectories = ops.where(mask[:, :, None, None], trajectories, 0.0)
        return trajectories, trajectories[:, :, :self.obs_len], trajectories[:, :, self.obs_len:], mask

    def _logits_of_real_pedestrians(self, trajectories, mask):
        return tf.boolean_mask(self.discriminator(trajectories, training=True), mask)

    def train_step(self, data):
        trajectories, observed, future, mask = self._split(data)
        fake = ops.stop_gradient(self.sample_futures(observed, mask, 1, training=True)[0])
        with tf.GradientTape() as tape:
            real_logits = self._logits_of_real_pedestrians(trajectories, mask)
            fake_logits = self._logits_of_real_pedestrians(ops.concatenate([observed, fake], 2), mask)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            scaled = self.d_optimizer.scale_loss(per_replica_loss(d_loss))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(dense_gradients(tape.gradient(scaled, weights)), weights)

        with tf.GradientTape() as tape:
            samples = self.sample_futures(observed, mask, self.variety_k, training=True)
            variety = trajectory_losses.variety_loss(future, samples, mask)
            adversarial = self.generator_loss(self._logits_of_real_pedestrians(
                ops.concatenate([observed, samples[0]], 2), mask))
            g_loss = variety + self.adversarial_weight * adversarial
            scaled = self.g_optimizer.scale_loss(per_replica_loss(g_loss))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(dense_gradients(tape.gradient(scaled, weights)), weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.variety_tracker.update_state(variety)
        self.adversarial_tracker.update_state(adversarial)
        return {metric.name: metric.result() for metric in self.metrics}

    def test_step(self, data):
        _, observed, future, mask = self._split(data)
        samples = self.sample_futures(observed, mask, self.variety_k)
        variety = trajectory_losses.variety_loss(future, samples, mask)
        self.variety_tracker.update_state(variety)
        return {metric.name: metric.result() for metric in self.metrics}

    # ----------------------------------------------------------------------------------------------------------
    # saving

    def get_config(self):
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator_loss": keras.saving.serialize_keras_object(self.generator_loss),
            "discriminator_loss": keras.saving.serialize_keras_object(self.discriminator_loss),
            "noise_dim": self.noise_dim,
            "variety_k": self.variety_k,
            "adversarial_weight": self.adversarial_weight,
            "obs_len": self.obs_len,
            "pred_len": self.pred_len,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "generator_loss", "discriminator_loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
