"""Reference optimizer steps (test/optim/optimizer.test.ts): two parameters, three steps of given
gradients (the second parameter has none at step 2, so it must be skipped), for each optimizer
configuration; the learning rate is halved after step 1 to exercise the setter. torchlet's side
uses formula 'pytorch' (its Keras formulas are tested against Keras, scripts/keras-reference/)."""
import torch

CONFIGS = {
    "adam_default": (torch.optim.Adam, {"lr": 1e-3, "eps": 1e-7}, {"formula": "pytorch", "learningRate": 1e-3}),
    "adam_amsgrad_wd": (torch.optim.Adam, {"lr": 1e-2, "eps": 1e-7, "weight_decay": 0.1, "amsgrad": True},
                        {"formula": "pytorch", "learningRate": 1e-2, "weightDecay": 0.1, "amsgrad": True}),
    "adamw": (torch.optim.AdamW, {"lr": 1e-2, "eps": 1e-7, "weight_decay": 0.05}, {"formula": "pytorch", "learningRate": 1e-2, "weightDecay": 0.05}),
    "sgd_plain": (torch.optim.SGD, {"lr": 0.1}, {"formula": "pytorch", "learningRate": 0.1}),
    "sgd_momentum_wd": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
                        {"formula": "pytorch", "learningRate": 0.1, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}),
    "sgd_nesterov": (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True},
                     {"formula": "pytorch", "learningRate": 0.1, "momentum": 0.9, "nesterov": True}),
}


def build():
    torch.manual_seed(5)
    init = [torch.randn(3, 4), torch.randn(5)]
    grads = [[torch.randn(3, 4), torch.randn(5)], [torch.randn(3, 4), None], [torch.randn(3, 4), torch.randn(5)]]
    out = {"init": init, "grads": grads, "configs": {}}
    for name, (cls, torch_options, options) in CONFIGS.items():
        params = [p.clone().requires_grad_(True) for p in init]
        optimizer = cls(params, **torch_options)
        after = []
        for step, step_grads in enumerate(grads):
            for p, g in zip(params, step_grads):
                p.grad = None if g is None else g.clone()
            optimizer.step()
            after.append([p.detach().clone() for p in params])
            if step == 0:
                for group in optimizer.param_groups:
                    group["lr"] *= 0.5
        out["configs"][name] = {"options": options, "after": after}
    return out
