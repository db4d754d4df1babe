"""Latent vector arithmetic: mean(A) - mean(B) + mean(C), decoded.

Radford et al. (DCGAN, https://arxiv.org/abs/1511.06434, section 6.3): single latents are noisy, but the
average latent of a few samples sharing a property ("smiling woman") behaves like a concept vector, so
mean(smiling woman) - mean(neutral woman) + mean(neutral man) decodes to a smiling man.
"""

import numpy as np


def _group(latents, name):
    latents = np.asarray(latents, np.float32)
    if latents.ndim != 2 or len(latents) == 0:
        raise ValueError(f"`{name}` must be a non-empty (num, latent_dim) array. Received: {name}.shape={latents.shape}")
    return latents


def vector_arithmetic(group_a, group_b, group_c):
    """(n_a, D), (n_b, D), (n_c, D) -> (D,): mean(A) - mean(B) + mean(C)."""
    group_a, group_b, group_c = _group(group_a, "group_a"), _group(group_b, "group_b"), _group(group_c, "group_c")
    if not group_a.shape[1] == group_b.shape[1] == group_c.shape[1]:
        raise ValueError(
            "The groups must share the latent size. Received: "
            f"group_a.shape={group_a.shape}, group_b.shape={group_b.shape}, group_c.shape={group_c.shape}"
        )
    return group_a.mean(axis=0) - group_b.mean(axis=0) + group_c.mean(axis=0)


def groups_by_class(latents, labels, classes, group_size=None):
    """Picks one group of latents per entry of `classes` (e.g. `(a, b, c)`) by their labels.

    Args:
        latents: (N, D) latents.
        labels: (N,) class of each latent: the conditioning labels, or a classifier's prediction of the
            decoded sample when the model is unconditional.
        classes: the class of each group.
        group_size: keep at most this many latents per group (the first ones).

    Returns:
        A list of (n_i, D) arrays, one per class.
    """
    latents, labels = np.asarray(latents, np.float32), np.asarray(labels).reshape(-1)
    if len(latents) != len(labels):
        raise ValueError(f"`labels` must have one entry per latent ({len(latents)}). Received: labels.shape={labels.shape}")
    groups = []
    for label in classes:
        members = latents[labels == label][:group_size]
        if len(members) == 0:
            raise ValueError(f"No latent has class {label}: sample more, or pick another class. Received: classes={list(classes)}")
        groups.append(members)
    return groups


def arithmetic_by_class(latents, labels, classes, group_size=None):
    """mean(latents of class a) - mean(class b) + mean(class c), with `classes = (a, b, c)`; returns
    `(result (D,), groups)`."""
    if len(classes) != 3:
        raise ValueError(f"`classes` must name three classes (a, b, c). Received: classes={list(classes)}")
    groups = groups_by_class(latents, labels, classes, group_size)
    return vector_arithmetic(*groups), groups


def arithmetic_rows(decode, groups):
    """Decoded rows for a figure: each group `[decode(mean), decode(members)...]`, then `[decode(A - B + C)]`,
    padded with white (1.0) tiles to one width. `decode` maps (num, D) latents to images in [0, 1].

    Returns `(images (4 * width, H, W, C), width)`.
    """
    if len(groups) != 3:
        raise ValueError(f"`groups` must hold three groups (A, B, C). Received: {len(groups)} groups")
    result = vector_arithmetic(*groups)
    codes = [np.concatenate([g.mean(axis=0, keepdims=True), g]) if len(g) > 1 else np.asarray(g, np.float32)
             for g in (np.asarray(g, np.float32) for g in groups)] + [result[None]]
    width = max(len(c) for c in codes)
    rows = []
    for row_codes in codes:
        decoded = np.asarray(decode(row_codes), np.float32)
        blank = np.ones((width - len(decoded),) + decoded.shape[1:], np.float32)
        rows.append(np.concatenate([decoded, blank]))
    return np.concatenate(rows), width
