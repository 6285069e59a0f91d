#!/usr/bin/env python3
"""The PyTorch side of the benchmark (scripts/bench/benchmark.mjs). It builds the model from
torchlet's own description of it (model.json, as model.save() writes it) and loads torchlet's
initial weights (model.safetensors, read with numpy), so both sides run the same model from the
same weights; nothing about the model is typed here twice.

It times passes when benchmark.mjs asks (see the protocol at the end). Variants:
  default        NCHW tensors, torch.optim.Adam with its defaults (the plain eager loop)
  channels_last  channels-last model and input, PyTorch's fastest Adam (the best eager loop): fused
                 (CUDA, and the CPU from 2.4 on) or foreach
  cuda_graph     channels_last + capturable Adam, the whole step captured in a CUDA graph (CUDA only)
  compile        channels_last + torch.compile (PyTorch 2.x only)
  compile_max_autotune  compile with mode="max-autotune" (autotuned kernels; slow to compile)
  bf16           channels_last under torch.autocast in bfloat16 (fp32 weights), as torchlet's bf16
  compile_bf16   compile under bf16 autocast (PyTorch 2.x only)

It also reports the time to first step: from the process's start (interpreter, import torch,
model build) to the end of the first training or inference step.
"""
import argparse
import contextlib
import json
import os
import resource
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import add_runner_arguments, read_safetensors, serve  # noqa: E402


def activation(name):
    return {
        "linear": None,
        "relu": nn.ReLU(),
        "gelu": nn.GELU(),
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "softmax": None,  # fused into the cross-entropy loss, as torchlet does
        "elu": nn.ELU(),
        "selu": nn.SELU(),
        "silu": nn.SiLU(),
        "swish": nn.SiLU(),
        "softplus": nn.Softplus(),
    }[name]


class KerasFlatten(nn.Module):
    """Keras flattens height, width, channels: NCHW → NHWC first."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1)


def same_padding(kernel, stride, dilation):
    if stride != 1 or any((dilation[i] * (kernel[i] - 1)) % 2 for i in range(2)):
        raise SystemExit("pytorch_bench: 'same' padding with stride > 1 or an even kernel is not supported here")
    return tuple(dilation[i] * (kernel[i] - 1) // 2 for i in range(2))


def build(model_json, weights):
    """An nn.Sequential equivalent to torchlet's Sequential, with its weights, in NCHW."""
    layers, names = [], []
    shape = model_json["inputShape"]  # Keras: [h, w, c]
    channels = shape[-1]
    for layer in model_json["layers"]:
        kind, c = layer["className"], layer["config"]
        name = c["name"]
        if kind == "Conv2D":
            k, s, d = c["kernelSize"], c["strides"], c["dilationRate"]
            padding = same_padding(k, s[0], d) if c["padding"] == "same" else 0
            conv = nn.Conv2d(channels, c["filters"], k, s, padding, d, c["groups"], c["useBias"])
            conv.weight.data.copy_(torch.from_numpy(weights[f"{name}/kernel"].copy()))
            if c["useBias"]:
                conv.bias.data.copy_(torch.from_numpy(weights[f"{name}/bias"].copy()))
            layers.append(conv)
            channels = c["filters"]
            act = activation(c["activation"])
            if act is not None:
                layers.append(act)
        elif kind == "MaxPooling2D" or kind == "AveragePooling2D":
            if c["padding"] != "valid":
                raise SystemExit("pytorch_bench: only 'valid' pooling is supported here")
            pool = nn.MaxPool2d if kind == "MaxPooling2D" else nn.AvgPool2d
            layers.append(pool(c["poolSize"], c["strides"]))
        elif kind == "GlobalAveragePooling2D":
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        elif kind == "Flatten":
            layers.append(KerasFlatten())
        elif kind == "Dense":
            kernel = weights[f"{name}/kernel"]
            dense = nn.Linear(kernel.shape[1], kernel.shape[0], c["useBias"])
            dense.weight.data.copy_(torch.from_numpy(kernel.copy()))
            if c["useBias"]:
                dense.bias.data.copy_(torch.from_numpy(weights[f"{name}/bias"].copy()))
            layers.append(dense)
            act = activation(c["activation"])
            if act is not None:
                layers.append(act)
        elif kind == "BatchNormalization":
            bn = nn.BatchNorm2d(channels, eps=c["epsilon"], momentum=1 - c["momentum"])
            bn.weight.data.copy_(torch.from_numpy(weights[f"{name}/gamma"].copy()))
            bn.bias.data.copy_(torch.from_numpy(weights[f"{name}/beta"].copy()))
            bn.running_mean.copy_(torch.from_numpy(weights[f"{name}/moving_mean"].copy()))
            bn.running_var.copy_(torch.from_numpy(weights[f"{name}/moving_variance"].copy()))
            layers.append(bn)
        elif kind in ("Activation", "ReLU"):
            act = activation(c.get("activation", "relu"))
            if act is not None:
                layers.append(act)
        else:
            raise SystemExit(f"pytorch_bench: layer class {kind} is not supported here")
    return nn.Sequential(*layers)


