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


def sync_replica_context():
    """The replica context when several replicas train in sync, else None (one device, or cross-replica code)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def gather_replicas(value):
    """`value` (batch first) concatenated over all replicas, in global-batch order, and this replica's offset in it.

    MirroredStrategy splits a global batch into consecutive slices, one per replica; layers whose state is a
    function of the whole batch (codebook statistics, pools of past samples) gather it, update identically on
    every replica, and so match one device fed the global batch. Returns `(value, 0)` on one replica.
    """
    context = sync_replica_context()
    if context is None:
        return value, 0
    _, offset = _global_batch(context, tf.shape(value)[0])
    return context.all_gather(value, axis=0), offset


def _global_batch(context, local_size):
    """(global batch size, this replica's offset in it); replicas' batches may differ (the last, uneven one)."""
    sizes = context.all_gather(tf.reshape(tf.cast(local_size, tf.int32), [1]), axis=0)  # (replicas,)
    return tf.reduce_sum(sizes), tf.reduce_sum(sizes[: context.replica_id_in_sync_group])


def replica_draw(draw, shape):
    """`draw(shape)` for this replica's slice of the global batch (`shape[0]` is the local batch size).

    Every replica holds the same random state (a `SeedGenerator`'s state is copied to each replica), so a
    plain draw would give all replicas the same latents, noise or interpolation weights: under two replicas a
    GAN would train on every fake twice. Here each replica draws for the global batch and keeps its own
    slice, so replicas get different values and together the same ones as one device fed the global batch.
    On one replica it is `draw(shape)`.
    """
    context = sync_replica_context()
    if context is None:
        return draw(shape)
    local_size = tf.cast(shape[0], tf.int32)
    total, offset = _global_batch(context, local_size)
    if isinstance(shape, (tuple, list)):
        global_shape = (total,) + tuple(shape[1:])
    else:  # a shape tensor, e.g. tf.shape(x)
        global_shape = tf.concat([[total], tf.cast(shape[1:], tf.int32)], axis=0)
    values = draw(global_shape)
    return values[offset : offset + local_size]
