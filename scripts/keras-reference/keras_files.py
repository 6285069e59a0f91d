""".keras files as Keras writes them (test/model/keras-file.test.ts): models built and saved by
Keras with random weights, each with the file's bytes, an input batch and Keras's predictions on it;
torchlet must load each file and predict the same. Also a file with a layer torchlet lacks."""
import os
import tempfile

import numpy as np
from keras import Input, Sequential, layers

from functional import resnet20, two_in_two_out


def reference_cnn():
    """The seed program's CIFAR-10 model (DESIGN.md)."""
    return Sequential([
        Input((32, 32, 3)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(128, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax"),
    ])


def image_layers():
    """Most of the image layers, some under names of their own (the weights file keys layers by class, not name)."""
    return Sequential([
        Input((12, 10, 3)),
        layers.Rescaling(1 / 255, offset=-0.5),
        layers.ZeroPadding2D(((1, 0), (0, 1))),
        layers.Conv2D(6, 3, strides=(1, 2), padding="same", activation="tanh", name="first_conv"),
        layers.BatchNormalization(momentum=0.9, epsilon=1e-3),
        layers.ReLU(max_value=6.0),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
        layers.SeparableConv2D(5, 3, depth_multiplier=2, dilation_rate=1, use_bias=True, name="sep"),
        layers.LayerNormalization(epsilon=1e-5),
        layers.MaxPooling2D(2, strides=1, padding="same"),
        layers.AveragePooling2D(2),
        layers.UpSampling2D((2, 3), interpolation="nearest"),
        layers.Conv2D(4, (2, 3), dilation_rate=(1, 2), groups=1, use_bias=False),
        layers.Activation("gelu"),
        layers.Dropout(0.3),
        layers.Permute((2, 1, 3)),
        layers.Conv2D(4, 1, groups=2),
        layers.BatchNormalization(center=False),
        layers.GlobalMaxPooling2D(keepdims=True),
        layers.Reshape((-1,)),
        layers.Dense(7, activation="swish"),
        layers.Dense(3),
        layers.Softmax(),
    ])


def global_average():
    return Sequential([
        Input((6, 6, 2)),
        layers.Conv2D(3, 3, padding="same", activation="elu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="sigmoid"),
    ])


def sequence_layers():
    return Sequential([
        Input((9,), dtype="int32"),
        layers.Embedding(13, 6),
        layers.Conv1D(5, 3, padding="causal", dilation_rate=2, activation="relu"),
        layers.Conv1D(4, 2, strides=2, padding="same"),
        layers.LayerNormalization(axis=-1, center=False),
        layers.Flatten(),
        layers.Dense(3, activation="log_softmax"),
    ])


def recurrent_layers():
    """LSTM and GRU (Keras keeps their variables under cell/vars) over a sequence, and a transposed convolution."""
    return Sequential([
        Input((7, 4)),
        layers.LSTM(5, return_sequences=True),
        layers.GRU(3, return_sequences=True, go_backwards=True),
        layers.LSTM(4, activation="relu", unit_forget_bias=False),
        layers.Dense(2),
    ])


def transposed():
    return Sequential([
        Input((5, 5, 3)),
        layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(2, (2, 3), strides=(2, 1), output_padding=(1, 0), use_bias=False),
        layers.Flatten(),
        layers.Dense(2),
    ])


def unsupported():
    return Sequential([Input((6, 6, 2)), layers.Conv2D(3, 3), layers.Cropping2D(1), layers.Flatten()])


MODELS = {"reference_cnn": reference_cnn, "image_layers": image_layers, "global_average": global_average,
          "sequence_layers": sequence_layers, "recurrent_layers": recurrent_layers, "transposed": transposed}
# Functional models (scripts/keras-reference/functional.py's): x and y are lists, one per input and output.
FUNCTIONAL = {"two_in_two_out": two_in_two_out, "resnet20": resnet20}


def random_weights(model, rng):
    """Random weights for every variable; batch norm's moving variances positive."""
    weights = []
    for v in model.weights:
        w = rng.standard_normal(v.shape).astype(np.float32) * 0.5
        if "moving_variance" in v.path:
            w = np.abs(w) + 0.5
        weights.append(w)
    model.set_weights(weights)


def file_bytes(model, directory, name):
    path = os.path.join(directory, name + ".keras")
    model.save(path)
    with open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8)


def build():
    rng = np.random.default_rng(11)
    out = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, make in MODELS.items():
            model = make()
            random_weights(model, rng)
            if name == "reference_cnn":  # as the seed program saves it: compiled, with an optimizer in the file
                model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            shape = model.inputs[0].shape[1:]
            if name == "sequence_layers":
                x = rng.integers(0, 13, (4, *shape)).astype(np.float32)
            elif name == "image_layers":
                x = rng.integers(0, 256, (4, *shape)).astype(np.float32)
            else:
                x = rng.standard_normal((4, *shape)).astype(np.float32)
            out[name] = {"file": file_bytes(model, directory, name), "x": x, "y": model.predict(x, verbose=0)}
        for name, make in FUNCTIONAL.items():
            model = make()
            random_weights(model, rng)
            x = [rng.standard_normal((3, *t.shape[1:])).astype(np.float32) for t in model.inputs]
            y = model.predict(x if len(x) > 1 else x[0], verbose=0)
            out[name] = {"file": file_bytes(model, directory, name), "x": x, "y": y if isinstance(y, list) else [y]}
        out["unsupported"] = {"file": file_bytes(unsupported(), directory, "unsupported")}
    return out
