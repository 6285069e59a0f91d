"""Reference training trajectories (test/trajectory.test.ts): the reference CNN of DESIGN.md
(361,034 parameters), written with functional ops in NCHW, takes 50 steps with Adam (Keras
defaults) and 50 with SGD + Nesterov momentum from the same initial weights on the same batches.
Records the loss at every step and the final weights."""
import torch
import torch.nn.functional as F

from fixture import ADAM_FUSED

STEPS, BATCH = 50, 8
SHAPES = [(32, 3, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 64, 3, 3), (128,), (512, 512), (512,), (10, 512), (10,)]


def forward(p, x):
    for k in (0, 2, 4):
        x = F.max_pool2d(F.relu(F.conv2d(x, p[k], p[k + 1])), 2)
    x = F.relu(F.linear(x.flatten(1), p[6], p[7]))
    return F.linear(x, p[8], p[9])


def train(init, images, labels, make_optimizer):
    params = [t.clone().requires_grad_(True) for t in init]
    optimizer = make_optimizer(params)
    losses = []
    for step in range(STEPS):
        x = images[step].float() / 255
        loss = F.cross_entropy(forward(params, x), labels[step])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return {"losses": torch.stack(losses), "final": [p.detach() for p in params]}


def build():
    torch.manual_seed(3)
    init = []
    for shape in SHAPES:
        fan_in = shape[1] * (shape[2] * shape[3] if len(shape) == 4 else 1) if len(shape) > 1 else shape[0]
        init.append(torch.randn(shape) * (2.0 / fan_in) ** 0.5 if len(shape) > 1 else torch.randn(shape) * 0.01)
    images = torch.randint(0, 256, (STEPS, BATCH, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (STEPS, BATCH))
    return {
        "params": sum(t.numel() for t in init),
        "init": init,
        "images": images,
        "labels": labels,
        "adam": train(init, images, labels, lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, fused=ADAM_FUSED)),
        "sgd_nesterov": train(init, images, labels, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    }
