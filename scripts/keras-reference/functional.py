"""Functional models as Keras builds them (test/model/functional-keras.test.ts): the summary
Keras prints (layer order, names, shapes, "Connected to"), and the predictions of models with
random weights (in Keras's layer order, converted to torchlet's layouts) on a random batch.
The torchlet test builds the same graphs with tl.input, layer.apply and tl.model."""
import io
import os

import numpy as np
import keras
from keras import Input, Model, layers


def torchlet_layout(values):
    """Conv2D and Dense weights in torchlet's layouts: a kernel [kh, kw, in, out] is [out, in, kh, kw],
    a dense kernel [in, out] is [out, in]; vectors as they are."""
    layouts = {4: (3, 2, 0, 1), 2: (1, 0)}
    return [np.ascontiguousarray(w.transpose(layouts[w.ndim]) if w.ndim in layouts else w) for w in values]


def summary(model):
    # Keras sizes the table to the terminal: the 80 columns that torchlet's summary assumes.
    os.environ["COLUMNS"] = "80"
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def merges():
    """Every merge layer, a broadcast, a shared layer called twice, concatenation on two axes."""
    x = Input((6, 6, 3))
    shared = layers.Conv2D(4, 3, padding="same")
    a = shared(x)
    b = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    c = shared(layers.Conv2D(3, 1)(x))
    s = layers.add([a, b, c])
    d = layers.subtract([a, b])
    m = layers.multiply([s, d, layers.GlobalAveragePooling2D(keepdims=True)(a)])
    av = layers.average([m, c])
    mn = layers.minimum([layers.maximum([av, a]), b])
    joined = layers.Concatenate(axis=1)([layers.Concatenate()([mn, s]), layers.Concatenate()([s, mn])])
    return Model(x, layers.Dense(3, activation="softmax")(layers.Flatten()(joined)), name="merges")


def two_in_two_out():
    """Two inputs, a dense layer shared by both branches, two outputs."""
    image = Input((8, 8, 3), name="image")
    features = Input((5,), name="features")
    shared = layers.Dense(4, activation="tanh")
    pooled = layers.GlobalAveragePooling2D()(layers.Conv2D(5, 3)(image))
    left, right = shared(pooled), shared(features)
    label = layers.Dense(3, activation="softmax", name="label")(layers.concatenate([left, right]))
    score = layers.Dense(1, name="score")(layers.add([left, right]))
    return Model([image, features], [label, score], name="two_in_two_out")


def resnet20():
    """lib/model/resnet20.ts, in Keras."""

    def conv_bn(x, name, filters, kernel_size, strides, relu):
        x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                          kernel_initializer="he_normal", name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x) if relu else x

    images = Input((32, 32, 3), name="images")
    x = conv_bn(images, "conv1", 16, 3, 1, True)
    for stage, filters in enumerate([16, 32, 64]):
        for block in range(1, 4):
            name, strides = f"conv{stage + 2}_block{block}", 2 if stage > 0 and block == 1 else 1
            shortcut = conv_bn(x, f"{name}_0", filters, 1, strides, False) if strides == 2 else x
            y = conv_bn(conv_bn(x, f"{name}_1", filters, 3, strides, True), f"{name}_2", filters, 3, 1, False)
            x = layers.ReLU(name=f"{name}_out")(layers.add([shortcut, y], name=f"{name}_add"))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return Model(images, layers.Dense(10, activation="softmax", name="predictions")(x), name="resnet20")


def weights_and_predictions(model, rng, batch):
    """Random weights in torchlet's layouts (layer by layer, in Keras's order), a batch and Keras's predictions."""
    converted = []
    for layer in model.layers:
        values = [rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in layer.get_weights()]
        if isinstance(layer, layers.BatchNormalization):
            values[3] = np.abs(values[3]) + 0.5  # a variance
        layer.set_weights(values)
        converted += torchlet_layout(values)
    xs = [rng.standard_normal((batch, *x.shape[1:])).astype(np.float32) for x in model.inputs]
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return {"weights": converted, "x": xs, "y": ys if isinstance(ys, list) else [ys]}


def fit_two_outputs(rng):
    """two_in_two_out trained with a loss, a loss weight and metrics per output: the history of a
    2-epoch fit (no shuffle), the weights after it (torchlet's layouts) and evaluate's results."""
    keras.backend.clear_session()
    model = two_in_two_out()
    start = weights_and_predictions(model, rng, 1)["weights"]
    n = 24
    x = [rng.standard_normal((n, 8, 8, 3)).astype(np.float32), rng.standard_normal((n, 5)).astype(np.float32)]
    y = [rng.integers(0, 3, n), rng.standard_normal((n, 1)).astype(np.float32)]
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    return {"start": start, "x": x, "y": y, "history": history,
            "final": torchlet_layout([w for layer in model.layers for w in layer.get_weights()]),
            "evaluation": model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)}


def build():
    rng = np.random.default_rng(17)
    out = {"fit_two_outputs": fit_two_outputs(rng)}
    for make in (merges, two_in_two_out, resnet20):
        keras.backend.clear_session()  # layer names count from the start in each model, as in torchlet
        model = make()
        out[make.__name__] = {
            "summary": summary(model),
            "params": model.count_params(),
            **weights_and_predictions(model, rng, 4),
        }
    return out
