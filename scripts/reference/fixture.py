"""Encodes reference values as JSON: tensors become {"dtype", "shape", "base64"} of their
little-endian bytes, so float32 values reach the tests bit for bit."""
import base64

import torch

# torchlet's Adam on the CPU runs PyTorch's fused kernel from 2.4 on (native/optim.cc), its foreach
# ops before; references that train many steps update the same way, so that rounding agrees too.
ADAM_FUSED = tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)

DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.int32: "int32",
    torch.int64: "int64",
    torch.uint8: "uint8",
    torch.bool: "bool",
}


def encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        name = DTYPES[t.dtype]
        raw = t.to(torch.uint8) if t.dtype == torch.bool else t
        return {"dtype": name, "shape": list(t.shape), "base64": base64.b64encode(raw.numpy().tobytes()).decode()}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value
