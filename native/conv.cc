// conv2d.
#include <limits>

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
}

}  // namespace torchlet
