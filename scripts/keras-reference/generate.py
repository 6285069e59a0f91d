#!/usr/bin/env python3
"""Writes the Keras reference values that torchlet's tests compare Keras semantics against
(optimizer formulas and defaults, losses from probabilities, the seed program's training run).

Run it with a Python that has Keras 3 on TensorFlow (the project's .venv-keras):
    .venv-keras/bin/python scripts/keras-reference/generate.py OUT_DIR [SUITE ...]
Each suite is a module next to this file with a build() that returns a dict of arrays, numbers and
nested dicts; it is written to OUT_DIR/SUITE.json, in the format of scripts/reference/. The tests
never hard-code these numbers.
"""
import importlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the suites sit next to this file
from fixture import encode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = sorted(f[:-3] for f in os.listdir(HERE) if f.endswith(".py") and f not in ("generate.py", "fixture.py"))


def main(argv):
    if not argv:
        sys.exit(__doc__)
    out_dir, suites = argv[0], argv[1:] or SUITES
    os.makedirs(out_dir, exist_ok=True)
    import keras
    import tensorflow as tf

    # Reference values must not depend on the machine's thread count.
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    for suite in suites:
        keras.utils.set_random_seed(0)
        values = importlib.import_module(suite).build()
        path = os.path.join(out_dir, suite + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump({"keras": keras.__version__, "tensorflow": tf.__version__, "values": encode(values)}, f)
        os.replace(path + ".tmp", path)
        print(f"keras reference: wrote {path} (keras {keras.__version__})")


if __name__ == "__main__":
    main(sys.argv[1:])
