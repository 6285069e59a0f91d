// Conversions between JS values and libtorch: dtype and device names, TypedArrays, descriptions.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <napi.h>

#include <string>
#include <vector>

namespace torchlet {

// 'float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'.
at::ScalarType parseDtype(const std::string& name);
const char* dtypeName(at::ScalarType type);

// 'cpu', 'cuda' or 'cuda:N'; a CUDA device that does not exist is an error here, not at first use.
at::Device parseDevice(const std::string& name);
std::string deviceName(const at::Device& device);

// Copies a TypedArray into a new CPU tensor of the given shape. The element count must match the
// shape exactly; `dtype` converts after the copy (Uint8Array with dtype 'bool' reads as booleans).
at::Tensor fromTypedArray(const Napi::TypedArray& array, const std::vector<int64_t>& shape, c10::optional<at::ScalarType> dtype);

// Copies a tensor into a new TypedArray of its dtype (bool as Uint8Array, int64 as BigInt64Array,
// float16 and bfloat16 widened to Float32Array), moving it to the CPU first if needed.
Napi::Value toTypedArray(Napi::Env env, const at::Tensor& tensor);

std::string formatShape(at::IntArrayRef shape);
// The shortest text that reads back as `value` (1e-09, not std::to_string's 0.000000).
std::string formatNumber(double value);
// "float32[2, 3] cpu"
std::string describeTensor(const at::Tensor& tensor);

}  // namespace torchlet
