"""Encodes reference values as JSON, as scripts/reference/fixture.py does for PyTorch's: arrays
become {"dtype", "shape", "base64"} of their little-endian bytes, so float32 values reach the tests
bit for bit."""
import base64

import numpy as np

DTYPES = {"float32": "float32", "float64": "float64", "int32": "int32", "int64": "int64", "uint8": "uint8", "bool": "bool"}


def encode(value):
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()  # a TensorFlow tensor or a Keras variable
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False)
        return {"dtype": DTYPES[str(a.dtype)], "shape": list(a.shape), "base64": base64.b64encode(a.tobytes()).decode()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value
