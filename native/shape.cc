#include "shape.h"

#include <limits>

#include "args.h"
#include "convert.h"
#include "errors.h"

namespace torchlet {
namespace {

// A target shape for reshape/view: at most one -1, other sizes non-negative, same element count.
std::vector<int64_t> targetShape(const Args& a, size_t i, const at::Tensor& self) {
  std::vector<int64_t> shape = a.ints(i, "shape");
  int64_t known = 1, inferred = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == -1 && inferred < 0) {
      inferred = static_cast<int64_t>(k);
    } else if (shape[k] < 0) {
      throw ArgRangeError("invalid target shape " + formatShape(shape) + ": sizes must be >= 0, with at most one -1");
    } else if (__builtin_mul_overflow(known, shape[k], &known)) {
      known = std::numeric_limits<int64_t>::max();  // [2**40, 2**40] must not wrap around to a size that fits
    }
  }
  bool fits = inferred >= 0 ? (known != 0 && self.numel() % known == 0) : known == self.numel();
  if (!fits) {
    throw ArgRangeError("cannot reshape " + formatShape(self.sizes()) + " (" + std::to_string(self.numel()) + " elements) to " +
                        formatShape(shape));
  }
  return shape;
}

at::MemoryFormat memoryFormat(const Args& a, size_t i) {
  if (!a.has(i)) return at::MemoryFormat::Contiguous;
  std::string name = a.string(i, "memoryFormat");
  if (name == "contiguous") return at::MemoryFormat::Contiguous;
  if (name == "channelsLast") return at::MemoryFormat::ChannelsLast;
  throw ArgRangeError("unknown memoryFormat '" + name + "' (expected 'contiguous' or 'channelsLast')");
}

}  // namespace

void registerShape(Napi::Env env, Napi::Object exports) {
  bind(exports, "reshape", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(self.reshape(targetShape(a, 1, self)));
  });
  bind(exports, "view", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(self.view(targetShape(a, 1, self)));
  });
  bind(exports, "permute", [](Args& a) { return a.wrap(a.tensor(0, "self").permute(a.ints(1, "dims"))); });
  bind(exports, "transpose", [](Args& a) { return a.wrap(a.tensor(0, "self").transpose(a.integer(1, "dim0"), a.integer(2, "dim1"))); });
  bind(exports, "contiguous", [](Args& a) { return a.wrap(a.tensor(0, "self").contiguous(memoryFormat(a, 1))); });
  bind(exports, "flatten",
       [](Args& a) { return a.wrap(a.tensor(0, "self").flatten(a.integer(1, "startDim", 0), a.integer(2, "endDim", -1))); });
  bind(exports, "squeeze", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(a.has(1) ? self.squeeze(a.integer(1, "dim")) : self.squeeze());
  });
  bind(exports, "unsqueeze", [](Args& a) { return a.wrap(a.tensor(0, "self").unsqueeze(a.integer(1, "dim"))); });
  bind(exports, "narrow", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    int64_t length = a.integer(3, "length");
    if (length < 0) throw ArgRangeError("'length' must be >= 0, got " + std::to_string(length));
    return a.wrap(self.narrow(a.integer(1, "dim"), a.integer(2, "start"), length));
  });
  bind(exports, "slice", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    int64_t step = a.integer(4, "step", 1);
    if (step <= 0) throw ArgRangeError("'step' must be positive, got " + std::to_string(step));
    return a.wrap(self.slice(a.integer(1, "dim"), a.optionalInteger(2, "start"), a.optionalInteger(3, "end"), step));
  });
  bind(exports, "flip", [](Args& a) { return a.wrap(a.tensor(0, "self").flip(a.ints(1, "dims"))); });
  bind(exports, "expand", [](Args& a) { return a.wrap(a.tensor(0, "self").expand(a.ints(1, "shape"))); });
  bind(exports, "indexSelect", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(self.index_select(a.integer(1, "dim"), a.tensor(2, "index")));
  });
  bind(exports, "gather", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(self.gather(a.integer(1, "dim"), a.tensor(2, "index")));
  });
  bind(exports, "cat", [](Args& a) {
    std::vector<at::Tensor> tensors = a.tensors(0, "tensors");
    if (tensors.empty()) throw ArgRangeError("'tensors' must not be empty");
    return a.wrap(at::cat(tensors, a.integer(1, "dim", 0)));
  });
  // pad(self, pads, value): pads = [left, right] for the last dim, then [top, bottom] for the one before, ...
  bind(exports, "pad", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    std::vector<int64_t> pads = a.ints(1, "pads");
    if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size()) > 2 * self.dim()) {
      throw ArgRangeError("'pads' must hold a (before, after) pair per padded dim, at most " + std::to_string(self.dim()) + " pairs, got " +
                          formatShape(pads));
    }
    return a.wrap(at::constant_pad_nd(self, pads, a.has(2) ? a.scalar(2, "value") : at::Scalar(0)));
  });
  bind(exports, "stack", [](Args& a) {
    std::vector<at::Tensor> tensors = a.tensors(0, "tensors");
    if (tensors.empty()) throw ArgRangeError("'tensors' must not be empty");
    return a.wrap(at::stack(tensors, a.integer(1, "dim", 0)));
  });
}

}  // namespace torchlet
