#include "args.h"

#include <cmath>
#include <limits>

#include "convert.h"
#include "errors.h"
#include "tensor.h"

namespace torchlet {
namespace {

std::string jsTypeName(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "boolean";
    case napi_number:
      return "number";
    case napi_string:
      return "string";
    case napi_bigint:
      return "bigint";
    case napi_function:
      return "function";
    default:
      return v.IsArray() ? "array" : "object";
  }
}

[[noreturn]] void typeError(const std::string& name, const char* expected, const Napi::Value& got) {
  throw ArgTypeError("argument '" + name + "' must be " + expected + ", got " + jsTypeName(got));
}

// Largest element count we accept for a shape: beyond it, sizes overflow or no allocator can serve.
constexpr int64_t kMaxElements = int64_t(1) << 50;

}  // namespace

int64_t saturatingProduct(at::IntArrayRef sizes) {
  int64_t product = 1;
  for (int64_t size : sizes) {
    if (__builtin_mul_overflow(product, size, &product)) return std::numeric_limits<int64_t>::max();
  }
  return product;
}

bool Args::has(size_t i) const {
  if (i >= info_.Length()) return false;
  Napi::Value v = info_[i];
  return !v.IsUndefined() && !v.IsNull();
}

at::Tensor Args::unwrapTensor(Napi::Value value, const std::string& name) {
  TensorHandle* handle = TensorHandle::unwrap(value);
  if (handle == nullptr) typeError(name, "a Tensor", value);
  if (handle->disposed())
    throw OpError("argument '" + name + "' is a disposed tensor (freed by dispose() or by the tidy() that created it)");
  seen_.emplace_back(name, handle->tensor());
  return handle->tensor();
}

at::Tensor Args::tensor(size_t i, const char* name) { return unwrapTensor(info_[i], name); }

c10::optional<at::Tensor> Args::optionalTensor(size_t i, const char* name) {
  if (!has(i)) return c10::nullopt;
  return unwrapTensor(info_[i], name);
}

std::vector<at::Tensor> Args::tensors(size_t i, const char* name, std::vector<Napi::Object>* objects) {
  Napi::Value v = info_[i];
  if (!v.IsArray()) typeError(name, "an array of Tensors", v);
  auto array = v.As<Napi::Array>();
  // The length is read once: an element's getter can run JS that changes the array.
  const uint32_t length = array.Length();
  std::vector<at::Tensor> out;
  out.reserve(length);
  for (uint32_t k = 0; k < length; ++k) {
    Napi::Value element = array.Get(k);
    out.push_back(unwrapTensor(element, std::string(name) + "[" + std::to_string(k) + "]"));
    if (objects != nullptr) objects->push_back(element.As<Napi::Object>());
  }
  return out;
}

double Args::number(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(name, "a number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isnan(d)) throw ArgRangeError(std::string("argument '") + name + "' is NaN");
  return d;
}

int64_t Args::integer(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(name, "an integer", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0) {
    throw ArgRangeError(std::string("argument '") + name + "' must be an integer, got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

int64_t Args::integer(size_t i, const char* name, int64_t fallback) const { return has(i) ? integer(i, name) : fallback; }

c10::optional<int64_t> Args::optionalInteger(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return integer(i, name);
}

bool Args::boolean(size_t i, const char* name, bool fallback) const {
  if (!has(i)) return fallback;
  Napi::Value v = info_[i];
  if (!v.IsBoolean()) typeError(name, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (!v.IsString()) typeError(name, "a string", v);
  return v.As<Napi::String>().Utf8Value();
}

at::Scalar Args::scalar(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  double d = number(i, name);
  // Keep integral values integral so that int tensors stay int (as in PyTorch).
  if (std::trunc(d) == d && std::fabs(d) <= 9007199254740991.0) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

std::vector<int64_t> Args::ints(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (v.IsNumber()) return {integer(i, name)};
  if (!v.IsArray()) typeError(name, "an integer or an array of integers", v);
  auto array = v.As<Napi::Array>();
  const uint32_t length = array.Length();  // read once, as in tensors()
  std::vector<int64_t> out;
  out.reserve(length);
  for (uint32_t k = 0; k < length; ++k) {
    Napi::Value e = array.Get(k);
    if (!e.IsNumber()) typeError(std::string(name) + "[" + std::to_string(k) + "]", "an integer", e);
    double d = e.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0) {
      throw ArgRangeError(std::string("argument '") + name + "' must hold integers, got " + e.ToString().Utf8Value() + " at index " +
                          std::to_string(k));
    }
    out.push_back(static_cast<int64_t>(d));
  }
  return out;
}

std::vector<int64_t> Args::shape(size_t i, const char* name) const {
  std::vector<int64_t> dims = ints(i, name);
  int64_t numel = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      throw ArgRangeError(std::string("argument '") + name + "' has a negative size: " + formatShape(dims));
    }
    if (d != 0 && numel > kMaxElements / d) {
      throw ArgRangeError(std::string("argument '") + name + "' is too large: " + formatShape(dims));
    }
    numel *= d;
  }
  return dims;
}

namespace {

Napi::Value optionField(const Args& a, size_t i, const char* key) {
  if (!a.has(i)) return a.env().Undefined();
  Napi::Value v = a[i];
  if (!v.IsObject()) typeError("options", "an object", v);
  return v.As<Napi::Object>().Get(key);
}

}  // namespace

double Args::optionNumber(size_t i, const char* key, double fallback) const {
  Napi::Value v = optionField(*this, i, key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) typeError(key, "a number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw ArgRangeError(std::string("option '") + key + "' must be finite");
  return d;
}

bool Args::optionFlag(size_t i, const char* key, bool fallback) const {
  Napi::Value v = optionField(*this, i, key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) typeError(key, "a boolean", v);
  return v.As<Napi::Boolean>().Value();
}

c10::optional<at::ScalarType> Args::optionalDtype(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return parseDtype(string(i, name));
}

c10::optional<at::Device> Args::optionalDevice(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return parseDevice(string(i, name));
}

Napi::Value Args::wrap(at::Tensor tensor) const {
  if (!tensor.defined()) return env().Null();
  return TensorHandle::wrap(env(), std::move(tensor));
}

Napi::Value Args::wrap(const std::vector<at::Tensor>& tensors) const {
  Napi::Array out = Napi::Array::New(env(), tensors.size());
  for (size_t k = 0; k < tensors.size(); ++k) out.Set(static_cast<uint32_t>(k), wrap(tensors[k]));
  return out;
}

std::string Args::describeTensors() const {
  std::string out;
  for (const auto& [name, t] : seen_) {
    if (!out.empty()) out += ", ";
    out += name + ": " + describeTensor(t);
  }
  return out;
}

}  // namespace torchlet
