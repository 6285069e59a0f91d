#!/usr/bin/env python3
"""Opens .keras files with Keras's own keras.saving.load_model and writes its predictions, for the
tests of the .keras files torchlet writes (test/model/keras-file.test.ts). One run takes many files,
as TensorFlow takes seconds to import.

    .venv-keras/bin/python scripts/keras-predict.py JOB.json OUT.json

JOB.json: {"models": [{"path": "a.keras", "x": {"dtype", "shape", "base64"}}, ...]}, arrays in the
format of scripts/keras-reference/fixture.py; "x" is a list of them for a model of several inputs.
OUT.json: {"keras": version, "predictions": [{"y": array (a list for several outputs), "layers": [class
names], "error": null} or {"error": "message"}, ...]}, in the same order.
"""
import base64
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras-reference"))
from fixture import encode  # noqa: E402

import numpy as np  # noqa: E402


def decode(value):
    return np.frombuffer(base64.b64decode(value["base64"]), dtype=np.dtype(value["dtype"]).newbyteorder("<")).reshape(value["shape"])


def main(job_path, out_path):
    import keras
    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    with open(job_path) as f:
        job = json.load(f)
    predictions = []
    for entry in job["models"]:
        try:
            model = keras.saving.load_model(entry["path"])
            x = entry["x"]
            y = model.predict([decode(a) for a in x] if isinstance(x, list) else decode(x), verbose=0)
            predictions.append({"y": y, "layers": [layer.__class__.__name__ for layer in model.layers], "error": None})
        except Exception as error:  # the test reports which file Keras refused, and why
            predictions.append({"error": f"{type(error).__name__}: {error}"})
    with open(out_path + ".tmp", "w") as f:
        json.dump({"keras": keras.__version__, "predictions": encode(predictions)}, f)
    os.replace(out_path + ".tmp", out_path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
