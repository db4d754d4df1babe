"""Social GAN export: `predict(observed, mask, num_samples, seed)` -> `{"samples": (batch, num_samples, pedestrians,
pred_len, 2)}` future positions in the observed positions' units.

Inputs: `observed` float32 (batch, pedestrians, obs_len, 2), `mask` bool (batch, pedestrians) (True: a real
pedestrian; the positions of the others are ignored, NaN allowed), `num_samples` int32 in [1, MAX_SAMPLES],
`seed` int32 (the same seed gives the same samples). A non-finite position of a real pedestrian, a scene the mask
leaves empty, a mask of another shape than the scenes and an out-of-range `num_samples` fail naming the input.
Pedestrians the mask drops get NaN futures.
"""

import numpy as np
import tensorflow as tf

from keras_gen.export.common import Endpoints, after_checks, checked_count


def checked_scenes(observed, mask):
    """`(observed with padding zeroed, mask)` once both are known valid (inside a signature)."""
    present = mask[:, :, None, None]
    checks = [
        tf.debugging.assert_equal(tf.shape(mask), tf.shape(observed)[:2],
                                  message="`mask` must be (batch, pedestrians), the first two axes of `observed`"),
    ]
    with tf.control_dependencies(checks):
        checks += [
            tf.debugging.assert_equal(tf.reduce_all(tf.math.is_finite(observed) | ~present), True,
                                      message="`observed` must hold finite positions for every pedestrian `mask` keeps "
                                              "(NaN or inf found)"),
            tf.debugging.assert_equal(tf.reduce_all(tf.reduce_any(mask, axis=1)), True,
                                      message="`mask` must keep at least one pedestrian in every scene (an empty "
                                              "scene has nothing to predict)"),
        ]
        observed = tf.where(present, observed, 0.0)  # padding may hold NaN: zeroed before any network sees it
    return after_checks(checks, observed, mask)


def predict_futures(model, observed, mask, num_samples, seed):
    """(batch, num_samples, pedestrians, pred_len, 2) from checked inputs; NaN for the pedestrians `mask` drops."""
    futures = model.sample_futures(observed, mask, num_samples, seed=seed)  # (num_samples, batch, pedestrians, T, 2)
    futures = tf.transpose(futures, (1, 0, 2, 3, 4))
    return tf.where(mask[:, None, :, None, None], futures, tf.constant(np.nan, futures.dtype))


def social_gan_signatures(model):
    """`(endpoints, metadata)` for `export_signatures`."""
    obs_len, pred_len = int(model.obs_len), int(model.pred_len)

    def predict(observed, mask, num_samples, seed):
        num_samples = checked_count(num_samples, name="num_samples")
        observed, mask = checked_scenes(observed, mask)
        return {"samples": predict_futures(model, observed, mask, num_samples, seed)}

    predict.nonfinite_inputs = ("observed",)  # padding the mask drops may be NaN; checked_scenes checks the rest

    endpoints = {"predict": (predict, [
        tf.TensorSpec((None, None, obs_len, 2), tf.float32, name="observed"),
        tf.TensorSpec((None, None), tf.bool, name="mask"),
        tf.TensorSpec((), tf.int32, name="num_samples"),
        tf.TensorSpec((), tf.int32, name="seed"),
    ])}
    return endpoints, {"model": model.name, "obs_len": obs_len, "pred_len": pred_len, "units": "metres"}


class SocialGANEndpoints(Endpoints):
    """`predict` as a numpy function over a trained `SocialGAN` or its SavedModel export (for apps and the CLI)."""

    def _read_export(self, metadata):
        self.obs_len, self.pred_len = int(metadata["obs_len"]), int(metadata["pred_len"])

    def _read_model(self, model):
        self.obs_len, self.pred_len = int(model.obs_len), int(model.pred_len)

    def predict(self, observed, mask, num_samples, seed=0):
        """(batch, pedestrians, obs_len, 2), (batch, pedestrians) -> (batch, num_samples, pedestrians, pred_len, 2)."""
        inputs = dict(observed=tf.constant(np.asarray(observed, np.float32)), mask=tf.constant(np.asarray(mask, bool)),
                      num_samples=tf.constant(int(num_samples), tf.int32), seed=tf.constant(int(seed), tf.int32))
        if self._model is not None:
            function, specs = social_gan_signatures(self._model)[0]["predict"]
            for spec in specs:
                inputs[spec.name] = tf.ensure_shape(inputs[spec.name], spec.shape)
            return function(**inputs)["samples"].numpy()
        return self._signatures["predict"](**inputs)["samples"].numpy()
