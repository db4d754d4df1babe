"""Multi-scale sliced Wasserstein distance (SWD) between two image sets, as in Progressive GAN.

Each image is split into a Laplacian pyramid (5x5 binomial filter, levels down to `min_resolution`); random
7x7 neighbourhoods of every level are the descriptors of that scale; each set's descriptors are normalized per
level and channel (zero mean, unit standard deviation, over the set); the sliced Wasserstein distance between
the real and the generated descriptors of a level is the Wasserstein-1 distance of their 1-D projections onto
random unit directions, averaged over the directions. The finest level measures detail (edges, noise), the
coarsest colour and layout; the paper reports each level x 10^3, and so does `multiscale_swd`.

Both sets draw their neighbourhoods at the same seeded positions (common random numbers), so two identical
sets are at distance exactly 0 and the draw adds little variance to a comparison of two models.

Reference: Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and Variation" (2018),
https://arxiv.org/abs/1710.10196, section 5.1 and appendix D.
"""

import numpy as np

# 5-tap binomial kernel (an approximate Gaussian), applied separably along height and width.
BINOMIAL_KERNEL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
PAPER_SCALE = 1e3  # the paper's tables show SWD x 10^3


def _blur(images, kernel):
    from scipy import ndimage

    images = ndimage.correlate1d(images, kernel, axis=1, mode="mirror")
    return ndimage.correlate1d(images, kernel, axis=2, mode="mirror")


def pyramid_down(images):
    """(N, H, W, C) -> (N, H/2, W/2, C): binomial blur, then every second pixel."""
    return _blur(images, BINOMIAL_KERNEL)[:, ::2, ::2]


def pyramid_up(images):
    """(N, h, w, C) -> (N, 2h, 2w, C): zeros between the pixels, then the blur with 4x the gain (2x per axis)."""
    n, h, w, c = images.shape
    upsampled = np.zeros((n, 2 * h, 2 * w, c), images.dtype)
    upsampled[:, ::2, ::2] = images
    return _blur(upsampled, 2.0 * BINOMIAL_KERNEL)


def laplacian_pyramid(images, num_levels):
    """`num_levels` arrays, finest first: band-pass levels `G_i - up(G_{i+1})`, then the coarsest Gaussian level
    `G_{num_levels - 1}`. Summing `up` of each coarser level back into the finer one restores `images` exactly."""
    images = np.asarray(images, np.float64)
    levels, current = [], images
    for _ in range(num_levels - 1):
        smaller = pyramid_down(current)
        levels.append(current - pyramid_up(smaller))
        current = smaller
    levels.append(current)
    return levels


def patch_positions(image_shape, num_images, patches_per_image, patch_size, seed):
    """Top-left corners `(rows, cols)`, each `(num_images, patches_per_image)`, uniformly at random (seeded)."""
    rng = np.random.default_rng(seed)
    height, width = image_shape[:2]
    rows = rng.integers(0, height - patch_size + 1, (num_images, patches_per_image))
    cols = rng.integers(0, width - patch_size + 1, (num_images, patches_per_image))
    return rows, cols


def patch_descriptors(level, rows, cols, patch_size):
    """`(N * patches, patch_size**2 * C)` flattened neighbourhoods of `level` (N, H, W, C) at `rows`, `cols`."""
    offsets = np.arange(patch_size)
    image_index = np.arange(len(level))[:, None, None, None]
    row_index = (rows[:, :, None] + offsets)[:, :, :, None]  # (N, patches, size, 1)
    col_index = (cols[:, :, None] + offsets)[:, :, None, :]  # (N, patches, 1, size)
    patches = level[image_index, row_index, col_index]  # (N, patches, size, size, C)
    return patches.reshape(-1, patch_size * patch_size * level.shape[-1])


def normalize_descriptors(descriptors, channels):
    """Zero mean and unit standard deviation per channel over the whole set (every pixel of every descriptor)."""
    by_channel = descriptors.reshape(len(descriptors), -1, channels)
    mean = by_channel.mean(axis=(0, 1), keepdims=True)
    std = by_channel.std(axis=(0, 1), keepdims=True)
    return ((by_channel - mean) / np.maximum(std, 1e-8)).reshape(descriptors.shape)


