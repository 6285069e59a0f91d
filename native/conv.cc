// conv2d.
#include <limits>

#include "args.h"
#include "conv-relu.h"
#include "convert.h"
#include "errors.h"
#include "ops.h"
#include "window.h"

namespace torchlet {

void registerConv(Napi::Env env, Napi::Object exports) {
  // conv2d(input, weight, bias?, stride, padding ('valid' | 'same' | int | [h, w]), dilation, groups,
  // activation ('linear' | 'relu', fused into the convolution: conv-relu.h))
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
      if (isSamePadding(a, 4)) {
        // The symmetric part goes to the conv; the odd pixel (after) is padded here.
        auto pads = samePads(size, {weight.size(2), weight.size(3)}, stride, dilation);
        padding = {pads[2], pads[0]};
        if (pads[1] > pads[0] || pads[3] > pads[2]) input = at::constant_pad_nd(input, {0, pads[1] - pads[0], 0, pads[3] - pads[2]}, 0);
      }
    } else if (a.has(4)) {
      padding = pair(a, 4, "padding", 0);
    }
    std::string activation = a.has(7) ? a.string(7, "activation") : "linear";
    if (activation == "relu") return a.wrap(conv2dRelu(input, weight, bias, stride, padding, dilation, groups));
    if (activation != "linear") throw ArgRangeError("'activation' must be 'linear' or 'relu', got '" + activation + "'");
    return a.wrap(at::conv2d(input, weight, bias, stride, padding, dilation, groups));
  });
}

}  // namespace torchlet
