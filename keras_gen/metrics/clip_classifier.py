"""A small 3-D conv clip classifier trained on moving digits: the feature network of the FVD-style clip FD.

FVD embeds clips with I3D trained on Kinetics, which is not available offline. This network is trained on the
moving digit clips to answer two questions at once, so its features see both content and motion:
which digits the clip shows (10 sigmoid outputs, multi-hot) and whether its frames are in order (one sigmoid
output; half of every training batch has its frames shuffled). The features are its 64-d dense layer.

    python -m keras_gen.metrics.clip_classifier --dataset=moving_digits_32 --out=runs/clip_classifier
"""

import os

import keras
import numpy as np
import tensorflow as tf

CLIP_CLASSIFIER_FILENAME = "clip_classifier.keras"


def build_clip_classifier(clip_shape, num_classes=10, feature_dim=64, base_filters=16, name="clip_classifier"):
    """`clips (batch, T, H, W, C) in [0, 1] -> [digit presence (batch, num_classes), in order (batch, 1)]`."""
    clips = keras.Input(tuple(clip_shape), name=f"{name}_clips")
    x = clips
    filters = base_filters
    for block in range(3):
        # Strided from the first layer (cheap on a CPU); time is kept at full length in the first block.
        strides = (1 if block == 0 else 2, 2, 2)
        x = keras.layers.Conv3D(filters, 3, strides=strides, padding="same", activation="relu",
                                name=f"{name}_conv{block}")(x)
        filters *= 2
    x = keras.layers.GlobalAveragePooling3D(name=f"{name}_gap")(x)  # (batch, filters)
    features = keras.layers.Dense(feature_dim, activation="relu", name=f"{name}_features")(x)
    digits = keras.layers.Dense(num_classes, activation="sigmoid", name=f"{name}_digits")(features)
    in_order = keras.layers.Dense(1, activation="sigmoid", name=f"{name}_in_order")(features)
    return keras.Model(clips, [digits, in_order], name=name)


def _training_batches(clips, digit_classes, num_classes, batch_size, seed):
    """Endless `(clips, (multi-hot digits, in order))` batches; half the clips of each batch time-shuffled."""
    rng = np.random.default_rng(seed)
    multi_hot = np.zeros((len(clips), num_classes), np.float32)
    for n, classes in enumerate(digit_classes):
        multi_hot[n, classes] = 1.0
    while True:
        picks = rng.integers(0, len(clips), batch_size)
        batch = clips[picks].astype(np.float32) / 255.0
        in_order = np.ones((batch_size, 1), np.float32)
        for i in range(batch_size // 2):
            order = rng.permutation(batch.shape[1])
            while np.all(order == np.arange(batch.shape[1])):
                order = rng.permutation(batch.shape[1])
            batch[i] = batch[i, order]
            in_order[i] = 0.0
        yield batch, (multi_hot[picks], in_order)


def train_clip_classifier(dataset="moving_digits_32", steps=600, batch_size=32, learning_rate=1e-3, seed=0,
                          verbose=2):
    """Trains `build_clip_classifier` on a moving digit set's train clips; returns `(model, test metrics)`."""
    from keras_gen.data.clips import get_clip_info, moving_digits_dataset_arrays

    info = get_clip_info(dataset)
    keras.utils.set_random_seed(seed)
    train_clips, train_classes = moving_digits_dataset_arrays(dataset, "train")
    test_clips, test_classes = moving_digits_dataset_arrays(dataset, "test")
    model = build_clip_classifier(info.clip_shape)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=["binary_crossentropy", "binary_crossentropy"],
                  metrics=[["binary_accuracy"], ["binary_accuracy"]])
    batches = _training_batches(train_clips, train_classes, info.num_classes, batch_size, seed)
    model.fit(tf.data.Dataset.from_generator(
        lambda: batches, output_signature=(tf.TensorSpec((batch_size, *info.clip_shape), tf.float32),
                                           (tf.TensorSpec((batch_size, info.num_classes), tf.float32),
                                            tf.TensorSpec((batch_size, 1), tf.float32)))),
        steps_per_epoch=steps, epochs=1, verbose=verbose)
    test = next(_training_batches(test_clips, test_classes, info.num_classes, len(test_clips), seed + 1))
    digits, in_order = model.predict(test[0], batch_size=256, verbose=0)
    truth_digits, truth_order = test[1]
    top2 = np.argsort(-digits, axis=1)[:, :2]
    digits_right = np.mean([set(top2[n]) == set(np.nonzero(truth_digits[n])[0]) for n in range(len(top2))
                            if truth_digits[n].sum() == 2])
    return model, {"test_digit_pair_accuracy": float(digits_right),
                   "test_order_accuracy": float(np.mean((in_order > 0.5) == (truth_order > 0.5)))}


def save_clip_classifier(model, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, CLIP_CLASSIFIER_FILENAME)
    model.save(path)
    return path


def load_clip_classifier(model_dir):
    path = model_dir if model_dir.endswith(".keras") else os.path.join(model_dir, CLIP_CLASSIFIER_FILENAME)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No clip classifier at {path!r}: train one with `python -m "
                                f"keras_gen.metrics.clip_classifier --out=DIR`. Received: model_dir={model_dir!r}")
    return keras.models.load_model(path)


def clip_feature_function(classifier, batch_size=128):
    """`clips -> (N, feature_dim)` features of a clip classifier (its `*_features` layer)."""
    features = keras.Model(classifier.inputs, classifier.get_layer(f"{classifier.name}_features").output)

    def embed(clips):
        clips = np.asarray(clips, np.float32)
        return np.concatenate([np.asarray(features(clips[s:s + batch_size], training=False))
                               for s in range(0, len(clips), batch_size)])

    return embed


def main(argv=None):
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="moving_digits_32")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    model, metrics = train_clip_classifier(args.dataset, steps=args.steps, seed=args.seed)
    save_clip_classifier(model, args.out)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({**metrics, "dataset": args.dataset, "steps": args.steps, "seed": args.seed}, f, indent=2)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