def fastest_adam(params, device):
    """PyTorch's fastest Adam, as torchlet's step uses it: the fused kernel (CUDA, and the CPU from 2.4 on), else foreach."""
    fused = device.type == "cuda" or tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)
    return torch.optim.Adam(params, lr=1e-3, eps=1e-7, **({"fused": True} if fused else {"foreach": True}))


def compiled(model, variant):
    """The model as the variant runs it: torch.compile'd (max-autotune for compile_max_autotune), or as is."""
    if not variant.startswith("compile"):
        return model
    return torch.compile(model, mode="max-autotune" if variant == "compile_max_autotune" else None)


def autocast(variant, device):
    """The step's precision: bf16 autocast for the bf16 variants, else nothing."""
    if variant.endswith("bf16"):
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext


def peak_memory(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    p = argparse.ArgumentParser()
    add_runner_arguments(p)
    p.add_argument(
        "--variant", choices=["default", "channels_last", "cuda_graph", "compile", "compile_max_autotune", "bf16", "compile_bf16"], default="default"
    )
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    with open(a.model) as f:
        model_json = json.load(f)
    model = build(model_json, read_safetensors(a.weights)).to(device)
    fmt = torch.contiguous_format if a.variant == "default" else torch.channels_last
    model = model.to(memory_format=fmt)
    h, w, c = model_json["inputShape"]
    # The data stays on the device as uint8 NHWC, as torchlet holds it; each step gathers, converts and scales a batch.
    # As in torchlet's fit: each pass draws a permutation on the device and gathers its batches.
    count = max(a.steps, a.warmup) * a.batch_size
    images = torch.randint(0, 256, (count, h, w, c), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 10, (count,), device=device)
    order = torch.randperm(count, device=device)

    def batch(step):
        index = order[(step * a.batch_size) % count :][: a.batch_size]
        x = images.index_select(0, index).permute(0, 3, 1, 2).float().div_(255)
        return x.contiguous(memory_format=fmt), labels.index_select(0, index)

    if a.workload == "train":
        model.train()
        capturable = a.variant == "cuda_graph"
        if a.variant == "default":
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        elif capturable:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True, capturable=True)
        else:
            optimizer = fastest_adam(model.parameters(), device)
        forward = compiled(model, a.variant)
        precision = autocast(a.variant, device)

        def step(i):
            x, y = batch(i)
            with precision():
                loss = F.cross_entropy(forward(x), y)
            # The default loop calls zero_grad() as it comes; the tuned ones drop the gradients.
            optimizer.zero_grad(set_to_none=a.variant != "default")
            loss.backward()
            optimizer.step()

        if a.variant == "cuda_graph":
            static_x, static_y = batch(0)
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for i in range(3):
                    optimizer.zero_grad(set_to_none=True)
                    F.cross_entropy(model(static_x), static_y).backward()
                    optimizer.step()
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            optimizer.zero_grad(set_to_none=True)
            with torch.cuda.graph(graph):
                static_loss = F.cross_entropy(model(static_x), static_y)
                static_loss.backward()
                optimizer.step()

            def step(i):  # noqa: F811 - the graph replaces the eager step
                x, y = batch(i)
                static_x.copy_(x)
                static_y.copy_(y)
                graph.replay()
    else:
        model.eval()
        forward = compiled(model, a.variant)
        precision = autocast(a.variant, device)

        def step(i):
            with torch.no_grad(), precision():
                x, _ = batch(i)
                F.softmax(forward(x), 1)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    info = {
        "torchVersion": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": str(device) + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
    }
    reset = (lambda: torch.cuda.reset_peak_memory_stats(device)) if device.type == "cuda" else None
    def run(first, n):
        for i in range(first, first + n):
            step(i)

    serve(a, run, sync, info, lambda: peak_memory(device), reset)

if __name__ == "__main__":
    main()
