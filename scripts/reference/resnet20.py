"""ResNet-20 (lib/model/resnet20.ts) in PyTorch's functional ops, for test/model/resnet20.test.ts:
the same weights by torchlet's names, the forward pass in inference mode, and one training step
(sparse categorical cross-entropy, batch norm on batch statistics with Keras's momentum 0.99 and
epsilon 1e-3, torch.optim.Adam as tl.optim.Adam({ formula: 'pytorch' })). 'same' padding is
Keras's: with stride 2 the extra row and column go after the image."""
import math

import torch
import torch.nn.functional as F

from fixture import ADAM_FUSED

BATCH = 8


def layout():
    """Each conv + batch norm: (name, input channels, filters, kernel size, stride), in call order."""
    convs = [("conv1", 3, 16, 3, 1)]
    channels = 16
    for stage, filters in enumerate([16, 32, 64]):
        for block in range(1, 4):
            name, stride = f"conv{stage + 2}_block{block}", 2 if stage > 0 and block == 1 else 1
            if stride == 2:
                convs.append((f"{name}_0", channels, filters, 1, 2))
            convs += [(f"{name}_1", channels, filters, 3, stride), (f"{name}_2", filters, filters, 3, 1)]
            channels = filters
    return convs


def init_weights():
    w = {}
    for name, cin, cout, k, _ in layout():
        w[f"{name}_conv/kernel"] = torch.randn(cout, cin, k, k) * math.sqrt(1.0 / (cin * k * k))
        w[f"{name}_bn/gamma"] = (0.3 if name.endswith("_2") else 1) + 0.1 * torch.randn(cout)
        w[f"{name}_bn/beta"] = 0.1 * torch.randn(cout)
        w[f"{name}_bn/moving_mean"] = 0.1 * torch.randn(cout)
        w[f"{name}_bn/moving_variance"] = 1 + 0.1 * torch.rand(cout)
    w["predictions/kernel"] = torch.randn(10, 64) * math.sqrt(1.0 / 64)
    w["predictions/bias"] = 0.01 * torch.randn(10)
    return w


def same_pad(x, k, stride):
    """Keras's 'same': the total padding split with the extra after the image."""
    n = x.shape[-1]
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))


def conv_bn(w, x, name, k, stride, training):
    x = F.conv2d(same_pad(x, k, stride), w[f"{name}_conv/kernel"], stride=stride)
    bn = f"{name}_bn/"
    return F.batch_norm(x, w[bn + "moving_mean"], w[bn + "moving_variance"], w[bn + "gamma"], w[bn + "beta"],
                        training=training, momentum=0.01, eps=1e-3)


def logits(w, x, training):
    convs = {name: (k, stride) for name, _, _, k, stride in layout()}
    x = F.relu(conv_bn(w, x, "conv1", 3, 1, training))
    for stage in range(3):
        for block in range(1, 4):
            name = f"conv{stage + 2}_block{block}"
            k1, stride = convs[f"{name}_1"]
            shortcut = conv_bn(w, x, f"{name}_0", 1, 2, training) if f"{name}_0" in convs else x
            y = conv_bn(w, F.relu(conv_bn(w, x, f"{name}_1", k1, stride, training)), f"{name}_2", 3, 1, training)
            x = F.relu(shortcut + y)
    return F.linear(x.mean((2, 3)), w["predictions/kernel"], w["predictions/bias"])


def build():
    torch.manual_seed(20)
    init = init_weights()
    images = torch.rand(BATCH, 32, 32, 3)  # Keras's layout, as the test passes them
    labels = torch.randint(0, 10, (BATCH,))
    x = images.permute(0, 3, 1, 2)
    with torch.no_grad():
        predictions = F.softmax(logits({k: v.clone() for k, v in init.items()}, x, False), 1)
    w = {k: v.clone().requires_grad_(not (k.endswith("moving_mean") or k.endswith("moving_variance"))) for k, v in init.items()}
    optimizer = torch.optim.Adam([v for v in w.values() if v.requires_grad], lr=1e-3, eps=1e-7, fused=ADAM_FUSED)
    loss = F.cross_entropy(logits(w, x, True), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {
        "params": sum(v.numel() for v in init.values()),
        "init": init,
        "images": images,
        "labels": labels,
        "predictions": predictions,
        "loss": loss.detach(),
        "after_step": {k: v.detach() for k, v in w.items()},
    }
