"""The wall-clock budget of the training benchmarks."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops training after the epoch that ends past `seconds` from now (or past the absolute time `deadline`).

    Prints one line per epoch (elapsed seconds and the epoch's logs) and counts the epochs run in `epochs`.
    """

    def __init__(self, seconds=None, deadline=None):
        super().__init__()
        if (seconds is None) == (deadline is None):
            raise ValueError(f"Give one of `seconds` and `deadline`. Received: seconds={seconds!r}, deadline={deadline!r}")
        self.start, self.epochs = time.time(), 0
        self.deadline = deadline if deadline is not None else self.start + seconds

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        print(f"  epoch {epoch + 1}: {time.time() - self.start:.0f} s, "
              + ", ".join(f"{k}={float(v):.3f}" for k, v in sorted((logs or {}).items())), flush=True)
        if time.time() > self.deadline:
            self.model.stop_training = True
