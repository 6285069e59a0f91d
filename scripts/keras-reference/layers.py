"""Layers as Keras computes them (test/nn/keras-layers.test.ts): each layer alone in a model,
its output on a given batch (NHWC images, as Keras takes them); layers with weights are given
random ones first, which the fixture holds (in torchlet's layouts, the same for these layers)."""
import numpy as np
from keras import Input, Sequential, layers

# name: (Keras layer, torchlet class, torchlet arguments, per-example input shape)
CASES = {
    "zero_padding_default": (lambda: layers.ZeroPadding2D(), "ZeroPadding2D", {}, (5, 6, 3)),
    "zero_padding_hw": (lambda: layers.ZeroPadding2D((2, 1)), "ZeroPadding2D", {"padding": [2, 1]}, (5, 6, 3)),
    "zero_padding_sides": (lambda: layers.ZeroPadding2D(((1, 2), (0, 3))), "ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, (5, 6, 3)),
    "upsampling_nearest": (lambda: layers.UpSampling2D((2, 3)), "UpSampling2D", {"size": [2, 3]}, (4, 5, 3)),
    "upsampling_bilinear": (lambda: layers.UpSampling2D(2, interpolation="bilinear"), "UpSampling2D",
                            {"interpolation": "bilinear"}, (4, 5, 3)),
    "reshape_image_to_rows": (lambda: layers.Reshape((-1, 3)), "Reshape", {"targetShape": [-1, 3]}, (4, 5, 3)),
    "reshape_vector_to_image": (lambda: layers.Reshape((5, 4, 3)), "Reshape", {"targetShape": [5, 4, 3]}, (60,)),
    "reshape_image_to_image": (lambda: layers.Reshape((10, 2, 3)), "Reshape", {"targetShape": [10, 2, 3]}, (4, 5, 3)),
    "permute_sequence": (lambda: layers.Permute((2, 1)), "Permute", {"dims": [2, 1]}, (6, 4)),
    "permute_image": (lambda: layers.Permute((3, 1, 2)), "Permute", {"dims": [3, 1, 2]}, (4, 5, 3)),
    "rescaling": (lambda: layers.Rescaling(1 / 255, offset=-0.5), "Rescaling", {"scale": 1 / 255, "offset": -0.5}, (4, 5, 3)),
    "softmax_channels": (lambda: layers.Softmax(), "Softmax", {}, (4, 5, 3)),
    "softmax_rows": (lambda: layers.Softmax(axis=1), "Softmax", {"axis": 1}, (4, 5, 3)),
    "softmax_sequence": (lambda: layers.Softmax(axis=-2), "Softmax", {"axis": -2}, (6, 4)),
    "global_max": (lambda: layers.GlobalMaxPooling2D(), "GlobalMaxPooling2D", {}, (4, 5, 3)),
    "global_max_keepdims": (lambda: layers.GlobalMaxPooling2D(keepdims=True), "GlobalMaxPooling2D", {"keepdims": True}, (4, 5, 3)),
    "layer_norm_features": (lambda: layers.LayerNormalization(), "LayerNormalization", {}, (6, 4)),
    "layer_norm_image_channels": (lambda: layers.LayerNormalization(), "LayerNormalization", {}, (4, 5, 3)),
    "layer_norm_image_hw": (lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-5), "LayerNormalization",
                            {"axis": [1, 2], "epsilon": 1e-5}, (4, 5, 3)),
    "layer_norm_no_center": (lambda: layers.LayerNormalization(center=False), "LayerNormalization", {"center": False}, (7,)),
    "embedding": (lambda: layers.Embedding(11, 4), "Embedding", {"inputDim": 11, "outputDim": 4}, (6,)),
}


def build():
    rng = np.random.default_rng(9)
    out = {}
    for name, (make, cls, args, shape) in CASES.items():
        x = (rng.standard_normal((2, *shape)) * 3).astype(np.float32)
        if cls == "Rescaling":
            x = rng.integers(0, 256, (2, *shape)).astype(np.float32)
        if cls == "Embedding":
            x = rng.integers(0, args["inputDim"], (2, *shape)).astype(np.float32)
        model = Sequential([Input(shape), make()])
        weights = [rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
        model.set_weights(weights)
        out[name] = {"class": cls, "args": args, "inputShape": list(shape), "x": x, "weights": weights,
                     "y": model.predict(x, verbose=0)}
    return out