def random_directions(dim, num_directions, seed):
    """`(dim, num_directions)` unit vectors, uniform on the sphere (normalized Gaussian draws)."""
    directions = np.random.default_rng(seed).standard_normal((dim, num_directions))
    return directions / np.linalg.norm(directions, axis=0, keepdims=True)


def projected_wasserstein(a, b, directions):
    """The Wasserstein-1 distance between the 1-D projections of `a` (n, dim) and `b` (n, dim) onto each column
    of `directions`: `(num_directions,)`. For equal sample counts the optimal 1-D coupling pairs sorted values."""
    if a.shape != b.shape:
        raise ValueError(f"Both descriptor sets must have the same shape. Received: a.shape={a.shape}, b.shape={b.shape}")
    projected_a = np.sort(a @ directions, axis=0)
    projected_b = np.sort(b @ directions, axis=0)
    return np.abs(projected_a - projected_b).mean(axis=0)


def sliced_wasserstein(a, b, num_directions=128, num_repeats=4, seed=0):
    """Mean of `projected_wasserstein` over `num_repeats` x `num_directions` random unit directions."""
    return float(np.mean([projected_wasserstein(a, b, random_directions(a.shape[1], num_directions, [seed, repeat]))
                          for repeat in range(num_repeats)]))


def multiscale_swd(real_images, fake_images, patches_per_image=128, patch_size=7, min_resolution=16,
                   num_directions=128, num_repeats=4, seed=0):
    """SWD x 10^3 per Laplacian-pyramid level between two image sets of one shape, and their mean.

    Args:
        real_images, fake_images: (N, H, W, C) floats (any common range, e.g. [0, 1]); the same N (draw equal
            numbers of samples), H = W a power of two times `min_resolution`.
        patches_per_image: neighbourhoods drawn per image and level (128 in the paper).
        patch_size: side of a neighbourhood (7 in the paper).
        min_resolution: the coarsest level's side (16 in the paper).
        num_directions, num_repeats: random projections: `num_repeats` draws of `num_directions` (4 x 128).
        seed: seeds the neighbourhood positions and the directions.

    Returns:
        `{"swd_<resolution>": value, ..., "swd_mean": mean}`, finest level first.
    """
    real_images, fake_images = np.asarray(real_images), np.asarray(fake_images)
    if real_images.ndim != 4 or real_images.shape != fake_images.shape:
        raise ValueError(f"`real_images` and `fake_images` must be (N, H, W, C) of one shape. Received: "
                         f"real_images.shape={real_images.shape}, fake_images.shape={fake_images.shape}")
    size = real_images.shape[1]
    num_levels = 1
    while size // 2**num_levels >= min_resolution and size % 2**num_levels == 0:
        num_levels += 1
    if size < min_resolution or size % 2 ** (num_levels - 1) or size // 2 ** (num_levels - 1) < patch_size:
        raise ValueError(f"Images must be at least min_resolution={min_resolution} pixels and as large as a "
                         f"patch at every level. Received: shape={real_images.shape}")
    channels = real_images.shape[-1]
    results = {}
    for index, (real_level, fake_level) in enumerate(zip(laplacian_pyramid(real_images, num_levels),
                                                         laplacian_pyramid(fake_images, num_levels))):
        rows, cols = patch_positions(real_level.shape[1:], len(real_level), patches_per_image, patch_size, [seed, index])
        real = normalize_descriptors(patch_descriptors(real_level, rows, cols, patch_size), channels)
        fake = normalize_descriptors(patch_descriptors(fake_level, rows, cols, patch_size), channels)
        distance = sliced_wasserstein(real, fake, num_directions, num_repeats, seed=seed + 1000 * (index + 1))
        results[f"swd_{real_level.shape[1]}"] = PAPER_SCALE * distance
    results["swd_mean"] = float(np.mean(list(results.values())))
    return results
