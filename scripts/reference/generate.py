#!/usr/bin/env python3
"""Writes the PyTorch reference values that torchlet's tests compare against.

Run it with a Python that has PyTorch (here Debian's python3-torch):
    /usr/bin/python3 scripts/reference/generate.py OUT_DIR [SUITE ...]
Each suite is a module next to this file with a build() that returns a dict of tensors, numbers and
nested dicts; it is written to OUT_DIR/SUITE.json. The tests never hard-code these numbers.
"""
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the suites sit next to this file
from fixture import encode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Every module here but this one and fixture.py is a suite.
SUITES = sorted(f[:-3] for f in os.listdir(HERE) if f.endswith(".py") and f not in ("generate.py", "fixture.py"))


def main(argv):
    if not argv:
        sys.exit(__doc__)
    out_dir, suites = argv[0], argv[1:] or SUITES
    os.makedirs(out_dir, exist_ok=True)
    import torch

    torch.set_num_threads(1)  # reference values must not depend on the machine's thread count
    for suite in suites:
        values = importlib.import_module(suite).build()
        path = os.path.join(out_dir, suite + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump({"torch": torch.__version__, "values": encode(values)}, f)
        os.replace(path + ".tmp", path)
        print(f"reference: wrote {path} (torch {torch.__version__})")


if __name__ == "__main__":
    main(sys.argv[1:])
