"""Reference values for the Tensor API (test/tensor.test.ts): elementwise math with broadcasting
and scalars, comparisons, reductions, shape ops, and seeded random draws."""
import torch


def build():
    torch.manual_seed(0)
    x = torch.randn(3, 4)
    y = torch.randn(4)
    z = torch.rand(3, 4) + 0.5  # positive, for log, sqrt and pow
    m = torch.randn(4, 5)
    b = torch.randn(2, 3, 4)
    idx = torch.tensor([2, 0, 1])
    gidx = torch.tensor([[0, 3], [1, 1], [2, 0]])
    out = {
        "add": x + y,
        "add_alpha": torch.add(x, y, alpha=2.5),
        "add_scalar": x + 1.5,
        "sub": x - y,
        "sub_scalar": x - 0.25,
        "mul": x * y,
        "mul_scalar": x * -3.0,
        "div": x / z,
        "div_scalar": x / 4.0,
        "pow_scalar": z ** 2.5,
        "pow_tensor": z ** y,
        "neg": -x,
        "exp": x.exp(),
        "log": z.log(),
        "sqrt": z.sqrt(),
        "abs": x.abs(),
        "clamp": x.clamp(-0.5, 0.5),
        "clamp_min": x.clamp(min=0.0),
        "matmul": x @ m,
        "matmul_batched": b @ m,
        "gt": x > 0,
        "le_tensor": x <= y,
        "eq_scalar": x.round() == 0,
        "sum_all": x.sum(),
        "sum_dim": x.sum(1),
        "sum_dims_keep": b.sum([0, 2], keepdim=True),
        "mean_dim_keep": x.mean(0, keepdim=True),
        "max_all": x.max(),
        "max_dim": x.amax(1),
        "min_dim_keep": x.amin(0, keepdim=True),
        "argmax_all": x.argmax(),
        "argmax_dim": x.argmax(1),
        "argmin_dim_keep": x.argmin(0, keepdim=True),
        "reshape": b.reshape(4, -1),
        "permute_contiguous": b.permute(2, 0, 1).contiguous(),
        "transpose": x.transpose(0, 1).contiguous(),
        "flatten": b.flatten(1),
        "narrow": x.narrow(1, 1, 2).contiguous(),
        "slice_step": x[:, 0:4:2].contiguous(),
        "index_select": x.index_select(0, idx),
        "gather": x.gather(1, gidx),
        "cat": torch.cat([x, x * 2], 1),
        "stack": torch.stack([x, -x], 0),
        "squeeze_unsqueeze": x.unsqueeze(0).unsqueeze(2).squeeze(0),
        "arange_float": torch.arange(0, 1, 0.125),
        "arange_int": torch.arange(2, 11, 3),
        "int_div": torch.tensor([7, -7, 9], dtype=torch.int32) / 2,
        "pad": torch.nn.functional.pad(x, (1, 2, 0, 1), value=-1.0),
        "erfinv": (z - 1).clamp(-0.9, 0.9).erfinv(),
        "flip": b.flip([0, 2]),
        "expand": y.unsqueeze(0).expand(3, 4).contiguous(),
        "where": torch.where(x > 0, x, y),
        "where_scalar": torch.where(x > 0, x, -1.0),
    }
    torch.manual_seed(42)
    out["random"] = {"rand": torch.rand(5), "randn": torch.randn(2, 3), "randint": torch.randint(3, 10, (6,)), "randperm": torch.randperm(7)}
    return {"inputs": {"x": x, "y": y, "z": z, "m": m, "b": b, "idx": idx, "gidx": gidx}, "expected": out}
