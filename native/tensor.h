// The JS handle of a tensor: an ObjectWrap that owns one at::Tensor by value, plus the account of
// live tensors and the host bytes they hold (reported to V8 so that its GC sees them).
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

namespace torchlet {

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static void registerClass(Napi::Env env, Napi::Object exports);
  static Napi::Object wrap(Napi::Env env, at::Tensor tensor);
  // The handle behind `value`, or nullptr when `value` is not a tensor handle.
  static TensorHandle* unwrap(const Napi::Value& value);

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

  bool disposed() const { return !tensor_.defined(); }
  const at::Tensor& tensor() const { return tensor_; }
  // Frees the tensor now; later uses throw. Idempotent.
  void dispose();

 private:
  void adopt(at::Tensor tensor);

  at::Tensor tensor_;
  const void* storageKey_ = nullptr;
};

struct LiveTensors {
  int64_t tensors;
  int64_t bytes;      // distinct storages held by live handles, all devices
  int64_t hostBytes;  // of which on the CPU
};
LiveTensors liveTensors();

// Tensor bindings: properties (shape, dtype, device ...), read-back, dispose, moves and copies.
void registerTensor(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
