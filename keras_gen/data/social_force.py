"""Crowds simulated with the social force model, written out in the ETH/UCY text format (frame, id, x, y).

Each pedestrian is driven towards its goal and pushed away from the others and from walls (Helbing & Molnar,
"Social force model for pedestrian dynamics", 1995, https://arxiv.org/abs/cond-mat/9805244):

    dv_a/dt = (v0_a e_a - v_a) / tau  +  sum_b w(e_a, -f_ab) f_ab  +  sum_W f_aW  (+ group cohesion)

with the pedestrian repulsion f_ab = -grad_{r_ab} V0 exp(-b / sigma), where b is the semi-minor axis of the
ellipse through a's position with foci at b's current and next position:
2b = sqrt((|r_ab| + |r_ab - v_b dt e_b|)^2 - (v_b dt)^2); wall repulsion f_aW = U0 / R exp(-|r_aW| / R) r_aW / |r_aW|;
w = 1 inside a 200 degree field of view, c = 0.5 behind. Walking groups (the "groups" scene) add an attraction to
their centroid beyond 1 m (a simple cohesion term in the spirit of Moussaid et al. 2010).

Everything is vectorized over the pedestrians on the floor (numpy, no JIT); a scene is one seeded
`numpy.random.Generator`, so the same seed gives the same rows to the last bit. `pysocialforce` runs with our pins
but pulls in numba and llvmlite and JIT-compiles for about 8 s on first use, so this module implements the same
equations instead.
"""

import numpy as np

# Helbing & Molnar (1995) parameters.
TAU = 0.5  # s, relaxation time of the driving force
V0_PEDESTRIAN = 2.1  # m^2/s^2
SIGMA = 0.3  # m
U0_WALL = 10.0  # m^2/s^2
R_WALL = 0.2  # m
FIELD_OF_VIEW = np.deg2rad(100.0)  # half-angle
BEHIND_WEIGHT = 0.5
DESIRED_SPEED = (1.34, 0.26)  # m/s, mean and spread (normal)
MAX_SPEED_FACTOR = 1.3
GROUP_ATTRACTION = 1.0  # m/s^2 per metre beyond GROUP_RADIUS
GROUP_RADIUS = 1.0
MIN_SPAWN_DISTANCE = 0.6  # m between a new pedestrian and anyone already at the entrance

DT = 0.1  # integration step, s
FRAME_EVERY = 4  # one recorded frame every 4 steps: 2.5 fps, as ETH/UCY
FRAME_ID_STEP = 10  # frame numbers step by 10, as in the ETH/UCY files
SCENES = ("corridor", "crossing", "groups")


def _repulsion_potential(r_ab, speed_b, e_b, dt):
    """V0 exp(-b / sigma) for displacements `r_ab` (..., 2) from b to a."""
    step = (speed_b * dt)[..., None] * e_b
    norm = np.linalg.norm(r_ab, axis=-1)
    ahead = np.linalg.norm(r_ab - step, axis=-1)
    b = 0.5 * np.sqrt(np.maximum((norm + ahead) ** 2 - (speed_b * dt) ** 2, 1e-8))
    return V0_PEDESTRIAN * np.exp(-b / SIGMA)


def pedestrian_forces(positions, velocities, directions, dt=2.0, delta=1e-3):
    """(n, 2) repulsive forces among `n` pedestrians (field-of-view weighted), gradient by central differences.

    `dt` is the time horizon of the ellipse (2 s in Helbing & Molnar), not the integration step."""
    n = len(positions)
    if n < 2:
        return np.zeros_like(positions)
    r_ab = positions[:, None, :] - positions[None, :, :]  # (a, b, 2)
    speed = np.linalg.norm(velocities, axis=-1)
    e_b = np.broadcast_to(directions[None, :, :], r_ab.shape)
    speed_b = np.broadcast_to(speed[None, :], r_ab.shape[:2])
    gradient = np.zeros_like(r_ab)
    for axis in range(2):
        shift = np.zeros(2)
        shift[axis] = delta
        gradient[..., axis] = (_repulsion_potential(r_ab + shift, speed_b, e_b, dt)
                               - _repulsion_potential(r_ab - shift, speed_b, e_b, dt)) / (2 * delta)
    force = -gradient
    # Field of view: a force from behind a's walking direction counts only BEHIND_WEIGHT.
    in_view = np.einsum("ad,abd->ab", directions, -force) >= np.linalg.norm(force, axis=-1) * np.cos(FIELD_OF_VIEW)
    force = force * np.where(in_view, 1.0, BEHIND_WEIGHT)[..., None]
    force[np.arange(n), np.arange(n)] = 0.0
    return force.sum(axis=1)


def wall_forces(positions, walls):
    """(n, 2) repulsion from horizontal walls `y = w` (a tuple of heights)."""
    force = np.zeros_like(positions)
    for height in walls:
        offset = positions[:, 1] - height  # signed distance, the force points away from the wall
        distance = np.maximum(np.abs(offset), 1e-3)
        force[:, 1] += U0_WALL / R_WALL * np.exp(-distance / R_WALL) * np.sign(offset)
    return force


def group_forces(positions, groups):
    """(n, 2) attraction to the centroid of each pedestrian's group (-1: alone) beyond GROUP_RADIUS."""
    force = np.zeros_like(positions)
    for group in np.unique(groups[groups >= 0]):
        members = groups == group
        if members.sum() < 2:
            continue
        to_centre = positions[members].mean(axis=0) - positions[members]
        distance = np.linalg.norm(to_centre, axis=-1, keepdims=True)
        force[members] = GROUP_ATTRACTION * np.maximum(distance - GROUP_RADIUS, 0.0) * to_centre / np.maximum(distance, 1e-6)
    return force


