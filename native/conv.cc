// conv2d and its transpose.
#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "args.h"
#include "conv-relu-pool.h"
#include "conv-relu.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"
#include "window.h"

namespace torchlet {

namespace {

// A convolution's arguments as conv2d and conv2dReluMaxPool take them.
struct ConvCall {
  at::Tensor input, weight;
  c10::optional<at::Tensor> bias;
  Pair stride, padding, dilation;
  int64_t groups;
};

// (input, weight, bias?, stride, padding ('valid' | 'same' | int | [h, w]), dilation, groups).
ConvCall convCall(Args& a, const char* op) {
  ConvCall c{a.tensor(0, "input"),      a.tensor(1, "weight"),    a.optionalTensor(2, "bias"), pair(a, 3, "stride", 1), {0, 0},
             pair(a, 5, "dilation", 1), a.integer(6, "groups", 1)};
  // libtorch 1.13 keeps groups in an int: 2**32 would become 0 there, and divide by it.
  if (c.groups < 1 || c.groups > std::numeric_limits<int32_t>::max()) {
    throw ArgRangeError("'groups' must be between 1 and 2147483647, got " + std::to_string(c.groups));
  }
  Pair size = spatial(c.input, op);
  if (c.weight.dim() != 4) throw ArgRangeError("expects a 4-D [out, in / groups, kH, kW] weight, got " + formatShape(c.weight.sizes()));
  if (a[4].IsString()) {
    if (isSamePadding(a, 4)) {
      // The symmetric part goes to the conv; the odd pixel (after) is padded here.
      auto pads = samePads(size, {c.weight.size(2), c.weight.size(3)}, c.stride, c.dilation);
      c.padding = {pads[2], pads[0]};
      if (pads[1] > pads[0] || pads[3] > pads[2]) c.input = at::constant_pad_nd(c.input, {0, pads[1] - pads[0], 0, pads[3] - pads[2]}, 0);
    }
  } else if (a.has(4)) {
    c.padding = pair(a, 4, "padding", 0);
  }
  return c;
}

// convTranspose2d's arguments: (input, weight [in, out, kH, kW], bias?, stride, padding ('valid' |
// 'same'), outputPadding ([h, w] or null for Keras's inferred one), dilation).
at::Tensor convTranspose2d(Args& a) {
  at::Tensor input = a.tensor(0, "input");
  at::Tensor weight = a.tensor(1, "weight");
  c10::optional<at::Tensor> bias = a.optionalTensor(2, "bias");
  Pair stride = pair(a, 3, "stride", 1);
  bool same = isSamePadding(a, 4);
  Pair outputPadding{-1, -1};
  if (a.has(5)) outputPadding = pair(a, 5, "outputPadding", 0);
  Pair dilation = pair(a, 6, "dilation", 1);
  Pair size = spatial(input, "convTranspose2d");
  if (weight.dim() != 4) throw ArgRangeError("expects a 4-D [in, out, kH, kW] weight, got " + formatShape(weight.sizes()));
  if (input.size(-3) != weight.size(0)) {
    throw ArgRangeError("the input's channels (" + std::to_string(input.size(-3)) + " in " + formatShape(input.sizes()) +
                        ") must equal the weight's first dim (" + formatShape(weight.sizes()) + ")");
  }
  if (bias && (bias->dim() != 1 || bias->size(0) != weight.size(1))) {
    throw ArgRangeError("expects a bias of [" + std::to_string(weight.size(1)) + "] (the weight's out channels), got " +
                        formatShape(bias->sizes()));
  }
  std::array<TransposedCrop, 2> crops{};
  std::vector<int64_t> whole(input.sizes().begin(), input.sizes().end());
  whole[whole.size() - 3] = weight.size(1);
  for (size_t k = 0; k < 2; ++k) {
    if (outputPadding[k] >= stride[k]) {
      throw ArgRangeError("'outputPadding' " + pairText(outputPadding) + " must be below the stride " + pairText(stride));
    }
    crops[k] = transposedCrop(size[k], weight.size(static_cast<int64_t>(k) + 2), stride[k], same, outputPadding[k], dilation[k]);
    if (crops[k].length < 1) throw ArgRangeError("the transposed convolution of " + pairText(size) + " would have no output");
    whole[whole.size() - 2 + k] = crops[k].length;
  }
  if (saturatingProduct(whole) > (int64_t{1} << 36))
    throw ArgRangeError("the output " + formatShape(whole) + " would hold more than 2^36 elements");
  // ATen crops the same number of positions on both sides; the rest is cropped (or zero-extended) after.
  Pair padding{std::max<int64_t>(0, std::min(crops[0].before, crops[0].after)),
               std::max<int64_t>(0, std::min(crops[1].before, crops[1].after))};
  std::array<int64_t, 4> rest{padding[1] - crops[1].before, padding[1] - crops[1].after, padding[0] - crops[0].before,
                              padding[0] - crops[0].after};
  bool extends = std::any_of(rest.begin(), rest.end(), [](int64_t p) { return p > 0; });
  bool cropsAfter = std::any_of(rest.begin(), rest.end(), [](int64_t p) { return p != 0; });
  // Zeros appended after the convolution still get the bias, as in Keras: then it is added last.
  at::Tensor out =
      at::conv_transpose2d(input, weight, extends ? c10::optional<at::Tensor>() : bias, stride, padding, Pair{0, 0}, 1, dilation);
  if (cropsAfter) out = at::constant_pad_nd(out, {rest[0], rest[1], rest[2], rest[3]}, 0);
  if (extends && bias) out = out + bias->view({-1, 1, 1});
  return out;
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  // conv2d(input, weight, bias?, stride, padding, dilation, groups, activation ('linear' | 'relu',
  // fused into the convolution: conv-relu.h))
  bind(exports, "conv2d", [](Args& a) {
    ConvCall c = convCall(a, "conv2d");
    std::string activation = a.has(7) ? a.string(7, "activation") : "linear";
    if (activation == "relu") return a.wrap(conv2dRelu(c.input, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups));
    if (activation != "linear") throw ArgRangeError("'activation' must be 'linear' or 'relu', got '" + activation + "'");
    return a.wrap(at::conv2d(c.input, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups));
  });
  // conv2dReluMaxPool(input, weight, bias?, stride, padding, dilation, groups, poolSize, poolStride):
  // max pooling without padding of conv2d(..., 'relu'), fused where that is faster (conv-relu-pool.h).
  bind(exports, "conv2dReluMaxPool", [](Args& a) {
    ConvCall c = convCall(a, "conv2dReluMaxPool");
    Pair poolSize = pair(a, 7, "poolSize", 1);
    Pair poolStride = pair(a, 8, "poolStride", 1);
    return a.wrap(conv2dReluMaxPool(c.input, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups, poolSize, poolStride));
  });
  // convTranspose2d(input, weight, bias?, stride, padding, outputPadding?, dilation): Keras's
  // Conv2DTranspose, its output length and 'same' crops included (window.h, transposedCrop).
  bind(exports, "convTranspose2d", [](Args& a) { return a.wrap(convTranspose2d(a)); });
}

}  // namespace torchlet
