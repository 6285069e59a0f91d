// Reads the JS arguments of one native call. Every accessor names the op and the argument in the
// error it throws, and remembers the tensors it unwrapped so that the error boundary can print
// their shapes.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

namespace torchlet {

// The product of `sizes`, or INT64_MAX when it overflows (a zero-element tensor may have huge dims).
int64_t saturatingProduct(at::IntArrayRef sizes);

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }
  Napi::Value operator[](size_t i) const { return info_[i]; }
  // True when argument i was given and is neither undefined nor null.
  bool has(size_t i) const;

  at::Tensor tensor(size_t i, const char* name);
  c10::optional<at::Tensor> optionalTensor(size_t i, const char* name);
  // An array of tensors; `objects`, when given, receives the JS handles that were read.
  std::vector<at::Tensor> tensors(size_t i, const char* name, std::vector<Napi::Object>* objects = nullptr);
  double number(size_t i, const char* name) const;
  int64_t integer(size_t i, const char* name) const;
  int64_t integer(size_t i, const char* name, int64_t fallback) const;
  c10::optional<int64_t> optionalInteger(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name, bool fallback) const;
  std::string string(size_t i, const char* name) const;
  // A number or a boolean, as a libtorch Scalar (integral numbers stay integral).
  at::Scalar scalar(size_t i, const char* name) const;
  // An integer or an array of integers.
  std::vector<int64_t> ints(size_t i, const char* name) const;
  // A shape: an array of non-negative integers whose product fits in memory.
  std::vector<int64_t> shape(size_t i, const char* name) const;
  // Field `key` of the options object at position i; the fallback when the object or field is absent.
  double optionNumber(size_t i, const char* key, double fallback) const;
  bool optionFlag(size_t i, const char* key, bool fallback) const;
  c10::optional<at::ScalarType> optionalDtype(size_t i, const char* name) const;
  c10::optional<at::Device> optionalDevice(size_t i, const char* name) const;

  // Wraps a result for JS: a tensor handle, or null for an undefined tensor.
  Napi::Value wrap(at::Tensor tensor) const;
  Napi::Value wrap(const std::vector<at::Tensor>& tensors) const;
  Napi::Value undefined() const { return env().Undefined(); }

  // "self: float32[2, 3] cpu, other: float32[4] cpu", for error messages.
  std::string describeTensors() const;

 private:
  at::Tensor unwrapTensor(Napi::Value value, const std::string& name);

  const Napi::CallbackInfo& info_;
  const char* op_;
  std::vector<std::pair<std::string, at::Tensor>> seen_;
};

}  // namespace torchlet
