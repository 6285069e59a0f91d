#include "arith.h"

#include <numeric>

#include "args.h"
#include "errors.h"

namespace torchlet {
namespace {

// Calls f(self, other) with `other` as a tensor or, for a JS number or boolean, a Scalar.
template <typename F>
Napi::Value binary(Args& a, F f) {
  at::Tensor self = a.tensor(0, "self");
  if (a[1].IsNumber() || a[1].IsBoolean()) return a.wrap(f(self, a.scalar(1, "other")));
  if (!a[1].IsObject()) throw ArgTypeError("argument 'other' must be a Tensor or a number");
  return a.wrap(f(self, a.tensor(1, "other")));
}

// The dims to reduce: argument i (an integer or a list), or every dim when it is absent.
std::vector<int64_t> reduceDims(const Args& a, size_t i, const at::Tensor& self) {
  if (a.has(i)) return a.ints(i, "dim");
  std::vector<int64_t> all(self.dim());
  std::iota(all.begin(), all.end(), 0);
  return all;
}

}  // namespace

void registerArith(Napi::Env env, Napi::Object exports) {
  bindUnary(exports, "neg", at::neg, "self");
  bindUnary(exports, "exp", at::exp, "self");
  bindUnary(exports, "log", at::log, "self");
  bindUnary(exports, "sqrt", at::sqrt, "self");
  bindUnary(exports, "abs", at::abs, "self");
  bindUnary(exports, "erfinv", at::erfinv, "self");

  bind(exports, "add", [](Args& a) {
    at::Scalar alpha = a.has(2) ? a.scalar(2, "alpha") : at::Scalar(1);
    return binary(a, [&](const at::Tensor& s, const auto& o) { return at::add(s, o, alpha); });
  });
  bind(exports, "sub", [](Args& a) {
    at::Scalar alpha = a.has(2) ? a.scalar(2, "alpha") : at::Scalar(1);
    return binary(a, [&](const at::Tensor& s, const auto& o) { return at::sub(s, o, alpha); });
  });
  // In place, for accumulators and static buffers: self += alpha * other; self = value.
  bind(exports, "add_", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    at::Scalar alpha = a.has(2) ? a.scalar(2, "alpha") : at::Scalar(1);
    if (a[1].IsNumber() || a[1].IsBoolean())
      self.add_(a.scalar(1, "other"), alpha);
    else
      self.add_(a.tensor(1, "other"), alpha);
    return a.undefined();
  });
  bind(exports, "fill_", [](Args& a) {
    a.tensor(0, "self").fill_(a.scalar(1, "value"));
    return a.undefined();
  });
  bind(exports, "mul", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::mul(s, o); }); });
  bind(exports, "div", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::div(s, o); }); });
  bind(exports, "pow", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::pow(s, o); }); });
  bind(exports, "eq", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::eq(s, o); }); });
  bind(exports, "ne", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::ne(s, o); }); });
  bind(exports, "lt", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::lt(s, o); }); });
  bind(exports, "le", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::le(s, o); }); });
  bind(exports, "gt", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::gt(s, o); }); });
  bind(exports, "ge", [](Args& a) { return binary(a, [](const at::Tensor& s, const auto& o) { return at::ge(s, o); }); });
  // where(condition, self, other): self where condition holds, else other (a tensor or a number).
  bind(exports, "where", [](Args& a) {
    at::Tensor condition = a.tensor(0, "condition");
    if (condition.scalar_type() != at::kBool) throw ArgTypeError("'condition' must be a bool tensor");
    at::Tensor self = a.tensor(1, "self");
    if (a[2].IsNumber() || a[2].IsBoolean()) return a.wrap(at::where(condition, self, a.scalar(2, "other")));
    return a.wrap(at::where(condition, self, a.tensor(2, "other")));
  });
  bind(exports, "matmul", [](Args& a) { return a.wrap(at::matmul(a.tensor(0, "self"), a.tensor(1, "other"))); });
  bind(exports, "clamp", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    c10::optional<at::Scalar> lo, hi;
    if (a.has(1)) lo = a.scalar(1, "min");
    if (a.has(2)) hi = a.scalar(2, "max");
    if (!lo && !hi) throw ArgRangeError("clamp needs 'min', 'max' or both");
    return a.wrap(at::clamp(self, lo, hi));
  });

  bind(exports, "sum", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::sum(self, reduceDims(a, 1, self), a.boolean(2, "keepDim", false)));
  });
  bind(exports, "mean", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::mean(self, reduceDims(a, 1, self), a.boolean(2, "keepDim", false)));
  });
  bind(exports, "max", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::amax(self, reduceDims(a, 1, self), a.boolean(2, "keepDim", false)));
  });
  bind(exports, "min", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::amin(self, reduceDims(a, 1, self), a.boolean(2, "keepDim", false)));
  });
  bind(exports, "argmax", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::argmax(self, a.optionalInteger(1, "dim"), a.boolean(2, "keepDim", false)));
  });
  bind(exports, "argmin", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    return a.wrap(at::argmin(self, a.optionalInteger(1, "dim"), a.boolean(2, "keepDim", false)));
  });
}

}  // namespace torchlet
