"""Vector quantization: the discrete bottleneck of VQ-VAE and VQ-VAE-2."""

import keras
from keras import ops

from keras_gen.utils.distribute import gather_replicas


@keras.saving.register_keras_serializable(package="keras_gen")
class VectorQuantizer(keras.layers.Layer):
    """Replaces each vector of the last axis by its nearest codebook row.

    The forward pass outputs exact codebook rows; the backward pass copies the gradient of the quantized
    vectors to the encoder outputs (straight-through estimator). The commitment loss
    `beta * ||z - sg(e)||^2` keeps the encoder close to its codes. The codebook is learned either by the
    codebook loss `||sg(z) - e||^2` (`use_ema=False`, VQ-VAE) or by exponential moving averages of the
    assigned encodings (`use_ema=True`, the VQ-VAE-2 default), with Laplace smoothing of the cluster sizes
    so that a code with no assignment does not divide by zero.

    Codes whose running usage falls below `restart_threshold` (as a fraction of uniform usage
    `1 / num_embeddings`) are re-initialized during training to encoder outputs of the current batch,
    picked with a seeded generator ("dead-code restart"). Usage starts at 0, so the first training batch
    initializes the whole codebook this way. Set `restart_threshold=0` to turn restarts off.

    Args:
        num_embeddings: number of codebook rows K.
        embedding_dim: size D of each code (the last axis of the inputs).
        beta: weight of the commitment loss.
        use_ema: learn the codebook with exponential moving averages instead of a loss.
        decay: decay of the moving averages (EMA codebook and the usage tracker), in [0, 1).
        epsilon: Laplace smoothing constant of the EMA cluster sizes.
        restart_threshold: restart codes whose running usage is below this fraction of uniform usage.
        seed: seed of the generator that picks restart encodings.

    Call arguments:
        inputs: float tensor `(..., embedding_dim)`, the encoder outputs z.
        training: update the EMA codebook and the usage tracker, and restart dead codes.

    Returns:
        A dict with `quantized` (same shape as inputs, straight-through), `indices` (int32, inputs' shape
        without the last axis), `commitment_loss` and `codebook_loss` (scalars, already weighted; the
        codebook loss is 0 with `use_ema=True`), `perplexity` (exp of the entropy of the batch code
        distribution) and `usage` (fraction of codes used in the batch).

    Reference:
        van den Oord et al. 2017, "Neural Discrete Representation Learning", https://arxiv.org/abs/1711.00937;
        Razavi et al. 2019, "Generating Diverse High-Fidelity Images with VQ-VAE-2",
        https://arxiv.org/abs/1906.00446 (EMA codebook in its appendix).
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        beta=0.25,
        use_ema=True,
        decay=0.99,
        epsilon=1e-5,
        restart_threshold=0.03,
        seed=None,
        **kwargs,
    ):
        # Distances, codebook statistics and EMA updates stay in float32 under mixed precision: a bfloat16 or
        # float16 policy would otherwise autocast the codebook and mismatch the float32 inputs and updates.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not isinstance(num_embeddings, int) or num_embeddings < 2:
            raise ValueError(f"`num_embeddings` must be an integer >= 2. Received: num_embeddings={num_embeddings!r}")
        if not isinstance(embedding_dim, int) or embedding_dim < 1:
            raise ValueError(f"`embedding_dim` must be a positive integer. Received: embedding_dim={embedding_dim!r}")
        if not beta >= 0:
            raise ValueError(f"`beta` must be >= 0. Received: beta={beta!r}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"`decay` must be in [0, 1). Received: decay={decay!r}")
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon!r}")
        if not restart_threshold >= 0:
            raise ValueError(f"`restart_threshold` must be >= 0. Received: restart_threshold={restart_threshold!r}")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = float(beta)
        self.use_ema = bool(use_ema)
        self.decay = float(decay)
        self.epsilon = float(epsilon)
        self.restart_threshold = float(restart_threshold)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"The last axis of the inputs must equal `embedding_dim`={self.embedding_dim}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        shape = (self.num_embeddings, self.embedding_dim)
        self.codebook = self.add_weight(
            name="codebook", shape=shape, initializer=keras.initializers.VarianceScaling(1.0, "fan_in", "uniform"),
            trainable=not self.use_ema,
        )
        if self.use_ema:
            # Every code starts as a cluster of size 1 whose sum is the code itself, so that
            # codebook == ema_sum / ema_count holds from the first step (no zero-debiasing needed).
            self.ema_count = self.add_weight(name="ema_count", shape=(self.num_embeddings,), initializer="ones",
                                             trainable=False)
            self.ema_sum = self.add_weight(name="ema_sum", shape=shape, initializer="zeros", trainable=False)
            self.ema_sum.assign(self.codebook)
        # Running fraction of assignments per code. It starts at 0, so every code counts as dead at the first
        # training step and is restarted from that batch's encoder outputs: a data-dependent initialization
        # (a randomly initialized codebook often lies away from the encodings and collapses to one code).
        self.code_usage = self.add_weight(
            name="code_usage", shape=(self.num_embeddings,), initializer="zeros", trainable=False,
        )

    def nearest_indices(self, flat_inputs):
        """(N, D) -> (N,) int32 indices of the nearest codebook rows (squared Euclidean distance)."""
        # ||z||^2 - 2 z.e + ||e||^2 without materializing (N, K, D).
        distances = (
            ops.sum(ops.square(flat_inputs), axis=1, keepdims=True)
            - 2.0 * ops.matmul(flat_inputs, ops.transpose(self.codebook))
            + ops.sum(ops.square(self.codebook), axis=1)[None, :]
        )  # (N, K)
        return ops.cast(ops.argmin(distances, axis=1), "int32")

    def lookup(self, indices):
        """Integer indices of any shape -> their codebook rows, shape `indices.shape + (embedding_dim,)`."""
        return ops.take(self.codebook, ops.cast(indices, "int32"), axis=0)

    def call(self, inputs, training=False):
        inputs = ops.cast(inputs, self.codebook.dtype)
        flat_inputs = ops.reshape(inputs, (-1, self.embedding_dim))  # (N, D)
        flat_indices = self.nearest_indices(flat_inputs)  # (N,)
        one_hot = ops.one_hot(flat_indices, self.num_embeddings, dtype=flat_inputs.dtype)  # (N, K)
        quantized = ops.reshape(ops.take(self.codebook, flat_indices, axis=0), ops.shape(inputs))
        indices = ops.reshape(flat_indices, ops.shape(inputs)[:-1])

        commitment_loss = self.beta * ops.mean(ops.square(inputs - ops.stop_gradient(quantized)))
        if self.use_ema:
            codebook_loss = ops.zeros((), dtype=inputs.dtype)
        else:
            codebook_loss = ops.mean(ops.square(ops.stop_gradient(inputs) - quantized))

        batch_probs = ops.mean(one_hot, axis=0)  # (K,) fraction of this batch's vectors per code
        perplexity = ops.exp(-ops.sum(batch_probs * ops.log(batch_probs + 1e-10)))
        usage = ops.mean(ops.cast(batch_probs > 0, batch_probs.dtype))

        if training:
            self._update(flat_inputs, flat_indices)

        # Straight-through: forward value is the code, backward is the identity onto the encoder output.
        # Written as q + (z - sg(z)) rather than z + sg(q - z): z - z is exactly 0, so the output is
        # bit for bit a codebook row.
        quantized = quantized + (inputs - ops.stop_gradient(inputs))
        return {
            "quantized": quantized,
            "indices": indices,
            "commitment_loss": commitment_loss,
            "codebook_loss": codebook_loss,
            "perplexity": perplexity,
            "usage": usage,
        }

    def _update(self, flat_inputs, flat_indices):
        # Under a distribution strategy the statistics are those of the global batch, gathered from all replicas,
        # so every replica makes the same update (as one device would) and the codebook copies stay equal.
        flat_inputs, _ = gather_replicas(ops.stop_gradient(flat_inputs))
        flat_indices, _ = gather_replicas(flat_indices)
        one_hot = ops.one_hot(flat_indices, self.num_embeddings, dtype=flat_inputs.dtype)  # (N, K)
        batch_probs = ops.mean(one_hot, axis=0)
        # Dead before this batch: judged on the usage so far, so the all-zero start restarts every code.
        dead = self.code_usage * self.num_embeddings < self.restart_threshold  # (K,)
        decay = self.decay
        self.code_usage.assign(decay * self.code_usage + (1.0 - decay) * batch_probs)
        if self.use_ema:
            counts = ops.sum(one_hot, axis=0)  # (K,)
            sums = ops.matmul(ops.transpose(one_hot), flat_inputs)  # (K, D)
            self.ema_count.assign(decay * self.ema_count + (1.0 - decay) * counts)
            self.ema_sum.assign(decay * self.ema_sum + (1.0 - decay) * sums)
            total = ops.sum(self.ema_count)
            # Laplace smoothing: no cluster size is exactly 0, and the sizes still sum to `total`.
            smoothed = (self.ema_count + self.epsilon) / (total + self.num_embeddings * self.epsilon) * total
            self.codebook.assign(self.ema_sum / smoothed[:, None])
        if self.restart_threshold > 0:
            self._restart_dead_codes(flat_inputs, dead)

    def _restart_dead_codes(self, flat_inputs, dead):
        picks = keras.random.randint(
            (self.num_embeddings,), 0, ops.shape(flat_inputs)[0], seed=self.seed_generator
        )
        candidates = ops.take(flat_inputs, picks, axis=0)  # (K, D) one random encoder output per code
        dead_rows = dead[:, None]
        self.codebook.assign(ops.where(dead_rows, candidates, self.codebook))
        # A restarted code gets uniform usage again, so it has time to attract encodings.
        self.code_usage.assign(ops.where(dead, 1.0 / self.num_embeddings, self.code_usage))
        if self.use_ema:
            self.ema_count.assign(ops.where(dead, ops.ones_like(self.ema_count), self.ema_count))
            self.ema_sum.assign(ops.where(dead_rows, candidates, self.ema_sum))

    def compute_output_spec(self, inputs, training=False):
        scalar = keras.KerasTensor((), dtype=self.variable_dtype)
        return {
            "quantized": keras.KerasTensor(inputs.shape, dtype=self.variable_dtype),
            "indices": keras.KerasTensor(inputs.shape[:-1], dtype="int32"),
            "commitment_loss": scalar,
            "codebook_loss": scalar,
            "perplexity": scalar,
            "usage": scalar,
        }

    def get_config(self):
        config = {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "beta": self.beta,
            "use_ema": self.use_ema,
            "decay": self.decay,
            "epsilon": self.epsilon,
            "restart_threshold": self.restart_threshold,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
