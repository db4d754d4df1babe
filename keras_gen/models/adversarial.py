"""What every adversarial trainer shares: one optimizer per role, loss functions by name, saving both."""

import keras

from keras_gen.losses import gan as gan_losses
from keras_gen.utils.distribute import loss_scale_optimizer

_COMPILE_KEYS = ("run_eagerly", "jit_compile", "steps_per_execution")


def loss_function(value, role):
    """A loss given as a `GAN_LOSSES` name or a callable -> the callable for `role` ("generator"/"discriminator")."""
    if isinstance(value, str):
        return getattr(gan_losses.get_gan_loss(value), f"{role}_loss")
    if not callable(value):
        raise ValueError(f"`{role}_loss` must be a loss name or a callable. Received: {role}_loss={value!r}")
    return value


class AdversarialModel(keras.Model):
    """Base of the GAN and CycleGAN trainers: `compile(d_optimizer=..., g_optimizer=...)` (the Keras WGAN-GP
    example's multi-optimizer compile), with both optimizers saved in `.keras` files and restored on load.

    Subclasses define `generator_weights` and `discriminator_weights`: each optimizer is built over its own
    role's weights in `compile`, that is in the distribution strategy's scope (built lazily inside a
    distributed train step the slots would be created in a replica's branch, which MirroredStrategy cannot do).
    `model.optimizer` is the generator's optimizer, so "the optimizer step" in Keras callbacks counts generator
    updates; `d_optimizer.iterations` counts discriminator updates.
    """

    @property
    def generator_weights(self):
        raise NotImplementedError

    @property
    def discriminator_weights(self):
        raise NotImplementedError

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """One optimizer per role; default Adam(2e-4, beta_1=0.5) (DCGAN, pix2pix, CycleGAN).

        Under mixed_float16 each is wrapped for dynamic loss scaling (Keras does this for a single optimizer).
        """
        d_optimizer = self._loss_scaled(d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5), "d_optimizer")
        g_optimizer = self._loss_scaled(g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5), "g_optimizer")
        d_optimizer.build(self.discriminator_weights)
        g_optimizer.build(self.generator_weights)
        super().compile(optimizer=g_optimizer, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self._adversarial_compile_config = {
            "d_optimizer": keras.saving.serialize_keras_object(d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(g_optimizer),
            **{key: kwargs[key] for key in _COMPILE_KEYS if key in kwargs},
        }

    def _loss_scaled(self, optimizer, name):
        return loss_scale_optimizer(optimizer, self.dtype_policy, name=f"{name}_loss_scale")

    def save_own_variables(self, store):
        # Keras does not save seed generators; keeping the trainer's (`self.seed_generator`, when it has one) makes a
        # resumed run draw the noise it would have drawn.
        super().save_own_variables(store)
        if getattr(self, "seed_generator", None) is not None:
            store["seed_generator_state"] = keras.ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        store = {key: store[key] for key in store.keys()}
        if "seed_generator_state" in store:
            self.seed_generator.state.assign(store.pop("seed_generator_state"))
        super().load_own_variables(store)

    def get_compile_config(self):
        return getattr(self, "_adversarial_compile_config", {})

    def compile_from_config(self, config):
        config = dict(config)
        d_optimizer = keras.saving.deserialize_keras_object(config.pop("d_optimizer"))
        g_optimizer = keras.saving.deserialize_keras_object(config.pop("g_optimizer"))
        # compile() builds both optimizers, so the saved state (iterations, moments) loads into their slots.
        self.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **config)
