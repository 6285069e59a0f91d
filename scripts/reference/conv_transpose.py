"""Reference values for ops.convTranspose2d (test/nn/conv-transpose.test.ts): PyTorch's full
transposed convolution, cropped (or extended with zeros) to the output Keras's Conv2DTranspose
gives (its deconv_output_length; the crops TensorFlow and JAX take), then the bias; with a random
upstream gradient and the gradients of the input, weight [in, out, kh, kw] and bias."""
import torch
import torch.nn.functional as F

from ops import case


def keras_crops(size, k, stride, same, output_padding, dilation):
    """(crop at the start, crop at the end) of the full output along one dim; negative: zeros added."""
    k = (k - 1) * dilation + 1
    if same:
        total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        before = min(total // 2 + total % 2, k - 1)
        after = total - before
    else:
        before = k - 1
        after = k - 1 + (max(k, stride) - k if output_padding is None else output_padding)
    return k - 1 - before, k - 1 - after


def conv_transpose(x, w, b=None, stride=(1, 1), same=False, output_padding=(None, None), dilation=(1, 1)):
    full = F.conv_transpose2d(x, w, stride=stride, dilation=dilation)
    (top, bottom), (left, right) = (keras_crops(x.shape[2 + d], w.shape[2 + d], stride[d], same, output_padding[d], dilation[d])
                                    for d in range(2))
    out = F.pad(full, [-left, -right, -top, -bottom])
    return out if b is None else out + b.view(-1, 1, 1)


def build():
    torch.manual_seed(3)
    r = torch.randn
    ct = conv_transpose
    return {
        "valid_k3": case(lambda x, w, b: ct(x, w, b), x=r(2, 3, 4, 5), w=r(3, 2, 3, 3), b=r(2)),
        "valid_k3_stride2": case(lambda x, w, b: ct(x, w, b, (2, 2)), x=r(2, 3, 4, 5), w=r(3, 2, 3, 3), b=r(2)),
        "valid_k2_stride3": case(lambda x, w, b: ct(x, w, b, (3, 3)), x=r(1, 2, 3, 4), w=r(2, 3, 2, 2), b=r(3)),
        "valid_output_padding": case(lambda x, w, b: ct(x, w, b, (2, 3), False, (1, 2)), x=r(1, 2, 3, 4), w=r(2, 3, 3, 2), b=r(3)),
        "same_k3_stride2": case(lambda x, w, b: ct(x, w, b, (2, 2), True), x=r(2, 3, 4, 5), w=r(3, 2, 3, 3), b=r(2)),
        "same_k4_stride2": case(lambda x, w, b: ct(x, w, b, (2, 2), True), x=r(1, 3, 4, 5), w=r(3, 2, 4, 4), b=r(2)),
        "same_k1_stride2": case(lambda x, w, b: ct(x, w, b, (2, 2), True), x=r(1, 2, 3, 3), w=r(2, 2, 1, 1), b=r(2)),
        "same_k3x2_stride2x3": case(lambda x, w, b: ct(x, w, b, (2, 3), True), x=r(2, 2, 3, 4), w=r(2, 3, 3, 2), b=r(3)),
        "same_output_padding": case(lambda x, w, b: ct(x, w, b, (2, 2), True, (1, 0)), x=r(1, 2, 4, 4), w=r(2, 3, 3, 3), b=r(3)),
        "same_dilation2_nobias": case(lambda x, w: ct(x, w, None, (1, 1), True, (None, None), (2, 2)), x=r(1, 2, 5, 5), w=r(2, 3, 3, 3)),
        "valid_dilation2": case(lambda x, w, b: ct(x, w, b, (1, 1), False, (None, None), (2, 1)), x=r(1, 2, 4, 4), w=r(2, 2, 3, 3), b=r(2)),
    }
