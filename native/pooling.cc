// Pooling: max, average (with Keras's 'same' padding, which average pooling leaves out of each
// mean) and adaptive average; and upsampling by whole factors (Keras's UpSampling2D).
#include <limits>
#include <string>
#include <vector>

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "max-pool.h"
#include "ops.h"
#include "window.h"

namespace torchlet {
namespace {

struct PoolArgs {
  Pair kernel, stride, padding;
  bool ceilMode;
  bool same;  // Keras's 'same': `padding` is then unused, the input is padded by samePads()
};

// (input, kernelSize, stride?, padding ('valid' | 'same' | int | [h, w]), ceilMode); the stride defaults to the window.
PoolArgs poolArgs(const Args& a, const at::Tensor& input, const char* op) {
  Pair size = spatial(input, op);
  PoolArgs p{pair(a, 1, "kernelSize", 1), {0, 0}, {0, 0}, a.boolean(4, "ceilMode", false), false};
  p.stride = a.has(2) ? pair(a, 2, "stride", 1) : p.kernel;
  if (a[3].IsString()) {
    p.same = isSamePadding(a, 3);
    if (p.same && p.ceilMode) throw ArgRangeError("padding 'same' fixes the output size: ceilMode must be false");
  } else {
    p.padding = pair(a, 3, "padding", 0);
  }
  for (int k = 0; k < 2; ++k) {
    if (p.padding[k] * 2 > p.kernel[k]) {
      throw ArgRangeError("padding " + pairText(p.padding) + " must be at most half of the window " + pairText(p.kernel));
    }
    if (!p.same && pooledLength(size[k], p.kernel[k], p.stride[k], p.padding[k], 1, p.ceilMode) < 1) {
      throw ArgRangeError("the " + pairText(p.kernel) + " window does not fit in the " + pairText(size) + " input (padding " +
                          pairText(p.padding) + ")");
    }
  }
  return p;
}

bool anyPadding(const std::array<int64_t, 4>& pads) { return pads[0] || pads[1] || pads[2] || pads[3]; }

}  // namespace

void registerPooling(Napi::Env env, Napi::Object exports) {
  // maxPool2d(input, kernelSize, stride?, padding, ceilMode)
  bind(exports, "maxPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    PoolArgs p = poolArgs(a, input, "maxPool2d");
    if (p.same) {
      auto pads = samePads(spatial(input, "maxPool2d"), p.kernel, p.stride, {1, 1});
      // Padding with -infinity keeps it out of every max.
      if (anyPadding(pads))
        input = at::constant_pad_nd(input, {pads[0], pads[1], pads[2], pads[3]}, -std::numeric_limits<double>::infinity());
    }
    return a.wrap(maxPool2d(input, p.kernel, p.stride, p.padding, p.ceilMode));
  });
  // avgPool2d(input, kernelSize, stride?, padding, ceilMode, countIncludePad)
  bind(exports, "avgPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    PoolArgs p = poolArgs(a, input, "avgPool2d");
    if (p.same) {
      Pair size = spatial(input, "avgPool2d");
      auto pads = samePads(size, p.kernel, p.stride, {1, 1});
      if (anyPadding(pads)) {
        // The mean over the padded input, divided by the fraction of each window that is input.
        at::IntArrayRef padding{pads.data(), pads.size()};
        at::Tensor sums = at::avg_pool2d(at::constant_pad_nd(input, padding, 0), p.kernel, p.stride);
        std::vector<int64_t> maskShape(static_cast<size_t>(input.dim()) - 2, 1);
        maskShape.insert(maskShape.end(), {size[0], size[1]});
        at::Tensor mask = at::constant_pad_nd(at::ones(maskShape, input.options()), padding, 0);
        return a.wrap(sums / at::avg_pool2d(mask, p.kernel, p.stride));
      }
    }
    return a.wrap(at::avg_pool2d(input, p.kernel, p.stride, p.padding, p.ceilMode, a.boolean(5, "countIncludePad", true)));
  });
  // upsample2d(input, scale, interpolation): each spatial dim times a whole factor, 'nearest' or
  // 'bilinear' (half-pixel centres, as TensorFlow's resize and PyTorch's align_corners=False).
  bind(exports, "upsample2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    Pair size = spatial(input, "upsample2d");
    Pair scale = pair(a, 1, "scale", 1);
    std::string mode = a.string(2, "interpolation");
    if (mode != "nearest" && mode != "bilinear") throw ArgRangeError("interpolation must be 'nearest' or 'bilinear', got '" + mode + "'");
    if (!input.is_floating_point()) throw ArgTypeError("upsample2d needs a floating-point input, got " + describeTensor(input));
    std::vector<int64_t> out(2);
    bool overflow = __builtin_mul_overflow(size[0], scale[0], &out[0]) || __builtin_mul_overflow(size[1], scale[1], &out[1]);
    std::vector<int64_t> whole{input.size(0), input.size(1), overflow ? INT64_MAX : out[0], overflow ? INT64_MAX : out[1]};
    if (saturatingProduct(whole) > (int64_t{1} << 36)) {
      throw ArgRangeError("the upsampled output " + pairText(size) + " x " + pairText(scale) + " would hold more than 2^36 elements");
    }
    return a.wrap(mode == "nearest" ? at::upsample_nearest2d(input, out) : at::upsample_bilinear2d(input, out, false));
  });
  bind(exports, "adaptiveAvgPool2d", [](Args& a) {
    at::Tensor input = a.tensor(0, "input");
    spatial(input, "adaptiveAvgPool2d");
    Pair out = pair(a, 1, "outputSize", 1);
    return a.wrap(at::adaptive_avg_pool2d(input, out));
  });
}

}  // namespace torchlet
