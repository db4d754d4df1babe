"""Helpers that make custom `train_step`s correct under `tf.distribute` and mixed precision."""

import keras
import tensorflow as tf


def per_replica_loss(loss):
    """`loss` (a mean over this replica's examples) divided by the number of replicas.

    Under a `tf.distribute` strategy each replica sees `global_batch / replicas` examples and the optimizer sums
    the replicas' gradients; dividing by the replica count makes that sum the gradient of the mean over the
    global batch, so training matches one device with the same global batch. Without a strategy it is a no-op.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / tf.cast(replicas, loss.dtype)


def loss_scale_optimizer(optimizer, dtype_policy=None, name=None):
    """Wraps `optimizer` for dynamic loss scaling when `dtype_policy` (default: the global one) computes in float16.

    Keras' `compile(optimizer=...)` does this for the single `optimizer`; models with several optimizers
    (one per network) pass each through here. `optimizer.scale_loss(loss)` then scales the loss, and
    `apply_gradients` unscales, skips the step when a gradient overflowed and lowers the scale.
    """
    optimizer = keras.optimizers.get(optimizer)
    policy = dtype_policy or keras.config.dtype_policy()
    if policy.name == "mixed_float16" and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer, **({"name": name} if name else {}))
    return optimizer


def dense_gradients(gradients):
    """Embedding lookups give `tf.IndexedSlices` gradients whose size depends on the labels in the batch; under a
    distribution strategy replicas would then all-reduce tensors of different sizes and abort. Dense gradients
    have the variable's shape on every replica."""
    return [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]
