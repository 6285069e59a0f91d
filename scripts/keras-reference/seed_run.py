"""The seed program in Keras (test/model/keras-seed-run.test.ts): the reference CNN compiled with
'adam' and sparse categorical cross-entropy, from Keras's own initial weights, trained 30
train_on_batch steps of 32 images. The images are uint8 (both sides divide by 255 in float32),
each a class's pattern plus noise, so that the loss falls. The weights are written in torchlet's
layouts: convolution kernels [out, in, kh, kw] (Keras's are [kh, kw, in, out]), dense [out, in]."""
import numpy as np
from keras import Input, Sequential, layers

STEPS, BATCH = 30, 32


def seed_model():
    return Sequential([
        Input((32, 32, 3)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def torchlet_layout(weights):
    return [w.transpose(3, 2, 0, 1) if w.ndim == 4 else w.T if w.ndim == 2 else w for w in weights]


def build():
    rng = np.random.default_rng(7)
    patterns = rng.integers(0, 256, (10, 32, 32, 3))
    labels = rng.integers(0, 10, STEPS * BATCH)
    noise = rng.integers(-96, 97, (STEPS * BATCH, 32, 32, 3))
    images = np.clip(patterns[labels] + noise, 0, 255).astype(np.uint8)
    model = seed_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    init = torchlet_layout([np.ascontiguousarray(w) for w in model.get_weights()])
    x = images.astype(np.float32) / np.float32(255)
    losses = [
        float(model.train_on_batch(x[s * BATCH:(s + 1) * BATCH], labels[s * BATCH:(s + 1) * BATCH]))
        for s in range(STEPS)
    ]
    return {
        "images": images,
        "labels": labels.astype(np.int64),
        "init": [np.ascontiguousarray(w) for w in init],
        "losses": np.array(losses, dtype=np.float64),
        "final": [np.ascontiguousarray(w) for w in torchlet_layout(model.get_weights())],
    }
