#!/usr/bin/env python3
"""PyTorch doing what `torchlet train-cifar10` does, for a side-by-side epoch time: the reference
CNN with Keras's initializers and Adam defaults, the same batch size, the whole data set held as
one uint8 tensor, batches gathered, converted and scaled per step, and a test-set evaluation at
the end of every epoch.

    /usr/bin/python3 scripts/pytorch-train-cifar10.py --data-dir DIR [--epochs 1] [--batch-size 32]
        [--threads N] [--limit N] [--channels-last]
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_batches(paths):
    raw = np.concatenate([np.fromfile(p, dtype=np.uint8).reshape(-1, 3073) for p in paths])
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    images = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy())
    return images, labels


class ReferenceCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 32, 3), nn.Conv2d(32, 64, 3), nn.Conv2d(64, 128, 3)])
        self.dense = nn.Linear(512, 512)
        self.out = nn.Linear(512, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)  # Keras's glorot_uniform
                nn.init.zeros_(m.bias)

    def forward(self, x):
        for conv in self.convs:
            x = F.max_pool2d(F.relu(conv(x)), 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # Keras's Flatten order
        return self.out(F.relu(self.dense(x)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--limit", type=int)
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d = args.data_dir
    train_x, train_y = read_batches([os.path.join(d, f"data_batch_{k}.bin") for k in range(1, 6)])
    test_x, test_y = read_batches([os.path.join(d, "test_batch.bin")])
    if args.limit:
        train_x, train_y, test_x, test_y = train_x[: args.limit], train_y[: args.limit], test_x[: args.limit], test_y[: args.limit]
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = ReferenceCnn().to(memory_format=fmt)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    for epoch in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_y))
        for i in range(0, len(train_y), args.batch_size):
            idx = order[i : i + args.batch_size]
            x = (train_x.index_select(0, idx).float() / 255).contiguous(memory_format=fmt)
            loss = F.cross_entropy(model(x), train_y.index_select(0, idx))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(test_y), args.batch_size):
                x = (test_x[i : i + args.batch_size].float() / 255).contiguous(memory_format=fmt)
                correct += (model(x).argmax(1) == test_y[i : i + args.batch_size]).sum().item()
        seconds = time.perf_counter() - start
        print(f"epoch {epoch + 1}: {seconds:.1f} s, test accuracy {correct / len(test_y):.4f}", flush=True)


if __name__ == "__main__":
    main()
