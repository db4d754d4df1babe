"""Text-to-image evaluation on `captioned_digits`' held-out captions: do the images show what the captions say?

- class accuracy: the shipped MNIST classifier names the digit the caption names;
- attribute accuracy: the attribute functions that wrote the captions (`keras_gen.data.digit_attributes`) measure
  on the generated image what the caption says (thickness, size, slant, position; each over the captions that
  mention it);
- R-precision (AttnGAN's protocol with R = 1): the model's own image and text encoders rank a generated image's
  caption first among it and 99 captions that say something else; chance is 1/100. Reported for real test images
  too (what the encoders manage on real data);
- classifier FD (and KID, precision/recall) of the samples against the test images.
"""

import numpy as np

from keras_gen.data import digit_attributes
from keras_gen.data.captions import captioned_digits
from keras_gen.metrics.evaluate import sample_quality
from keras_gen.metrics.gan import classify_digits
from keras_gen.utils.value_range import to_signed

R_PRECISION_CANDIDATES = 100


def attribute_accuracy(images, said):
    """`{attribute: fraction of images measured as their caption says}` over the captions that mention it.

    Args:
        images: (N, H, W, 1) in [0, 1].
        said: N dicts `{"class": ..., attribute: word}` (`keras_gen.data.captions.mentions`).
    """
    measured = digit_attributes.measure(images)
    results = {}
    for name in digit_attributes.ATTRIBUTES:
        hits = [m[name] == s[name] for m, s in zip(measured, said) if name in s]
        if hits:
            results[name] = float(np.mean(hits))
    return results


def r_precision(image_embeddings, text_embeddings, said, candidates=R_PRECISION_CANDIDATES, seed=0):
    """Fraction of images whose own caption (row i of `text_embeddings`) has the highest cosine similarity among
    itself and `candidates - 1` captions of the pool that say something different (`said` differs).

    Args:
        image_embeddings: (N, D). text_embeddings: (N, D), the i-th caption describing the i-th image.
        said: N dicts, what each caption says (two captions saying the same are never each other's distractors).
    """
    if len(said) != len(image_embeddings) or len(text_embeddings) != len(image_embeddings):
        raise ValueError(f"One caption per image needed. Received: {len(image_embeddings)} images, "
                         f"{len(text_embeddings)} texts, {len(said)} descriptions")
    rng = np.random.default_rng(seed)
    keys = [tuple(sorted(s.items())) for s in said]
    images = image_embeddings / (np.linalg.norm(image_embeddings, axis=1, keepdims=True) + 1e-8)
    texts = text_embeddings / (np.linalg.norm(text_embeddings, axis=1, keepdims=True) + 1e-8)
    hits = []
    for i in range(len(images)):
        others = np.array([j for j in range(len(keys)) if keys[j] != keys[i]])
        if len(others) < candidates - 1:
            raise ValueError(f"R-precision needs {candidates - 1} different captions per image. Received: "
                             f"{len(others)} for caption {i}")
        distractors = rng.choice(others, candidates - 1, replace=False)
        scores = texts[np.concatenate([[i], distractors])] @ images[i]
        hits.append(scores[0] > scores[1:].max())
    return float(np.mean(hits))


def _embed(model, images, captions, batch_size=250):
    image_embeddings, text_embeddings = [], []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(to_signed(np.asarray(images[start:start + batch_size], np.float32)))
        image_embeddings.append(np.asarray(model.image_encoder(batch, training=False)))
        text_embeddings.append(np.asarray(model.encode_text(list(captions[start:start + batch_size]))))
    return np.concatenate(image_embeddings), np.concatenate(text_embeddings)


def held_out_captions(num, seed=0):
    """`(captions, said, image_index)` of `num` test captions of `captioned_digits` (held-out templates), in a
    seeded order, cycled if `num` exceeds them."""
    test = captioned_digits("test")
    order = np.random.default_rng(seed).permutation(len(test.captions))
    order = np.resize(order, num)
    return test.captions[order], [test.said[i] for i in order], test.image_index[order]


def evaluate_text_to_image(sample_fn, model, request, batch_size=250):
    """The metrics above on `request.num_examples` (default 1,000) held-out captions.

    Args:
        sample_fn: `(captions, seed) -> images in [0, 1]`.
        model: the `TextToImageGAN` (its encoders give R-precision; skipped without an image encoder).
        request: an `EvalRequest`; its dataset must be `captioned_digits`.
    """
    if request.dataset != "captioned_digits":
        raise ValueError("Text-to-image evaluation measures captions written from digit attributes: it needs "
                         f"dataset='captioned_digits'. Received: dataset={request.dataset!r}")
    num = max(int(request.num_examples or 1000), 2)
    captions, said, image_index = held_out_captions(num, seed=request.seed)
    images = np.concatenate([sample_fn(list(captions[start:start + batch_size]), request.seed + start)
                             for start in range(0, num, batch_size)])
    test = captioned_digits("test")
    real_images = test.images.astype(np.float32) / 255.0
    results = {"num_samples": num, "num_held_out_captions": int(len(test.captions)),
               "held_out_templates": sorted(set(str(t) for t in test.templates))}
    results.update({f"quality_{k}": v for k, v in sample_quality(real_images, images, "mnist_classifier",
                                                                 kid_subset_size=min(500, len(real_images))).items()})
    results["classifier_fd"] = results.pop("quality_fd")
    classes = np.array([s["class"] for s in said])
    judged = classify_digits(images)
    results["class_accuracy"] = None if judged is None else float(np.mean(judged[0] == classes))
    results["attribute_accuracy"] = attribute_accuracy(images, said)
    results["real_attribute_accuracy"] = attribute_accuracy(real_images[image_index], said)  # 1.0 by construction
    if model.image_encoder is not None:
        results["r_precision"] = r_precision(*_embed(model, images, captions), said, seed=request.seed)
        results["real_r_precision"] = r_precision(*_embed(model, real_images[image_index], captions), said,
                                                  seed=request.seed)
        results["r_precision_chance"] = 1.0 / R_PRECISION_CANDIDATES
    return results
