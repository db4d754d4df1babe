"""Load test of the one-page app: N concurrent `gradio_client` users, each calling every endpoint M times.

    python benchmarks/app_load.py --users=8 --calls=10

Serves `keras-gen app` (every shipped model, `apps/shipped_app.py`) with the same queue and limits as the CLI
(`apps.common.launch`), then starts `--users` threads; each opens its own client and calls every named endpoint
`--calls` times with valid arguments. Reports, per endpoint, the number of calls, errors, and latency percentiles
(the time a user waits, queueing included) to `benchmarks/results/app_load.json`; before the load, it records the
app's start-up time (imports, loading every shipped model, serving) and each endpoint's first call on the fresh server.
"""

import json
import os
import sys
import threading
import time

import numpy as np
from absl import app, flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # apps/, tests/

from provenance import provenance  # noqa: E402  (benchmarks/, the script's own folder)

flags.DEFINE_integer("users", 8, "Concurrent users.")
flags.DEFINE_integer("calls", 10, "Calls of each endpoint per user.")
flags.DEFINE_bool("distinct_seeds", False, "Each user sends its own seed (its index) instead of the default.")
flags.DEFINE_string("result", "benchmarks/results/app_load.json", "Where to write the JSON result.")
FLAGS = flags.FLAGS


def endpoint_arguments(client, picture):
    """Valid arguments for every named endpoint the page offers, read from its API description."""
    from gradio_client import handle_file

    arguments = {}
    for name, info in client.view_api(return_format="dict", print_info=False)["named_endpoints"].items():
        values = []
        for parameter in info["parameters"]:
            default = parameter.get("parameter_default")
            kind = parameter.get("python_type", {}).get("type", "")
            if kind.startswith("dict(background"):  # an image editor / sketchpad value
                values.append({"background": handle_file(picture), "layers": [], "composite": handle_file(picture)})
            elif "filepath" in kind:
                values.append(handle_file(picture))
            elif parameter.get("parameter_has_default"):
                values.append(default)
            else:
                values.append(0)
        arguments[name] = values
    return arguments


def main(argv):
    del argv
    from gradio_client import Client
    from PIL import Image

    from keras_gen_apps.common import launch
    from keras_gen_apps.shipped_app import build_app
    from tests.apps.serving import free_port

    record = provenance()
    picture = os.path.join("/tmp", "app_load_digit.png")
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    Image.fromarray(digit).save(picture)

    start = time.perf_counter()
    demo, port = build_app(), free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    startup = time.perf_counter() - start
    url = f"http://127.0.0.1:{port}/"
    first = Client(url, verbose=False)
    endpoints = endpoint_arguments(first, picture)
    first_calls = {}  # one visitor on a fresh server: what the first user of each endpoint waits
    for name, values in endpoints.items():
        begin = time.perf_counter()
        first.predict(*values, api_name=name)
        first_calls[name] = round(time.perf_counter() - begin, 3)
    names = {name: [p["parameter_name"] for p in info["parameters"]]
             for name, info in first.view_api(return_format="dict", print_info=False)["named_endpoints"].items()}
    latencies = {name: [] for name in endpoints}
    errors = {name: [] for name in endpoints}
    lock = threading.Lock()

    seed_positions = {name: [i for i, parameter in enumerate(parameters) if "seed" in parameter]
                      for name, parameters in names.items()}

    def user(index):
        client = Client(url, verbose=False)
        for _ in range(FLAGS.calls):
            for name, values in endpoints.items():
                if FLAGS.distinct_seeds:
                    values = [index if i in seed_positions[name] else value for i, value in enumerate(values)]
                start = time.perf_counter()
                try:
                    client.predict(*values, api_name=name)
                    with lock:
                        latencies[name].append(time.perf_counter() - start)
                except Exception as error:  # every failure is counted and reported, not raised
                    with lock:
                        errors[name].append(f"user {index}: {str(error)[:200]}")

    start = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,)) for i in range(FLAGS.users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    demo.close()

    per_endpoint = {}
    for name in endpoints:
        seconds = np.asarray(latencies[name])
        per_endpoint[name] = {
            "calls": len(seconds) + len(errors[name]), "errors": len(errors[name]), "error_messages": errors[name][:5],
            **({f"p{q}_seconds": round(float(np.percentile(seconds, q)), 3) for q in (50, 90, 99)} if len(seconds) else {}),
        }
    result = {**record, "users": FLAGS.users, "distinct_seeds": FLAGS.distinct_seeds, "calls_per_endpoint_per_user": FLAGS.calls, "wall_seconds": round(wall, 1),
              "startup_seconds": round(startup, 1), "first_call_seconds": first_calls,
              "total_calls": sum(item["calls"] for item in per_endpoint.values()),
              "total_errors": sum(item["errors"] for item in per_endpoint.values()), "endpoints": per_endpoint}
    os.makedirs(os.path.dirname(FLAGS.result), exist_ok=True)
    with open(FLAGS.result, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({key: result[key] for key in ("users", "total_calls", "total_errors", "wall_seconds")}))
    for name, item in per_endpoint.items():
        print(name, {key: value for key, value in item.items() if key != "error_messages"})


if __name__ == "__main__":
    app.run(main)
