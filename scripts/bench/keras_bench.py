#!/usr/bin/env python3
"""The Keras side of the benchmark (scripts/bench/benchmark.mjs --keras): the seed program's own
stack, Keras 3 on TensorFlow, run as the seed program runs it. It builds the model from torchlet's
model.json with keras.layers (Keras's names; kernels transposed from torchlet's layout) and
loads torchlet's initial weights, compiles it with 'adam' and sparse categorical cross-entropy,
and times model.fit over the pass's batches (shuffle off), or model.predict. The images are held
as float32 / 255 in memory, as the seed program holds them. It speaks the protocol of
pytorch_bench.py (bench_common.serve)."""
import argparse
import json
import os
import resource
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import add_runner_arguments, read_safetensors, serve  # noqa: E402


def build(keras, model_json, weights):
    """A keras.Sequential equivalent to torchlet's Sequential, with its weights."""
    layers = keras.layers
    model = keras.Sequential([keras.Input(tuple(model_json["inputShape"]))])
    for layer in model_json["layers"]:
        kind, c = layer["className"], layer["config"]
        name = c["name"]
        if kind == "Conv2D":
            model.add(layers.Conv2D(c["filters"], c["kernelSize"], c["strides"], c["padding"], dilation_rate=c["dilationRate"],
                                    groups=c["groups"], activation=c["activation"], use_bias=c["useBias"], name=name))
            values = [weights[f"{name}/kernel"].transpose(2, 3, 1, 0)]  # [out, in, kh, kw] → [kh, kw, in, out]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            cls = layers.MaxPooling2D if kind == "MaxPooling2D" else layers.AveragePooling2D
            model.add(cls(c["poolSize"], c["strides"], c["padding"], name=name))
            values = []
        elif kind == "GlobalAveragePooling2D":
            model.add(layers.GlobalAveragePooling2D(name=name))
            values = []
        elif kind == "Flatten":
            model.add(layers.Flatten(name=name))
            values = []
        elif kind == "Dense":
            model.add(layers.Dense(c["units"], activation=c["activation"], use_bias=c["useBias"], name=name))
            values = [weights[f"{name}/kernel"].T]  # [out, in] → [in, out]
        elif kind == "BatchNormalization":
            model.add(layers.BatchNormalization(momentum=c["momentum"], epsilon=c["epsilon"], name=name))
            values = [weights[f"{name}/{w}"] for w in ("gamma", "beta", "moving_mean", "moving_variance")]
        elif kind in ("Activation", "ReLU"):
            model.add(layers.Activation(c.get("activation", "relu"), name=name))
            values = []
        else:
            raise SystemExit(f"keras_bench: layer class {kind} is not supported here")
        if values and c.get("useBias", False) and kind != "BatchNormalization":
            values.append(weights[f"{name}/bias"])
        if values:
            model.layers[-1].set_weights(values)
    return model


def main():
    p = argparse.ArgumentParser()
    add_runner_arguments(p)
    a = p.parse_args()
    if a.device != "cpu":
        raise SystemExit("keras_bench: this runner is TensorFlow for the CPU only (tensorflow-cpu)")

    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    keras.utils.set_random_seed(a.seed)
    with open(a.model) as f:
        model_json = json.load(f)
    model = build(keras, model_json, read_safetensors(a.weights))
    # The data: enough batches for the longest pass, made once (a pass wraps round them).
    rng = np.random.default_rng(a.seed)
    count = max(a.steps, a.warmup) * a.batch_size
    x = rng.integers(0, 256, (count, *model_json["inputShape"]), dtype=np.uint8).astype(np.float32) / np.float32(255)
    y = rng.integers(0, 10, count)
    batches = count // a.batch_size

    def batches_from(first, n):
        """The pass's batches as windows of the data, split where they wrap round."""
        i = first % batches
        while n > 0:
            take = min(n, batches - i)
            yield slice(i * a.batch_size, (i + take) * a.batch_size)
            n -= take
            i = 0

    if a.workload == "train":
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

        def run(first, n):
            for w in batches_from(first, n):
                model.fit(x[w], y[w], batch_size=a.batch_size, epochs=1, shuffle=False, verbose=0)
    else:

        def run(first, n):
            for w in batches_from(first, n):
                model.predict(x[w], batch_size=a.batch_size, verbose=0)

    info = {"kerasVersion": keras.__version__, "tensorflowVersion": tf.__version__, "threads": a.threads, "device": "cpu"}
    serve(a, run, lambda: None, info, lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


if __name__ == "__main__":
    main()
