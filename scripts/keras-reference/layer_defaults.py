"""Keras's own defaults of the layers torchlet mirrors (test/nn/keras-defaults.test.ts): each
layer's get_config() when built with only its required arguments, the keys snake_case as Keras
writes them; initializers by class name, activations by name."""
from keras import layers

LAYERS = {
    "Conv2DTranspose": lambda: layers.Conv2DTranspose(4, 3),
    "LSTM": lambda: layers.LSTM(4),
    "GRU": lambda: layers.GRU(4),
}


def plain(value):
    """A config value as JSON: a serialized initializer becomes its class name."""
    if isinstance(value, dict) and "class_name" in value:
        return value["class_name"]
    if isinstance(value, tuple):
        return list(value)
    return value


def build():
    out = {}
    for name, make in LAYERS.items():
        config = make().get_config()
        out[name] = {k: plain(v) for k, v in config.items() if k not in ("name", "dtype", "trainable", "seed")}
    return out
