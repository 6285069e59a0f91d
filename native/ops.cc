#include "ops.h"

#include <ATen/core/Reduction.h>

#include <array>
#include <limits>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {
namespace {

using Pair = std::array<int64_t, 2>;

// An integer or [h, w], each >= `min`.
Pair pair(const Args& a, size_t i, const char* name, int64_t min) {
  std::vector<int64_t> v = a.ints(i, name);
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2) throw ArgRangeError(std::string("'") + name + "' must be one integer or two, got " + formatShape(v));
  for (int64_t x : v) {
    if (x < min) throw ArgRangeError(std::string("'") + name + "' must be >= " + std::to_string(min) + ", got " + formatShape(v));
  }
  return {v[0], v[1]};
}

std::string pairText(const Pair& p) { return std::to_string(p[0]) + "x" + std::to_string(p[1]); }

// The two trailing spatial sizes of a [N, C, H, W] or [C, H, W] input.
Pair spatial(const at::Tensor& input, const char* op) {
  if (input.dim() != 4 && input.dim() != 3) {
    throw ArgRangeError(std::string(op) + " expects a 4-D [N, C, H, W] (or 3-D [C, H, W]) input, got " + formatShape(input.sizes()));
  }
  return {input.size(-2), input.size(-1)};
}

int64_t reduction(const Args& a, size_t i) {
  if (!a.has(i)) return at::Reduction::Mean;
  std::string name = a.string(i, "reduction");
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw ArgRangeError("unknown reduction '" + name + "' (expected 'mean', 'sum' or 'none')");
}

// Class-index targets: integral (widened to int64), one per row of the input, within [0, classes).
// On CUDA the range check costs a host sync, so callers that validated their labels once may skip it.
at::Tensor classTargets(const at::Tensor& input, const at::Tensor& target, bool checkRange) {
  if (input.dim() < 1 || input.dim() > 2) {
    throw ArgRangeError("expects a 2-D [N, classes] (or 1-D [classes]) input, got " + formatShape(input.sizes()));
  }
  if (!at::isIntegralType(target.scalar_type(), /*includeBool=*/false)) {
    throw ArgTypeError(std::string("labels must be integer class indices, got ") + dtypeName(target.scalar_type()) +
                       " (for one-hot or probability targets use categorical cross-entropy)");
  }
  int64_t rows = input.dim() == 2 ? input.size(0) : 1;
  if (target.dim() != input.dim() - 1 || (input.dim() == 2 && target.size(0) != rows)) {
    throw ArgRangeError("expects " + std::to_string(rows) + " labels for input " + formatShape(input.sizes()) + ", got labels of shape " +
                        formatShape(target.sizes()));
  }
  at::Tensor labels = target.scalar_type() == at::kLong ? target : target.to(at::kLong);
  int64_t classes = input.size(-1);
  if (checkRange && labels.numel() > 0) {
    auto [lo, hi] = at::aminmax(labels);
    auto low = lo.item<int64_t>();
    auto high = hi.item<int64_t>();
    if (low < 0 || high >= classes) {
      throw ArgRangeError("label " + std::to_string(low < 0 ? low : high) + " is out of range for " + std::to_string(classes) + " classes");
    }
  }
  return labels;
}

void requireSameShape(const at::Tensor& input, const at::Tensor& target) {
  if (!input.sizes().equals(target.sizes())) {
    throw ArgRangeError("input and target must have the same shape, got " + formatShape(input.sizes()) + " and " +
                        formatShape(target.sizes()));
  }
}

// Output size of a pooling window along one dim (as ATen's pooling_output_shape).
int64_t pooledSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil) {
  int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil ? stride - 1 : 0);
  int64_t out = span < 0 ? 0 : span / stride + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

struct PoolArgs {
  Pair kernel, stride, padding;
  bool ceilMode;
};

PoolArgs poolArgs(const Args& a, const at::Tensor& input, const char* op, Pair dilation = {1, 1}) {
  Pair size = spatial(input, op);
  PoolArgs p{pair(a, 1, "kernelSize", 1), a.has(2) ? pair(a, 2, "stride", 1) : Pair{0, 0}, pair(a, 3, "padding", 0),
             a.boolean(4, "ceilMode", false)};
  if (!a.has(2)) p.stride = p.kernel;
  for (int k = 0; k < 2; ++k) {
    if (p.padding[k] * 2 > p.kernel[k]) {
      throw ArgRangeError("padding " + pairText(p.padding) + " must be at most half of the window " + pairText(p.kernel));
    }
    if (pooledSize(size[k], p.kernel[k], p.stride[k], p.padding[k], dilation[k], p.ceilMode) < 1) {
      throw ArgRangeError("the " + pairText(p.kernel) + " window does not fit in the " + pairText(size) + " input (padding " +
                          pairText(p.padding) + ")");
    }
  }
  return p;
}

}  // namespace

