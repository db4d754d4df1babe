"""Learning-rate schedules that recipes use and `.keras` files must reload."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`initial_learning_rate` for `constant_steps` optimizer steps, then linearly down to 0 over `decay_steps`
    (and 0 after): CycleGAN's and pix2pix's schedule (100 epochs constant, 100 epochs of decay).

    Args:
        initial_learning_rate: the rate of the constant phase (> 0).
        constant_steps: steps before the decay starts (>= 0).
        decay_steps: steps of the decay (>= 1).

    Reference: Zhu et al. (2017), https://arxiv.org/abs/1703.10593, section 4 ("Training details").
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps, name="constant_then_linear_decay"):
        if not initial_learning_rate > 0:
            raise ValueError(f"`initial_learning_rate` must be > 0. Received: initial_learning_rate={initial_learning_rate!r}")
        if not isinstance(constant_steps, int) or constant_steps < 0:
            raise ValueError(f"`constant_steps` must be an integer >= 0. Received: constant_steps={constant_steps!r}")
        if not isinstance(decay_steps, int) or decay_steps < 1:
            raise ValueError(f"`decay_steps` must be a positive integer. Received: decay_steps={decay_steps!r}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = constant_steps
        self.decay_steps = decay_steps
        self.name = name

    def __call__(self, step):
        decayed = (ops.cast(step, "float32") - self.constant_steps) / self.decay_steps
        return self.initial_learning_rate * (1.0 - ops.clip(decayed, 0.0, 1.0))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "constant_steps": self.constant_steps,
                "decay_steps": self.decay_steps, "name": self.name}
