"""Latent tools for style-based generators, on numpy arrays of per-layer latents `ws (batch, num_ws, w_dim)`.

Each takes a `synthesize(ws) -> images in [0, 1]` callable (a Keras model's EMA generator or an export's
`synthesize` signature), so they work the same on both.
"""

import numpy as np

from keras_gen.latent.interpolation import lerp


def _check_crossover(crossover, num_ws):
    if not isinstance(crossover, (int, np.integer)) or not 0 <= crossover <= num_ws:
        raise ValueError(f"`crossover` must be an integer in [0, {num_ws}]. Received: crossover={crossover!r}")


def mix_styles(ws_a, ws_b, crossover):
    """Rows `< crossover` (coarse styles) from `ws_a`, the rest (fine styles) from `ws_b`; same shapes."""
    ws_a, ws_b = np.asarray(ws_a, np.float32), np.asarray(ws_b, np.float32)
    if ws_a.shape != ws_b.shape or ws_a.ndim != 3:
        raise ValueError(f"`ws_a` and `ws_b` must both be (batch, num_ws, w_dim). Received: {ws_a.shape}, {ws_b.shape}")
    _check_crossover(crossover, ws_a.shape[1])
    mixed = ws_b.copy()
    mixed[:, :crossover] = ws_a[:, :crossover]
    return mixed


def style_mixing_grid(synthesize, ws_rows, ws_columns, crossover):
    """The paper's style-mixing figure as `(images, ncols)`.

    Layout `(rows + 1) x (columns + 1)`: the top row shows the column sources B (after a blank corner), the first
    column the row sources A; cell (i, j) takes the coarse styles (rows < `crossover`) from A_i and the fine ones
    from B_j.
    """
    ws_rows, ws_columns = np.asarray(ws_rows, np.float32), np.asarray(ws_columns, np.float32)
    rows, columns = len(ws_rows), len(ws_columns)
    sources_a, sources_b = synthesize(ws_rows), synthesize(ws_columns)
    pairs_a = np.repeat(ws_rows, columns, axis=0)  # (rows * columns, num_ws, w_dim), row-major
    pairs_b = np.tile(ws_columns, (rows, 1, 1))
    mixed = synthesize(mix_styles(pairs_a, pairs_b, crossover)).reshape(rows, columns, *sources_a.shape[1:])
    blank = np.ones_like(sources_a[:1])
    grid = [np.concatenate([blank, sources_b])]
    for i in range(rows):
        grid.append(np.concatenate([sources_a[i:i + 1], mixed[i]]))
    return np.concatenate(grid), columns + 1


def truncate_styles(ws, w_avg, psi, cutoff=None):
    """`w_avg + psi (ws - w_avg)` on the rows before `cutoff` (all when None), in numpy."""
    ws = np.asarray(ws, np.float32)
    truncated = w_avg[None, None] + np.float32(psi) * (ws - w_avg[None, None])
    cutoff = ws.shape[1] if cutoff is None else min(int(cutoff), ws.shape[1])
    out = ws.copy()
    out[:, :cutoff] = truncated[:, :cutoff]
    return out


def truncation_sweep(synthesize, ws, w_avg, psis=(0.0, 0.25, 0.5, 0.75, 1.0), cutoff=None):
    """`(images, ncols)`: one row per latent, one column per psi."""
    ws = np.asarray(ws, np.float32)
    rows = [truncate_styles(ws, np.asarray(w_avg, np.float32), psi, cutoff) for psi in psis]
    stacked = np.stack(rows, axis=1).reshape(-1, *ws.shape[1:])  # (batch * len(psis), num_ws, w_dim)
    return synthesize(stacked), len(psis)


def interpolate_styles(ws_start, ws_end, steps):
    """`(steps, num_ws, w_dim)`: the straight line in W between two per-layer latent stacks (W is not Gaussian,
    so lerp, not slerp)."""
    ws_start, ws_end = np.asarray(ws_start, np.float32), np.asarray(ws_end, np.float32)
    path = lerp(ws_start.reshape(-1), ws_end.reshape(-1), steps)
    return path.reshape(steps, *ws_start.shape)
