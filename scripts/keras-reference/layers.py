"""Layers as Keras computes them (test/nn/keras-layers.test.ts): each layer alone in a model,
its output on a given batch (NHWC images and [timesteps, features] sequences, as Keras takes
them); layers with weights are given random ones first, which the fixture holds (in torchlet's layouts, the same for these layers)."""
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
    "depthwise": (lambda: layers.DepthwiseConv2D(3), "DepthwiseConv2D", {"kernelSize": 3}, (6, 7, 3)),
    "depthwise_multiplier_same_strides": (lambda: layers.DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2,
                                                                         activation="relu"), "DepthwiseConv2D",
                                          {"kernelSize": [3, 2], "strides": 2, "padding": "same", "depthMultiplier": 2,
                                           "activation": "relu"}, (7, 6, 3)),
    "separable": (lambda: layers.SeparableConv2D(5, 3), "SeparableConv2D", {"filters": 5, "kernelSize": 3}, (6, 7, 3)),
    "separable_multiplier_dilation": (lambda: layers.SeparableConv2D(4, 3, depth_multiplier=2, dilation_rate=2, use_bias=False),
                                      "SeparableConv2D", {"filters": 4, "kernelSize": 3, "depthMultiplier": 2, "dilationRate": 2,
                                                          "useBias": False}, (8, 8, 2)),
    "conv1d": (lambda: layers.Conv1D(4, 3), "Conv1D", {"filters": 4, "kernelSize": 3}, (10, 3)),
    "conv1d_same_strides": (lambda: layers.Conv1D(4, 3, strides=2, padding="same", activation="tanh"), "Conv1D",
                            {"filters": 4, "kernelSize": 3, "strides": 2, "padding": "same", "activation": "tanh"}, (9, 3)),
    "conv1d_causal_dilated_groups": (lambda: layers.Conv1D(6, 2, padding="causal", dilation_rate=2, groups=3, activation="relu"),
                                     "Conv1D", {"filters": 6, "kernelSize": 2, "padding": "causal", "dilationRate": 2, "groups": 3,
                                                "activation": "relu"}, (9, 3)),
    "conv_transpose": (lambda: layers.Conv2DTranspose(4, 3), "Conv2DTranspose", {"filters": 4, "kernelSize": 3}, (5, 6, 3)),
    "conv_transpose_same_stride2": (lambda: layers.Conv2DTranspose(4, 3, strides=2, padding="same"), "Conv2DTranspose",
                                    {"filters": 4, "kernelSize": 3, "strides": 2, "padding": "same"}, (5, 6, 3)),
    "conv_transpose_same_k4_stride2": (lambda: layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="relu"),
                                       "Conv2DTranspose", {"filters": 3, "kernelSize": 4, "strides": 2, "padding": "same",
                                                           "activation": "relu"}, (4, 5, 2)),
    "conv_transpose_same_k1_stride2": (lambda: layers.Conv2DTranspose(3, 1, strides=2, padding="same"), "Conv2DTranspose",
                                       {"filters": 3, "kernelSize": 1, "strides": 2, "padding": "same"}, (3, 4, 2)),
    "conv_transpose_same_asymmetric": (lambda: layers.Conv2DTranspose(3, (3, 2), strides=(2, 3), padding="same"),
                                       "Conv2DTranspose", {"filters": 3, "kernelSize": [3, 2], "strides": [2, 3],
                                                           "padding": "same"}, (4, 3, 2)),
    "conv_transpose_valid_k2_stride3": (lambda: layers.Conv2DTranspose(3, 2, strides=3, use_bias=False), "Conv2DTranspose",
                                        {"filters": 3, "kernelSize": 2, "strides": 3, "useBias": False}, (3, 4, 2)),
    "conv_transpose_output_padding": (lambda: layers.Conv2DTranspose(3, 3, strides=(2, 3), padding="same", output_padding=(1, 2)),
                                      "Conv2DTranspose", {"filters": 3, "kernelSize": 3, "strides": [2, 3], "padding": "same",
                                                          "outputPadding": [1, 2]}, (4, 3, 2)),
    "conv_transpose_valid_output_padding": (lambda: layers.Conv2DTranspose(2, (2, 3), strides=2, output_padding=1),
                                            "Conv2DTranspose", {"filters": 2, "kernelSize": [2, 3], "strides": 2,
                                                                "outputPadding": 1}, (3, 4, 2)),
    "conv_transpose_dilation": (lambda: layers.Conv2DTranspose(2, 3, dilation_rate=2, padding="same"), "Conv2DTranspose",
                                {"filters": 2, "kernelSize": 3, "dilationRate": 2, "padding": "same"}, (5, 6, 2)),
    "lstm": (lambda: layers.LSTM(4), "LSTM", {"units": 4}, (6, 3)),
    "lstm_sequences_backwards": (lambda: layers.LSTM(5, return_sequences=True, go_backwards=True), "LSTM",
                                 {"units": 5, "returnSequences": True, "goBackwards": True}, (6, 3)),
    "lstm_nobias": (lambda: layers.LSTM(3, use_bias=False, return_sequences=True), "LSTM",
                    {"units": 3, "useBias": False, "returnSequences": True}, (4, 2)),
    "gru": (lambda: layers.GRU(4), "GRU", {"units": 4}, (6, 3)),
    "gru_sequences_backwards": (lambda: layers.GRU(5, return_sequences=True, go_backwards=True), "GRU",
                                {"units": 5, "returnSequences": True, "goBackwards": True}, (6, 3)),
    "gru_nobias": (lambda: layers.GRU(3, use_bias=False), "GRU", {"units": 3, "useBias": False}, (4, 2)),
    "lstm_relu_step_by_step": (lambda: layers.LSTM(4, activation="relu", return_sequences=True), "LSTM",
                               {"units": 4, "activation": "relu", "returnSequences": True}, (5, 3)),
    "lstm_linear_gates_backwards": (lambda: layers.LSTM(3, activation=None, recurrent_activation="tanh", go_backwards=True),
                                    "LSTM", {"units": 3, "activation": None, "recurrentActivation": "tanh",
                                             "goBackwards": True}, (5, 3)),
    "gru_reset_before": (lambda: layers.GRU(4, reset_after=False, return_sequences=True), "GRU",
                         {"units": 4, "resetAfter": False, "returnSequences": True}, (5, 3)),
    "gru_reset_before_nobias_elu": (lambda: layers.GRU(3, reset_after=False, use_bias=False, activation="elu"), "GRU",
                                    {"units": 3, "resetAfter": False, "useBias": False, "activation": "elu"}, (5, 3)),
    "gru_reset_after_gelu": (lambda: layers.GRU(3, activation="gelu", go_backwards=True, return_sequences=True), "GRU",
                             {"units": 3, "activation": "gelu", "goBackwards": True, "returnSequences": True}, (5, 3)),
}


