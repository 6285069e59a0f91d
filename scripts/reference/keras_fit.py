"""Reference for Sequential.fit (test/model/fit-parity.test.ts): two Keras-style models written in
PyTorch with Keras's semantics (NHWC inputs, Flatten in height-width-channel order, 'same'
pooling that ignores padding, Keras batch-norm momentum), trained with fit's loop (shuffle off):
per-epoch mean loss and accuracy from each step's forward pass, validation in eval mode, final
weights, and predictions. Weights are in torchlet's order and layout (conv [out, in, kh, kw],
dense [out, in])."""
import math

import torch
import torch.nn.functional as F

from fixture import ADAM_FUSED


def dense(x, weight, bias):
    """A Dense layer as torchlet runs it: on a libtorch without MKL, as oneDNN's 1x1 convolution
    (torchlet's ops.linear with kernel 'auto'); otherwise as F.linear. Either way the same function;
    the same kernel keeps the float rounding, and so the trajectory, comparable."""
    if torch.backends.mkl.is_available() or not torch.backends.mkldnn.is_available():
        return F.linear(x, weight, bias)
    return F.conv2d(x.reshape(-1, x.shape[-1], 1, 1), weight[:, :, None, None], bias).flatten(1)


def same_pads(size, pool, stride):
    total = max((math.ceil(size / stride) - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


def reference_cnn(p, x, training):
    x = x.permute(0, 3, 1, 2)
    for k in (0, 2, 4):
        x = F.max_pool2d(F.relu(F.conv2d(x, p[k], p[k + 1])), 2)
    x = x.permute(0, 2, 3, 1).flatten(1)
    x = F.relu(dense(x, p[6], p[7]))
    return dense(x, p[8], p[9])


def bn_model(p, x, training):
    conv, gamma, beta, mean, var, kernel, bias = p
    x = F.conv2d(x.permute(0, 3, 1, 2), conv, padding=1)
    x = F.relu(F.batch_norm(x, mean, var, gamma, beta, training, 1 - 0.99, 1e-3))
    # AveragePooling2D(3, strides 2, 'same'): padding is left out of each mean.
    lo, hi = same_pads(x.shape[2], 3, 2)
    pad = (lo, hi, lo, hi)
    x = F.avg_pool2d(F.pad(x, pad), 3, 2) / F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pad), 3, 2)
    # MaxPooling2D(3, strides 2, 'same'): padding is -inf.
    lo, hi = same_pads(x.shape[2], 3, 2)
    x = F.max_pool2d(F.pad(x, (lo, hi, lo, hi), value=float("-inf")), 3, 2)
    x = x.mean((2, 3))
    return dense(x, kernel, bias)


def run(forward, params, optimizer, x, y, xv, yv, epochs=2, batch=16):
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        losses, correct = [], 0
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            logits = forward(params, xb, True)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item() * len(yb))
            correct += (logits.argmax(1) == yb).sum().item()
        history["loss"].append(sum(losses) / len(x))
        history["accuracy"].append(correct / len(x))
        with torch.no_grad():
            logits = forward(params, xv, False)
            history["val_loss"].append(F.cross_entropy(logits, yv).item())
            history["val_accuracy"].append((logits.argmax(1) == yv).float().mean().item())
    with torch.no_grad():
        predictions = F.softmax(forward(params, xv[:8], False), 1)
    return {"history": history, "final": [t.detach().clone() for t in params], "predictions": predictions}


def build():
    torch.manual_seed(11)
    out = {}

    cnn_shapes = [(32, 3, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 64, 3, 3), (128,), (512, 512), (512,), (10, 512), (10,)]
    init = [torch.randn(s) * (0.1 if len(s) > 1 else 0.01) for s in cnn_shapes]
    x, y = torch.randint(0, 256, (64, 32, 32, 3)).float() / 255, torch.randint(0, 10, (64,))
    xv, yv = torch.randint(0, 256, (32, 32, 32, 3)).float() / 255, torch.randint(0, 10, (32,))
    params = [t.clone().requires_grad_(True) for t in init]
    result = run(reference_cnn, params, torch.optim.Adam(params, lr=1e-3, eps=1e-7, fused=ADAM_FUSED), x, y, xv, yv)
    out["reference_cnn"] = {"init": init, "x": x, "y": y, "xv": xv, "yv": yv, **result}

    init = [torch.randn(8, 3, 3, 3) * 0.3, torch.rand(8) + 0.5, torch.randn(8) * 0.1, torch.zeros(8), torch.ones(8),
            torch.randn(5, 8) * 0.3, torch.zeros(5)]
    x, y = torch.randn(48, 12, 12, 3), torch.randint(0, 5, (48,))
    xv, yv = torch.randn(24, 12, 12, 3), torch.randint(0, 5, (24,))
    params = [t.clone() for t in init]
    trainable = [params[k].requires_grad_(True) for k in (0, 1, 2, 5, 6)]
    result = run(bn_model, params, torch.optim.SGD(trainable, lr=0.05, momentum=0.9), x, y, xv, yv)
    out["bn_model"] = {"init": init, "x": x, "y": y, "xv": xv, "yv": yv, **result}
    return out
