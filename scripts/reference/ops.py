"""Reference values for the neural-network ops (test/ops.test.ts): for each case, the inputs, the
forward output, a random upstream gradient and the gradient of every floating-point input."""
import warnings

import torch
import torch.nn.functional as F

# PyTorch warns that even kernels with padding='same' copy the input; that is the case under test.
warnings.filterwarnings("ignore", message="Using padding='same'")


def case(fn, no_grad=(), **inputs):
    leaves = {k: v.clone().requires_grad_(v.is_floating_point() and k not in no_grad) for k, v in inputs.items()}
    out = fn(**leaves)
    upstream = torch.randn_like(out)
    out.backward(upstream)
    grads = {k: v.grad for k, v in leaves.items() if v.grad is not None}
    return {"inputs": inputs, "output": out, "upstream": upstream, "grads": grads}


def same_padding_conv(x, w, b, stride):
    """Keras/TensorFlow 'same' padding for any stride: output ceil(in / stride), extra pixel at the end."""
    pads = []
    for size, k in ((x.shape[3], w.shape[3]), (x.shape[2], w.shape[2])):
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.conv2d(F.pad(x, pads), w, b, stride=stride)


def build():
    torch.manual_seed(1)
    r = torch.randn
    cases = {
        "conv2d_basic": case(lambda x, w, b: F.conv2d(x, w, b), x=r(2, 3, 8, 8), w=r(4, 3, 3, 3), b=r(4)),
        "conv2d_batch1_nonsquare": case(lambda x, w, b: F.conv2d(x, w, b), x=r(1, 3, 7, 9), w=r(5, 3, 2, 3), b=r(5)),
        "conv2d_stride2_pad1": case(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), x=r(2, 3, 9, 9), w=r(4, 3, 3, 3), b=r(4)),
        "conv2d_rect_stride_pad": case(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(0, 2)), x=r(1, 2, 8, 6), w=r(3, 2, 3, 3), b=r(3)),
        "conv2d_same_k3": case(lambda x, w, b: F.conv2d(x, w, b, padding="same"), x=r(2, 2, 6, 6), w=r(3, 2, 3, 3), b=r(3)),
        "conv2d_same_k4": case(lambda x, w, b: F.conv2d(x, w, b, padding="same"), x=r(1, 2, 7, 7), w=r(3, 2, 4, 4), b=r(3)),
        "conv2d_same_stride2": case(lambda x, w, b: same_padding_conv(x, w, b, 2), x=r(2, 3, 9, 8), w=r(4, 3, 3, 3), b=r(4)),
        "conv2d_dilation2_nobias": case(lambda x, w: F.conv2d(x, w, dilation=2), x=r(1, 3, 10, 10), w=r(2, 3, 3, 3)),
        "conv2d_groups2": case(lambda x, w, b: F.conv2d(x, w, b, groups=2), x=r(2, 4, 6, 6), w=r(6, 2, 3, 3), b=r(6)),
        # conv2d with activation 'relu' (fused in torchlet): PyTorch's conv2d, then relu.
        "conv2d_relu_basic": case(lambda x, w, b: F.relu(F.conv2d(x, w, b)), x=r(2, 3, 8, 8), w=r(4, 3, 3, 3), b=r(4)),
        "conv2d_relu_same_stride2": case(lambda x, w, b: F.relu(same_padding_conv(x, w, b, 2)), x=r(2, 3, 9, 8), w=r(4, 3, 3, 3), b=r(4)),
        "conv2d_relu_dilation2_nobias": case(lambda x, w: F.relu(F.conv2d(x, w, dilation=2)), x=r(1, 3, 10, 10), w=r(2, 3, 3, 3)),
        "conv2d_relu_groups2_pad1": case(lambda x, w, b: F.relu(F.conv2d(x, w, b, padding=1, groups=2)), x=r(2, 4, 6, 6), w=r(6, 2, 3, 3), b=r(6)),
        "max_pool2d_k2": case(lambda x: F.max_pool2d(x, 2), x=r(2, 3, 8, 8)),
        "max_pool2d_k3s2p1": case(lambda x: F.max_pool2d(x, 3, 2, 1), x=r(1, 2, 9, 9)),
        "max_pool2d_nonsquare": case(lambda x: F.max_pool2d(x, (2, 3)), x=r(1, 2, 7, 10)),
        "max_pool2d_ceil": case(lambda x: F.max_pool2d(x, 2, ceil_mode=True), x=r(1, 1, 7, 7)),
        "avg_pool2d_k2": case(lambda x: F.avg_pool2d(x, 2), x=r(2, 3, 8, 8)),
        "avg_pool2d_k3s2p1_noinclude": case(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), x=r(1, 2, 9, 9)),
        "adaptive_avg_pool2d": case(lambda x: F.adaptive_avg_pool2d(x, (3, 3)), x=r(2, 3, 7, 7)),
        "global_avg_pool2d": case(lambda x: x.mean((2, 3)), x=r(2, 3, 5, 5)),
        "linear": case(lambda x, w, b: F.linear(x, w, b), x=r(4, 6), w=r(3, 6), b=r(3)),
        "linear_batch1_nobias": case(lambda x, w: F.linear(x, w), x=r(1, 6), w=r(2, 6)),
        "linear_3d": case(lambda x, w, b: F.linear(x, w, b), x=r(2, 5, 6), w=r(3, 6), b=r(3)),
        "flatten": case(lambda x: x.flatten(1), x=r(2, 3, 4, 5)),
        "relu": case(F.relu, input=r(3, 5)),
        "sigmoid": case(torch.sigmoid, input=r(3, 5)),
        "tanh": case(torch.tanh, input=r(3, 5)),
        "gelu": case(F.gelu, input=r(3, 5)),
        "gelu_tanh": case(lambda input: F.gelu(input, approximate="tanh"), input=r(3, 5)),
        "elu": case(F.elu, input=r(3, 5)),
        "selu": case(F.selu, input=r(3, 5)),
        "silu": case(F.silu, input=r(3, 5)),
        "leaky_relu": case(lambda input: F.leaky_relu(input, 0.2), input=r(3, 5)),
        "softplus": case(F.softplus, input=r(3, 5)),
        "softmax": case(lambda input: F.softmax(input, 1), input=r(3, 5)),
        "softmax_dim0": case(lambda input: F.softmax(input, 0), input=r(3, 5)),
        "log_softmax": case(lambda input: F.log_softmax(input, 1), input=r(3, 5)),
        "dropout_eval": case(lambda input: F.dropout(input, 0.3, False), input=r(4, 5)),
    }
    x = r(6, 8)
    torch.manual_seed(7)
    cases["dropout_train"] = case(lambda input: F.dropout(input, 0.3, True), input=x)

    def batch_norm(training, shape):
        x, w, b = r(*shape), r(shape[1]), r(shape[1])
        rm, rv = r(shape[1]), torch.rand(shape[1]) + 0.5
        c = case(lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5), no_grad=("rm", "rv"), x=x, w=w, b=b, rm=rm.clone(), rv=rv.clone())
        running_mean, running_var = rm.clone(), rv.clone()
        F.batch_norm(x, running_mean, running_var, w, b, training, 0.1, 1e-5)
        c["state"] = {"rm": running_mean, "rv": running_var}
        return c

    torch.manual_seed(2)
    cases["batch_norm2d_train"] = batch_norm(True, (4, 3, 5, 5))
    cases["batch_norm2d_eval"] = batch_norm(False, (4, 3, 5, 5))
    cases["batch_norm1d_train"] = batch_norm(True, (6, 4))

    logits, labels = r(5, 4), torch.randint(0, 4, (5,))
    cases["cross_entropy_mean"] = case(lambda x, y: F.cross_entropy(x, y), x=logits, y=labels)
    cases["cross_entropy_sum_smooth"] = case(lambda x, y: F.cross_entropy(x, y, reduction="sum", label_smoothing=0.1), x=logits, y=labels)
    cases["cross_entropy_none"] = case(lambda x, y: F.cross_entropy(x, y, reduction="none"), x=logits, y=labels)
    cases["cross_entropy_probs"] = case(lambda x, y: F.cross_entropy(x, y), no_grad=("y",), x=logits, y=F.softmax(r(5, 4), 1))
    cases["nll"] = case(lambda x, y: F.nll_loss(x, y), x=F.log_softmax(logits, 1), y=labels)
    cases["bce"] = case(lambda x, y: F.binary_cross_entropy(x, y), no_grad=("y",), x=torch.sigmoid(r(4, 3)), y=torch.rand(4, 3))
    cases["bce_logits"] = case(lambda x, y: F.binary_cross_entropy_with_logits(x, y), no_grad=("y",), x=r(4, 3), y=torch.rand(4, 3))
    cases["mse_sum"] = case(lambda x, y: F.mse_loss(x, y, reduction="sum"), no_grad=("y",), x=r(4, 3), y=r(4, 3))
    return cases