def torchlet_layout(cls, weights):
    """Keras's weights in torchlet's layouts: a depthwise kernel [kh, kw, in, mult] is a grouped
    convolution's [in·mult, 1, kh, kw]; a pointwise kernel [1, 1, in, out] is [out, in, 1, 1]; a
    1-D kernel [k, in, out] is [out, in, k]; a transposed convolution's [kh, kw, out, in] is [in, out, kh,
    kw]; LSTM's and GRU's weights are Keras's own."""
    if cls in ("LSTM", "GRU"):
        return [np.ascontiguousarray(w) for w in weights]
    out = []
    for w in weights:
        if w.ndim == 4 and cls == "Conv2DTranspose":
            out.append(w.transpose(3, 2, 0, 1))
        elif w.ndim == 4 and w.shape[:2] == (1, 1) and cls == "SeparableConv2D" and len(out) == 1:
            out.append(w.transpose(3, 2, 0, 1))
        elif w.ndim == 3:
            out.append(w.transpose(2, 1, 0))
        elif w.ndim == 4:
            kh, kw, channels, mult = w.shape
            out.append(w.reshape(kh, kw, channels * mult).transpose(2, 0, 1)[:, None])
        else:
            out.append(w)
    return [np.ascontiguousarray(w) for w in out]


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
        out[name] = {"class": cls, "args": args, "inputShape": list(shape), "x": x, "weights": torchlet_layout(cls, weights),
                     "y": model.predict(x, verbose=0)}
    return out
