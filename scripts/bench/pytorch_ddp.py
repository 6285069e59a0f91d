#!/usr/bin/env python3
"""The PyTorch side of the data-parallel benchmark (distributed.mjs): the same saved model and
data protocol as distributed_worker.mjs, alone or as a rank of DistributedDataParallel (Gloo,
from torchrun's variables). Rank 0 prints one JSON line with the ms per step of each timed pass.
Each rank takes its contiguous part of every global batch, as torchlet's fit does."""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from pytorch_bench import build, fastest_adam, read_safetensors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--warmup", type=int, required=True)
    p.add_argument("--repeats", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    with open(a.model) as f:
        model_json = json.load(f)
    model = build(model_json, read_safetensors(a.weights)).to(memory_format=torch.channels_last)
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = fastest_adam(model.parameters(), torch.device("cpu"))
    h, w, c = model_json["inputShape"]
    count = max(a.steps, a.warmup) * a.batch_size
    images = torch.randint(0, 256, (count, h, w, c), dtype=torch.uint8)
    labels = torch.randint(0, 10, (count,))
    order = torch.randperm(count)
    share = a.batch_size // world
    extra = a.batch_size % world
    offset = rank * share + min(rank, extra)
    part = share + (1 if rank < extra else 0)

    def step(i):
        index = order[i * a.batch_size + offset :][:part]
        x = images.index_select(0, index).permute(0, 3, 1, 2).float().div_(255).contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(model(x), labels.index_select(0, index))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(a.warmup):
        step(i)
    passes = []
    for _ in range(a.repeats):
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        for i in range(a.steps):
            step(i)
        passes.append({"msPerStep": (time.perf_counter() - start) * 1000 / a.steps})
    if rank == 0:
        print(json.dumps({"passes": passes, "threads": torch.get_num_threads(), "torchVersion": torch.__version__}), flush=True)
    if world > 1:
        # Gloo's teardown can abort a rank ("terminate called without an active exception") when
        # the other rank exits first while DDP's reducer still holds the group; the timing is done,
        # so both ranks meet once more and leave without running destructors.
        dist.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
