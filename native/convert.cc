#include "convert.h"

#include <torch/cuda.h>

#include <array>
#include <charconv>
#include <cstring>
#include <utility>

#include "errors.h"

namespace torchlet {
namespace {

struct DtypeName {
  const char* name;
  at::ScalarType type;
};

constexpr std::array<DtypeName, 10> kDtypes{{
    {"float32", at::kFloat},
    {"float64", at::kDouble},
    {"float16", at::kHalf},
    {"bfloat16", at::kBFloat16},
    {"int8", at::kChar},
    {"int16", at::kShort},
    {"int32", at::kInt},
    {"int64", at::kLong},
    {"uint8", at::kByte},
    {"bool", at::kBool},
}};

c10::optional<at::ScalarType> typedArrayDtype(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array:
      return at::kFloat;
    case napi_float64_array:
      return at::kDouble;
    case napi_int8_array:
      return at::kChar;
    case napi_int16_array:
      return at::kShort;
    case napi_int32_array:
      return at::kInt;
    case napi_bigint64_array:
      return at::kLong;
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return at::kByte;
    default:
      return c10::nullopt;
  }
}

}  // namespace

at::ScalarType parseDtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  std::string known;
  for (const auto& d : kDtypes) known += std::string(known.empty() ? "" : ", ") + d.name;
  throw ArgRangeError("unknown dtype '" + name + "' (expected one of " + known + ")");
}

const char* dtypeName(at::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (type == d.type) return d.name;
  }
  return c10::toString(type);
}

at::Device parseDevice(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name.rfind("cuda", 0) != 0 || (name.size() > 4 && name[4] != ':') || name.size() == 5) {
    throw ArgRangeError("unknown device '" + name + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  }
  int64_t index = 0;
  if (name.size() > 5) {
    std::string digits = name.substr(5);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4) {
      throw ArgRangeError("unknown device '" + name + "' (expected 'cpu', 'cuda' or 'cuda:N')");
    }
    index = std::stoll(digits);
  }
  // torch::cuda::device_count() is the same call in libtorch 1.x and 2.x (the hooks' names changed).
  // NOLINTNEXTLINE(bugprone-signed-char-misuse): DeviceIndex is a small count held in an int8_t, not a character.
  int64_t count = torch::cuda::device_count();
  if (count == 0) {
#ifdef TORCHLET_CUDA
    throw OpError("device '" + name + "' requested but CUDA is not available: no CUDA GPU is visible");
#else
    throw OpError("device '" + name + "' requested but CUDA is not available: torchlet was built against a " +
                  "CPU-only libtorch (rebuild it with a CUDA libtorch: LIBTORCH=... or pip install torch)");
#endif
  }
  if (index >= count) {
    throw ArgRangeError("device '" + name + "' does not exist: " + std::to_string(count) + " CUDA device(s)");
  }
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string deviceName(const at::Device& device) {
  if (device.is_cpu()) return "cpu";
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return device.str();
}

at::Tensor fromTypedArray(const Napi::TypedArray& array, const std::vector<int64_t>& shape, c10::optional<at::ScalarType> dtype) {
  c10::optional<at::ScalarType> source = typedArrayDtype(array.TypedArrayType());
  if (!source)
    throw ArgTypeError(
        "argument 'data' must be a Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, BigInt64Array or Uint8Array");
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (static_cast<int64_t>(array.ElementLength()) != numel) {
    throw ArgRangeError("data has " + std::to_string(array.ElementLength()) + " elements but shape " + formatShape(shape) + " needs " +
                        std::to_string(numel));
  }
  // Reading a Uint8Array as bool must not keep bytes other than 0 and 1 inside a bool tensor.
  bool asBool = dtype == at::kBool && *source == at::kByte;
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(*source));
  // The element pointer from napi_get_typedarray_info (already offset): unlike ArrayBuffer().Data(),
  // it also works for a view of a SharedArrayBuffer.
  void* data = nullptr;
  NAPI_THROW_IF_FAILED(array.Env(), napi_get_typedarray_info(array.Env(), array, nullptr, nullptr, &data, nullptr, nullptr), at::Tensor());
  const auto* bytes = static_cast<const uint8_t*>(data);
  // An empty array's buffer and an empty tensor's data may both be null, which memcpy must never see.
  if (array.ByteLength() > 0) std::memcpy(out.data_ptr(), bytes, array.ByteLength());
  if (asBool) return out.ne(0);
  return dtype && *dtype != *source ? out.to(*dtype) : out;
}

Napi::Value toTypedArray(Napi::Env env, const at::Tensor& tensor) {
  at::Tensor t = tensor.detach();
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  if (t.scalar_type() == at::kBool) t = t.to(at::kByte);
  t = t.to(at::kCPU).contiguous();
  size_t bytes = t.nbytes();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  auto n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case at::kFloat:
      return Napi::Float32Array::New(env, n, buffer, 0);
    case at::kDouble:
      return Napi::Float64Array::New(env, n, buffer, 0);
    case at::kChar:
      return Napi::Int8Array::New(env, n, buffer, 0);
    case at::kShort:
      return Napi::Int16Array::New(env, n, buffer, 0);
    case at::kInt:
      return Napi::Int32Array::New(env, n, buffer, 0);
    case at::kLong:
      return Napi::BigInt64Array::New(env, n, buffer, 0);
    case at::kByte:
      return Napi::Uint8Array::New(env, n, buffer, 0);
    default:
      throw OpError(std::string("cannot read a tensor of dtype ") + dtypeName(t.scalar_type()));
  }
}

std::string formatShape(at::IntArrayRef shape) {
  std::string out = "[";
  for (size_t k = 0; k < shape.size(); ++k) out += (k ? ", " : "") + std::to_string(shape[k]);
  return out + "]";
}

std::string formatNumber(double value) {
  std::array<char, 32> text{};
  auto result = std::to_chars(text.data(), text.data() + text.size(), value);
  return {text.data(), result.ptr};
}

std::string describeTensor(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  return std::string(dtypeName(tensor.scalar_type())) + formatShape(tensor.sizes()) + " " + deviceName(tensor.device());
}

}  // namespace torchlet
