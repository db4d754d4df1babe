"""Spectral normalization whose power iteration runs in the variables' dtype (float32) under mixed precision."""

import keras


@keras.saving.register_keras_serializable(package="keras_gen")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """`keras.layers.SpectralNormalization` with the power iteration and the kernel update in float32 under a
    mixed precision policy; the wrapped layer still computes in its own (the policy's) dtype.

    Keras' wrapper reads the kernel and `u` inside its autocast scope, so under `mixed_float16` /
    `mixed_bfloat16` it estimates sigma in the low-precision dtype and writes `kernel / sigma` back into the
    float32 kernel on every training call:
    - float16: `sum(v ** 2)` underflows to 0 for a narrow kernel (a `Dense(1)` logits layer has a single `u`
      entry of ~0.02), `rsqrt(0)` is inf and the kernel becomes NaN in the first step;
    - both: the float32 kernel is rounded to the low-precision dtype every step (bfloat16 keeps 8 bits), so
      optimizer updates smaller than that rounding are erased.
    Here the wrapper's own dtype policy is the wrapped layer's variable dtype (float32), so it reads its
    variables in float32 (mixed precision's rule: weights and their statistics in float32); the wrapped layer
    keeps its policy and autocasts its kernel when it computes. (`autocast=False` would not do: Keras still
    autocasts a mixed layer called outside any other layer.)

    Args:
        layer: a layer with a `kernel` (or `embeddings`), as for `keras.layers.SpectralNormalization`.
        power_iterations: power iterations per training call.
        **kwargs: other layer arguments; `dtype` is set from `layer`.

    Reference:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks" (https://arxiv.org/abs/1802.05957).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        kwargs["dtype"] = layer.dtype_policy.variable_dtype
        super().__init__(layer, power_iterations=power_iterations, **kwargs)
