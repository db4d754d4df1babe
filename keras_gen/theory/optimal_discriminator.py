"""The optimal discriminator and the Jensen-Shannon divergence, checked numerically in 1-D.

Goodfellow et al., "Generative Adversarial Networks" (https://arxiv.org/abs/1406.2661), Proposition 1 and
Theorem 1: for a fixed generator the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_G(x)), and
at that discriminator the value of the game is V(G, D*) = -log 4 + 2 JSD(p_data || p_G); so V = -log 4 and
D* = 1/2 everywhere exactly when p_G = p_data.

Here p_data and p_G are fixed 1-D Gaussian mixtures, a small network is trained as the discriminator with
the minimax loss, and its D(x) and V(G, D) are compared with the closed forms by integration on a grid.
"""

import dataclasses
from typing import Tuple

import numpy as np

from keras_gen.losses.gan import minimax_discriminator_loss

LOG4 = float(np.log(4.0))


@dataclasses.dataclass(frozen=True)
class GaussianMixture1D:
    """A 1-D mixture of Gaussians with `weights` summing to 1."""

    means: Tuple[float, ...]
    stds: Tuple[float, ...]
    weights: Tuple[float, ...]

    def __post_init__(self):
        if not len(self.means) == len(self.stds) == len(self.weights) >= 1:
            raise ValueError(f"`means`, `stds` and `weights` must have the same length >= 1. Received: means={self.means}, "
                             f"stds={self.stds}, weights={self.weights}")
        if min(self.stds) <= 0:
            raise ValueError(f"`stds` must be > 0. Received: stds={self.stds}")
        if min(self.weights) < 0 or abs(sum(self.weights) - 1.0) > 1e-6:
            raise ValueError(f"`weights` must be >= 0 and sum to 1. Received: weights={self.weights}")

    def pdf(self, x):
        x = np.asarray(x, np.float64)[..., None]
        means, stds, weights = (np.asarray(v, np.float64) for v in (self.means, self.stds, self.weights))
        return (weights * np.exp(-0.5 * ((x - means) / stds) ** 2) / (stds * np.sqrt(2 * np.pi))).sum(-1)

    def sample(self, num, rng):
        components = rng.choice(len(self.weights), size=num, p=np.asarray(self.weights))
        return rng.normal(np.asarray(self.means)[components], np.asarray(self.stds)[components]).astype(np.float32)


def default_grid(p_data, p_g, num=4001, margin=5.0):
    """Evenly spaced points covering both mixtures to `margin` standard deviations."""
    low = min(m - margin * s for p in (p_data, p_g) for m, s in zip(p.means, p.stds))
    high = max(m + margin * s for p in (p_data, p_g) for m, s in zip(p.means, p.stds))
    return np.linspace(low, high, num)


def optimal_discriminator(p_data, p_g, x):
    """D*(x) = p_data(x) / (p_data(x) + p_G(x)); 1/2 where both densities vanish."""
    data_density, generator_density = p_data.pdf(x), p_g.pdf(x)
    total = data_density + generator_density
    return np.where(total > 0, data_density / np.where(total > 0, total, 1.0), 0.5)


def _xlogy(x, y):
    return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


def jensen_shannon_divergence(p_data, p_g, grid=None):
    """JSD(p_data || p_G) = 1/2 KL(p_data || M) + 1/2 KL(p_G || M), M the average, in nats (trapezoid rule)."""
    grid = default_grid(p_data, p_g) if grid is None else grid
    p, q = p_data.pdf(grid), p_g.pdf(grid)
    m = 0.5 * (p + q)
    integrand = 0.5 * (_xlogy(p, p) - _xlogy(p, m)) + 0.5 * (_xlogy(q, q) - _xlogy(q, m))
    return float(np.trapezoid(integrand, grid))


def value_function(discriminator_probabilities, p_data, p_g, grid):
    """V(G, D) = E_data[log D(x)] + E_G[log(1 - D(x))] by the trapezoid rule, D given on `grid`."""
    d = np.clip(np.asarray(discriminator_probabilities, np.float64), 1e-12, 1 - 1e-12)
    integrand = p_data.pdf(grid) * np.log(d) + p_g.pdf(grid) * np.log(1.0 - d)
    return float(np.trapezoid(integrand, grid))


def build_discriminator(hidden_units=(64, 64), name="toy_discriminator"):
    """A small MLP `x (batch, 1) -> logits (batch, 1)`."""
    import keras

    inputs = keras.Input((1,), name=f"{name}_x")
    x = inputs
    for index, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation="tanh", name=f"{name}_dense{index}")(x)
    return keras.Model(inputs, keras.layers.Dense(1, name=f"{name}_logits")(x), name=name)


def train_discriminator(p_data, p_g, steps=3000, batch_size=512, learning_rate=3e-3, hidden_units=(64, 64), seed=0):
    """Trains D on fresh samples of both distributions with the minimax discriminator loss (G fixed)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    discriminator = build_discriminator(hidden_units)
    # Decay the rate so the last steps average out the sampling noise of the minibatch loss.
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    optimizer = keras.optimizers.Adam(schedule)

    @tf.function
    def step(real, fake):
        with tf.GradientTape() as tape:
            loss = minimax_discriminator_loss(discriminator(real, training=True), discriminator(fake, training=True))
        optimizer.apply(tape.gradient(loss, discriminator.trainable_weights), discriminator.trainable_weights)
        return loss

    for _ in range(steps):
        step(p_data.sample(batch_size, rng)[:, None], p_g.sample(batch_size, rng)[:, None])
    return discriminator


def discriminator_probabilities(discriminator, grid):
    import keras

    logits = np.asarray(discriminator(np.asarray(grid, np.float32)[:, None], training=False))[:, 0]
    return np.asarray(keras.ops.sigmoid(logits), np.float64)


def compare_with_theory(p_data, p_g, steps=3000, batch_size=512, seed=0, grid=None, support_threshold=1e-3):
    """Trains D and measures how far it is from D* and V(G, D) from -log 4 + 2 JSD.

    The D(x) errors are measured where `p_data + p_G > support_threshold`: elsewhere D* is a ratio of two
    vanishing densities that no finite sample can pin down (and that V does not weigh).

    Returns a dict of JSON-able numbers.
    """
    grid = default_grid(p_data, p_g) if grid is None else grid
    discriminator = train_discriminator(p_data, p_g, steps=steps, batch_size=batch_size, seed=seed)
    trained = discriminator_probabilities(discriminator, grid)
    optimal = optimal_discriminator(p_data, p_g, grid)
    support = (p_data.pdf(grid) + p_g.pdf(grid)) > support_threshold
    errors = np.abs(trained - optimal)[support]
    jsd = jensen_shannon_divergence(p_data, p_g, grid)
    theory_value = -LOG4 + 2.0 * jsd
    return {
        "jsd_nats": jsd,
        "value_theory": theory_value,
        "value_at_optimal_d": value_function(optimal, p_data, p_g, grid),
        "value_at_trained_d": value_function(trained, p_data, p_g, grid),
        "value_error": abs(value_function(trained, p_data, p_g, grid) - theory_value),
        "d_max_abs_error": float(errors.max()),
        "d_mean_abs_error": float(errors.mean()),
        "d_mean_abs_error_weighted": float(np.trapezoid(np.abs(trained - optimal) * 0.5 * (p_data.pdf(grid) + p_g.pdf(grid)), grid)),
        "steps": steps,
        "batch_size": batch_size,
    }
