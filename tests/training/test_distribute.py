"""tf.distribute: mirrored training over two logical CPU devices matches one device; two workers on localhost."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np

from tests.helpers import REPO_ROOT, run_in_fresh_process

# Reparameterization noise is drawn per replica, so the comparison turns it off (z = posterior mean) to compare
# the gradient arithmetic exactly.
TINY_RUN = """
import keras, numpy as np, tensorflow as tf
keras.random.normal = lambda shape, seed=None, **kwargs: tf.zeros(shape)
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import train

def run(strategy, output_dir):
    config = TrainConfig(model="vae", dataset="synthetic_16", epochs=2, steps_per_epoch=4, batch_size=8, latent_dim=4,
                         learning_rate=0.01, output_dir=output_dir, options={{"hidden_units": "16"}}, strategy=strategy,
                         sample_every=0)
    model = train(config, verbose=0)
    return [np.asarray(w).tolist() for w in model.trainable_weights]
"""


MIRRORED_CHECK = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, REPO)
import keras, numpy as np
keras.random.normal = lambda shape, seed=None, **kwargs: tf.zeros(shape)
from keras_gen import data
from keras_gen.models.vae import build_vae
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import train

def fit(strategy):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), seed=1)
        model.compile(optimizer=keras.optimizers.Adam(0.01))
    # Unshuffled: a distributed dataset draws a seeded shuffle in another order, which is not what is compared here.
    model.fit(data.load("synthetic_16", "train", 8, shuffle=False, repeat=True), epochs=2, steps_per_epoch=4, verbose=0)
    return [np.asarray(w) for w in model.trainable_weights], model.optimizer.iterations.numpy()

single, steps_single = fit(tf.distribute.get_strategy())
mirrored_strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
mirrored, steps_mirrored = fit(mirrored_strategy)
run = train(TrainConfig(model="vae", dataset="synthetic_16", epochs=1, steps_per_epoch=2, batch_size=8, latent_dim=4,
                        output_dir=OUT, options={"hidden_units": "16"}, strategy="mirrored"), verbose=0)
print(json.dumps({"diff": max(float(np.abs(a - b).max()) for a, b in zip(single, mirrored)),
                  "moved": max(float(np.abs(a).max()) for a in single),
                  "replicas": mirrored_strategy.num_replicas_in_sync,
                  "steps": [int(steps_single), int(steps_mirrored)],
                  "runner_replicas": run.distribute_strategy.num_replicas_in_sync}))
"""


def test_mirrored_over_two_cpus_matches_one_device(tmp_path):
    code = MIRRORED_CHECK.replace("REPO", repr(REPO_ROOT)).replace("OUT", repr(str(tmp_path / "run")))
    result = run_in_fresh_process(code, timeout=300)
    assert result["replicas"] == 2 and result["runner_replicas"] == 2
    assert result["steps"] == [8, 8]
    assert result["moved"] > 0.05
    # Replicas' gradients of per-replica-scaled losses sum to the one-device gradient of the global batch.
    assert result["diff"] < 1e-5, result
    assert (tmp_path / "run" / "model.keras").exists()


GAN_MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, REPO)
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import train
gan = train(TrainConfig(model="cgan", dataset="synthetic_16", epochs=1, steps_per_epoch=2, batch_size=8, latent_dim=6,
                        output_dir=OUT, options={"base_filters": "4"}, strategy="mirrored", sample_every=0), verbose=0)
print(json.dumps({"replicas": gan.distribute_strategy.num_replicas_in_sync, "steps": int(gan.g_optimizer.iterations.numpy()),
                  "d_steps": int(gan.d_optimizer.iterations.numpy())}))
"""


def test_two_optimizer_conditional_gan_trains_mirrored(tmp_path):
    # Class embeddings give IndexedSlices gradients whose size depends on the labels each replica saw; the trainer
    # densifies them so the replicas' all-reduces agree in shape.
    code = GAN_MIRRORED.replace("REPO", repr(REPO_ROOT)).replace("OUT", repr(str(tmp_path / "cgan")))
    result = run_in_fresh_process(code, timeout=300)
    assert result == {"replicas": 2, "steps": 2, "d_steps": 2}


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_train_the_same_model(tmp_path):
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    code = textwrap.dedent(TINY_RUN.format()) + textwrap.dedent(f"""
    import json
    weights = run("multi_worker", {str(tmp_path / "run")!r})
    print(json.dumps({{"weights": weights}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**env, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})})
        for i in range(2)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        outputs.append(json.loads(stdout.strip().splitlines()[-1])["weights"])
    for a, b in zip(*outputs):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-6)  # all-reduced updates keep workers in sync
    assert (tmp_path / "run" / "model.keras").exists()  # worker 0 is the chief and writes the run
    assert (tmp_path / "run" / "workers" / "worker_1" / "model.keras").exists()  # worker 1 writes aside