void registerOps(Napi::Env env, Napi::Object exports) {
  // conv2d(input, weight, bias?, stride, padding ('valid' | 'same' | int | [h, w]), dilation, groups)
  bind(exports, "conv2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor weight = a.tensor(1, "weight");
    c10::optional<at::Tensor> bias = a.optionalTensor(2, "bias");
    Pair stride = pair(a, 3, "stride", 1);
    Pair dilation = pair(a, 5, "dilation", 1);
    int64_t groups = a.integer(6, "groups", 1);
    // libtorch 1.13 keeps groups in an int: 2**32 would become 0 there, and divide by it.
    if (groups < 1 || groups > std::numeric_limits<int32_t>::max()) {
      throw ArgRangeError("'groups' must be between 1 and 2147483647, got " + std::to_string(groups));
    }
    Pair size = spatial(input, "conv2d");
    if (weight.dim() != 4) throw ArgRangeError("expects a 4-D [out, in / groups, kH, kW] weight, got " + formatShape(weight.sizes()));
    Pair padding{0, 0};
    if (a[4].IsString()) {
      std::string mode = a.string(4, "padding");
      if (mode == "same") {
        // Output size ceil(in / stride), as Keras; the odd pixel of padding goes at the end, as in
        // PyTorch and TensorFlow, so a symmetric part is passed to the conv and the rest padded here.
        std::array<int64_t, 4> extra{0, 0, 0, 0};  // left, right, top, bottom
        for (int k = 0; k < 2; ++k) {
          int64_t out = (size[k] + stride[k] - 1) / stride[k];
          int64_t total = std::max<int64_t>((out - 1) * stride[k] + dilation[k] * (weight.size(2 + k) - 1) + 1 - size[k], 0);
          padding[k] = total / 2;
          extra[k == 0 ? 3 : 1] = total - 2 * padding[k];
        }
        if (extra[1] || extra[3]) input = at::constant_pad_nd(input, {extra[0], extra[1], extra[2], extra[3]}, 0);
      } else if (mode != "valid") {
        throw ArgRangeError("unknown padding '" + mode + "' (expected 'valid', 'same' or numbers)");
      }
    } else if (a.has(4)) {
      padding = pair(a, 4, "padding", 0);
    }
    return a.wrap(at::conv2d(input, weight, bias, stride, padding, dilation, groups));
  });

  // maxPool2d(input, kernelSize, stride?, padding, ceilMode); stride defaults to kernelSize
  bind(exports, "maxPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    PoolArgs p = poolArgs(a, input, "maxPool2d");
    return a.wrap(at::max_pool2d(input, p.kernel, p.stride, p.padding, {1, 1}, p.ceilMode));
  });
  // avgPool2d(input, kernelSize, stride?, padding, ceilMode, countIncludePad)
  bind(exports, "avgPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    PoolArgs p = poolArgs(a, input, "avgPool2d");
    return a.wrap(at::avg_pool2d(input, p.kernel, p.stride, p.padding, p.ceilMode, a.boolean(5, "countIncludePad", true)));
  });
  bind(exports, "adaptiveAvgPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    spatial(input, "adaptiveAvgPool2d");
    Pair out = pair(a, 1, "outputSize", 1);
    return a.wrap(at::adaptive_avg_pool2d(input, out));
  });

  // linear(input, weight, bias?, kernel): kernel 'blas' is torch.nn.functional.linear; 'auto'
  // also allows oneDNN's 1x1 convolution, which replaces the matmul where libtorch has no MKL:
  // a reference BLAS (as in Debian's libtorch) is an order of magnitude slower than oneDNN there.
  bind(exports, "linear", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor weight = a.tensor(1, "weight");
    c10::optional<at::Tensor> bias = a.optionalTensor(2, "bias");
    std::string kernel = a.has(3) ? a.string(3, "kernel") : "blas";
    if (kernel != "blas" && kernel != "auto") throw ArgRangeError("unknown kernel '" + kernel + "' (expected 'blas' or 'auto')");
    if (weight.dim() != 2) throw ArgRangeError("expects a 2-D [out, in] weight, got " + formatShape(weight.sizes()));
    if (input.dim() < 1 || input.size(-1) != weight.size(1)) {
      throw ArgRangeError("input features (last dim of " + formatShape(input.sizes()) + ") must equal the weight's in-features " +
                          std::to_string(weight.size(1)));
    }
    bool viaConv = kernel == "auto" && input.is_cpu() && input.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
                   input.dim() >= 2 && at::hasMKLDNN() && !at::hasMKL();
    if (!viaConv) return a.wrap(at::linear(input, weight, bias));
    std::vector<int64_t> outShape(input.sizes().begin(), input.sizes().end());
    outShape.back() = weight.size(0);
    at::Tensor rows = input.reshape({-1, input.size(-1), 1, 1});
    at::Tensor out = at::conv2d(rows, weight.view({weight.size(0), weight.size(1), 1, 1}), bias);
    return a.wrap(out.view(outShape));
  });

  bindUnary(exports, "relu", at::relu, "input");
  bindUnary(exports, "sigmoid", at::sigmoid, "input");
  bindUnary(exports, "tanh", at::tanh, "input");
  bindUnary(exports, "selu", at::selu, "input");
  bindUnary(exports, "silu", at::silu, "input");
  bind(exports, "gelu", [](Args& a) {
    std::string approximate = a.has(1) ? a.string(1, "approximate") : "none";
    if (approximate != "none" && approximate != "tanh") {
      throw ArgRangeError("unknown approximate '" + approximate + "' (expected 'none' or 'tanh')");
    }
    return a.wrap(at::gelu(a.tensor(0, "input"), approximate));
  });
  bind(exports, "elu", [](Args& a) { return a.wrap(at::elu(a.tensor(0, "input"), a.has(1) ? a.number(1, "alpha") : 1.0)); });
  bind(exports, "leakyRelu",
       [](Args& a) { return a.wrap(at::leaky_relu(a.tensor(0, "input"), a.has(1) ? a.number(1, "negativeSlope") : 0.01)); });
  bind(exports, "softplus", [](Args& a) { return a.wrap(at::softplus(a.tensor(0, "input"))); });
  bind(exports, "softmax", [](Args& a) { return a.wrap(at::softmax(a.tensor(0, "input"), a.integer(1, "dim", -1))); });
  bind(exports, "logSoftmax", [](Args& a) { return a.wrap(at::log_softmax(a.tensor(0, "input"), a.integer(1, "dim", -1))); });

  bind(exports, "dropout", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    double p = a.number(1, "rate");
    if (p < 0 || p > 1) throw ArgRangeError("'rate' must be in [0, 1], got " + std::to_string(p));
    return a.wrap(at::dropout(input, p, a.boolean(2, "training", false)));
  });

  // batchNorm(input, runningMean?, runningVar?, weight?, bias?, training, momentum, eps): the
  // running statistics are updated in place in training mode (PyTorch's momentum convention).
  bind(exports, "batchNorm", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    c10::optional<at::Tensor> mean = a.optionalTensor(1, "runningMean");
    c10::optional<at::Tensor> var = a.optionalTensor(2, "runningVar");
    c10::optional<at::Tensor> weight = a.optionalTensor(3, "weight");
    c10::optional<at::Tensor> bias = a.optionalTensor(4, "bias");
    bool training = a.boolean(5, "training", false);
    double momentum = a.has(6) ? a.number(6, "momentum") : 0.1;
    double eps = a.has(7) ? a.number(7, "eps") : 1e-5;
    if (input.dim() < 2) throw ArgRangeError("expects an [N, C, ...] input, got " + formatShape(input.sizes()));
    if (!training && (!mean || !var)) throw ArgRangeError("eval mode needs runningMean and runningVar");
    for (const auto* t : {&mean, &var, &weight, &bias}) {
      if (*t && ((*t)->dim() != 1 || (*t)->size(0) != input.size(1))) {
        throw ArgRangeError("statistics and affine parameters must have shape [" + std::to_string(input.size(1)) + "], got " +
                            formatShape((*t)->sizes()));
      }
    }
    // Values per channel: every dim but the channels' (a product, so that zero channels divide nothing).
    std::vector<int64_t> others(input.sizes().begin(), input.sizes().end());
    others.erase(others.begin() + 1);
    int64_t perChannel = saturatingProduct(others);
    if (training && perChannel < 2) {
      throw ArgRangeError("training needs more than one value per channel, got input " + formatShape(input.sizes()));
    }
    return a.wrap(at::batch_norm(input, weight, bias, mean, var, training, momentum, eps, /*cudnn_enabled=*/true));
  });

  // crossEntropy(input, target, reduction, labelSmoothing, checkLabels): integer class targets, or
  // probabilities of the input's shape.
  bind(exports, "crossEntropy", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    double smoothing = a.has(3) ? a.number(3, "labelSmoothing") : 0.0;
    if (smoothing < 0 || smoothing > 1) throw ArgRangeError("'labelSmoothing' must be in [0, 1], got " + std::to_string(smoothing));
    if (at::isFloatingType(target.scalar_type())) {
      requireSameShape(input, target);
    } else {
      target = classTargets(input, target, a.boolean(4, "checkLabels", true));
    }
    return a.wrap(at::cross_entropy_loss(input, target, c10::nullopt, reduction(a, 2), -100, smoothing));
  });
  bind(exports, "nll", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = classTargets(input, a.tensor(1, "target"), a.boolean(3, "checkLabels", true));
    return a.wrap(at::nll_loss(input, target, c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "binaryCrossEntropy", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::binary_cross_entropy(input, target.to(input.scalar_type()), c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "binaryCrossEntropyWithLogits", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::binary_cross_entropy_with_logits(input, target.to(input.scalar_type()), c10::nullopt, c10::nullopt, reduction(a, 2)));
  });
  bind(exports, "mse", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    at::Tensor target = a.tensor(1, "target");
    requireSameShape(input, target);
    return a.wrap(at::mse_loss(input, target, reduction(a, 2)));
  });
}

}  // namespace torchlet