class _Crowd:
    """The pedestrians on the floor: positions, velocities, goals (points they walk to), speeds, groups, ids."""

    def __init__(self):
        self.positions = np.zeros((0, 2))
        self.velocities = np.zeros((0, 2))
        self.goals = np.zeros((0, 2))
        self.desired = np.zeros(0)
        self.groups = np.zeros(0, int)
        self.ids = np.zeros(0, int)
        self.next_id = 1

    def add(self, positions, goals, desired, group=-1):
        positions, goals = np.atleast_2d(positions), np.atleast_2d(goals)
        direction = goals - positions
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        count = len(positions)
        self.positions = np.concatenate([self.positions, positions])
        self.velocities = np.concatenate([self.velocities, direction * desired[:, None]])
        self.goals = np.concatenate([self.goals, goals])
        self.desired = np.concatenate([self.desired, desired])
        self.groups = np.concatenate([self.groups, np.full(count, group)])
        self.ids = np.concatenate([self.ids, np.arange(self.next_id, self.next_id + count)])
        self.next_id += count

    def keep(self, kept):
        for name in ("positions", "velocities", "goals", "desired", "groups", "ids"):
            setattr(self, name, getattr(self, name)[kept])

    def step(self, walls):
        to_goal = self.goals - self.positions
        directions = to_goal / np.maximum(np.linalg.norm(to_goal, axis=-1, keepdims=True), 1e-6)
        acceleration = (self.desired[:, None] * directions - self.velocities) / TAU
        acceleration += pedestrian_forces(self.positions, self.velocities, directions)
        acceleration += wall_forces(self.positions, walls) + group_forces(self.positions, self.groups)
        velocities = self.velocities + DT * acceleration
        # Speeds are capped at 1.3 times the desired speed.
        speed = np.linalg.norm(velocities, axis=-1, keepdims=True)
        cap = MAX_SPEED_FACTOR * self.desired[:, None]
        self.velocities = velocities * np.minimum(1.0, cap / np.maximum(speed, 1e-9))
        self.positions = self.positions + DT * self.velocities


def _desired_speeds(rng, count):
    return np.clip(rng.normal(*DESIRED_SPEED, size=count), 0.6, 2.0)


def simulate_scene(scene, seed, num_frames=400, rate=0.25):
    """Rows `(frame, pedestrian id, x, y)` float64 of one simulated scene, recorded at 2.5 fps.

    Args:
        scene: `corridor` (a 5 m wide, 24 m long corridor, flows from both ends), `crossing` (an open square
            crossed by a west-east and a south-north flow) or `groups` (a 7 m wide corridor, groups of 2-3 walking
            together in both directions).
        seed: the scene's random seed (arrivals, positions, desired speeds).
        num_frames: recorded frames (frame numbers 0, 10, 20, ...).
        rate: expected arrivals per second at each entrance (Poisson).
    """
    if scene not in SCENES:
        raise ValueError(f"`scene` must be one of {', '.join(SCENES)}. Received: scene={scene!r}")
    rng = np.random.default_rng(seed)
    crowd, rows = _Crowd(), []
    length = 24.0 if scene != "crossing" else 16.0
    half_width = {"corridor": 2.5, "crossing": 8.0, "groups": 3.5}[scene]
    walls = (-half_width, half_width) if scene != "crossing" else ()
    group_id = 0
    warmup = 100  # steps simulated before the first recorded frame, so the floor is already busy
    for step in range(warmup + num_frames * FRAME_EVERY):
        for entrance in range(2):
            if rng.random() >= rate * DT * (0.6 if scene == "groups" else 1.0):
                continue
            size = rng.integers(2, 4) if scene == "groups" else 1
            lateral = rng.uniform(-half_width + 0.6, half_width - 0.6) + 0.7 * (np.arange(size) - (size - 1) / 2)
            along = -rng.uniform(0.0, 0.3, size)  # members of a group walk abreast
            if scene == "crossing" and entrance == 1:  # south -> north
                start = np.stack([lateral, -length / 2 + along], -1)
                goal = np.stack([lateral, np.full(size, length / 2 + 2)], -1)
            else:
                sign = 1.0 if entrance == 0 else -1.0  # west -> east, east -> west
                start = np.stack([sign * (-length / 2 + along), lateral], -1)
                goal = np.stack([np.full(size, sign * (length / 2 + 2)), lateral], -1)
            spacing = np.linalg.norm(start[:, None] - np.concatenate([crowd.positions, start])[None], axis=-1)
            if np.sum(spacing < MIN_SPAWN_DISTANCE) > size:  # the entrance is busy: this arrival is dropped
                continue
            crowd.add(start, goal, _desired_speeds(rng, size), group=group_id if size > 1 else -1)
            group_id += 1
        crowd.step(walls)
        crowd.keep(np.all(np.abs(crowd.positions) <= length / 2 + 1, axis=-1))
        if step >= warmup and (step - warmup) % FRAME_EVERY == 0:
            frame = (step - warmup) // FRAME_EVERY * FRAME_ID_STEP
            rows.append(np.column_stack([np.full(len(crowd.ids), frame), crowd.ids, crowd.positions]))
    return np.concatenate(rows).astype(np.float64)


def write_eth_ucy(rows, path):
    """Writes rows `(frame, id, x, y)` as an ETH/UCY text file (tab-separated)."""
    np.savetxt(path, rows, fmt=["%.1f", "%.1f", "%.4f", "%.4f"], delimiter="\t")
    return path
