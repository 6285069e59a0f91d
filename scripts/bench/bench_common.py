"""What the Python runners of the benchmark share (pytorch_bench.py, keras_bench.py), with no
dependency beyond numpy: reading torchlet's weights, and the protocol of benchmark.mjs."""
import json
import math
import os
import struct
import sys
import time

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return out


def add_runner_arguments(p):
    """The arguments benchmark.mjs passes every Python runner (its own, such as --variant, come beside)."""
    p.add_argument("--model", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--workload", choices=["train", "inference"], required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--warmup", type=int, required=True)
    p.add_argument("--warmup-seconds", type=float, default=0)
    p.add_argument("--min-pass-ms", type=float, default=0)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)


def process_age():
    """Seconds since this process started (Linux: /proc/self/stat's start time against uptime)."""
    with open("/proc/self/stat") as f:
        started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - started


def serve(a, run, sync, info, peak_memory, before_ready=None):
    """Warms up as torchlet_bench.mjs does (a.warmup steps, then a.warmup_seconds more), sizes a
    pass (a.steps, as many times as a pass of a.min_pass_ms takes at the pace of one more untimed
    run), then speaks benchmark.mjs's protocol: 'ready' (with `info` and the time to first step),
    each 'run' times one pass and answers with its ms/step, 'done' answers with peak_memory() and
    ends. run(first, n) takes n steps from step `first` (the batches wrap round the same data);
    before_ready() runs after the warm-up."""
    first_step = None
    if a.warmup > 0:
        run(0, 1)
        sync()
        first_step = process_age()
        warm_until = time.perf_counter() + a.warmup_seconds
        run(1, a.warmup - 1)
        i = a.warmup
        while time.perf_counter() < warm_until:
            run(i, a.steps)
            i += a.steps
    sync()
    pass_steps = a.steps
    if a.min_pass_ms > 0:
        start = time.perf_counter()
        run(0, a.steps)
        sync()
        pass_steps = a.steps * max(1, math.ceil(a.min_pass_ms / ((time.perf_counter() - start) * 1000)))
    if before_ready:
        before_ready()

    def reply(value):
        print(json.dumps(value), flush=True)

    reply({"ready": True, "firstStepSeconds": first_step, "passSteps": pass_steps, **info})
    for line in sys.stdin:
        if line.strip() != "run":
            break
        sync()
        start = time.perf_counter()
        run(0, pass_steps)
        sync()
        reply({"msPerStep": (time.perf_counter() - start) * 1000 / pass_steps})
    reply({"peakMemory": peak_memory()})
