#include "window.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {

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

Pair spatial(const at::Tensor& input, const char* op) {
  if (input.dim() != 4 && input.dim() != 3) {
    throw ArgRangeError(std::string(op) + " expects a 4-D [N, C, H, W] (or 3-D [C, H, W]) input, got " + formatShape(input.sizes()));
  }
  return {input.size(-2), input.size(-1)};
}

namespace {

// dilation * (window - 1) + 1: the extent of a dilated window, saturated where it overflows (a
// window that large fits no input, and 'same' padding for it is refused by the op's size checks).
int64_t extent(int64_t window, int64_t dilation) {
  int64_t span = 0;
  if (__builtin_mul_overflow(dilation, window - 1, &span) || span == std::numeric_limits<int64_t>::max()) {
    return std::numeric_limits<int64_t>::max();
  }
  return span + 1;
}

}  // namespace

SamePadding samePadding(int64_t size, int64_t window, int64_t stride, int64_t dilation) {
  int64_t out = (size + stride - 1) / stride;
  int64_t total = 0;
  if (__builtin_add_overflow((out - 1) * stride - size, extent(window, dilation), &total)) total = std::numeric_limits<int64_t>::max();
  total = std::max<int64_t>(total, 0);
  return {total / 2, total - total / 2};
}

int64_t pooledLength(int64_t size, int64_t window, int64_t stride, int64_t pad, int64_t dilation, bool ceil) {
  int64_t span = size + 2 * pad - extent(window, dilation) + (ceil ? stride - 1 : 0);
  int64_t out = span < 0 ? 0 : span / stride + 1;
  if (ceil && (out - 1) * stride >= size + pad) --out;  // the last window must start inside the input
  return out;
}

int64_t outputLength(int64_t size, int64_t window, int64_t stride, bool same, int64_t dilation) {
  return same ? (size + stride - 1) / stride : pooledLength(size, window, stride, 0, dilation, false);
}

TransposedCrop transposedCrop(int64_t size, int64_t window, int64_t stride, bool same, int64_t outputPadding, int64_t dilation) {
  // Every factor below 2^31 keeps the arithmetic in range; larger windows fit no memory anyway.
  constexpr int64_t limit = int64_t{1} << 31;
  if (size < 1 || size >= limit || window < 1 || window >= limit || stride < 1 || stride >= limit || dilation < 1 || dilation >= limit ||
      outputPadding >= limit) {
    throw ArgRangeError("conv transpose expects a length, window, stride and dilation between 1 and 2^31 and an output padding below 2^31");
  }
  int64_t span = extent(window, dilation);
  if (span >= limit) throw ArgRangeError("the dilated window (" + std::to_string(span) + ") must be below 2^31");
  int64_t padBefore = span - 1, padAfter = span - 1;
  if (same) {
    int64_t total = outputPadding < 0 ? stride + span - 2 : span + span % 2 - 2 + outputPadding;
    padBefore = std::min(total / 2 + total % 2, span - 1);
    padAfter = total - padBefore;
  } else {
    padAfter += outputPadding < 0 ? std::max(span, stride) - span : outputPadding;
  }
  TransposedCrop crop{span - 1 - padBefore, span - 1 - padAfter, 0};
  crop.length = (size - 1) * stride + span - crop.before - crop.after;
  return crop;
}

std::array<int64_t, 4> samePads(const Pair& size, const Pair& window, const Pair& stride, const Pair& dilation) {
  SamePadding h = samePadding(size[0], window[0], stride[0], dilation[0]);
  SamePadding w = samePadding(size[1], window[1], stride[1], dilation[1]);
  return {w.before, w.after, h.before, h.after};
}

bool isSamePadding(const Args& a, size_t i) {
  std::string mode = a.string(i, "padding");
  if (mode != "same" && mode != "valid") throw ArgRangeError("unknown padding '" + mode + "' (expected 'valid', 'same' or numbers)");
  return mode == "same";
}

void registerWindow(Napi::Env env, Napi::Object exports) {
  bind(exports, "convOutputLength", [](Args& a) {
    int64_t length = a.integer(0, "length");
    int64_t window = a.integer(1, "window");
    int64_t stride = a.integer(2, "stride");
    int64_t dilation = a.integer(4, "dilation", 1);
    if (length < 0 || window < 1 || stride < 1 || dilation < 1) {
      throw ArgRangeError("expects length >= 0 and window, stride and dilation >= 1");
    }
    return Napi::Number::New(a.env(), static_cast<double>(outputLength(length, window, stride, isSamePadding(a, 3), dilation)));
  });
  bind(exports, "convTransposeOutputLength", [](Args& a) {
    int64_t length = a.integer(0, "length");
    int64_t window = a.integer(1, "window");
    int64_t stride = a.integer(2, "stride");
    bool same = isSamePadding(a, 3);
    int64_t outputPadding = a.has(4) ? a.integer(4, "outputPadding") : -1;
    if (a.has(4) && outputPadding < 0) throw ArgRangeError("'outputPadding' must be >= 0, got " + std::to_string(outputPadding));
    int64_t dilation = a.integer(5, "dilation", 1);
    return Napi::Number::New(a.env(), static_cast<double>(transposedCrop(length, window, stride, same, outputPadding, dilation).length));
  });
}

}  // namespace torchlet
