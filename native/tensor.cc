#include "tensor.h"

#include <ATen/core/grad_mode.h>

#include <mutex>
#include <unordered_map>

#include "args.h"
#include "convert.h"
#include "errors.h"
#include "host-allocator.h"
#include "instance.h"
#include "optim.h"
#include "step-trace.h"

namespace torchlet {
namespace {

// One entry per distinct storage held by live handles, so that views are not counted twice.
struct StorageEntry {
  int64_t handles;
  int64_t bytes;
  bool host;
};

std::mutex accountMutex;  // worker threads each load the addon but share this process-wide account
std::unordered_map<const void*, StorageEntry> storages;
LiveTensors live{0, 0, 0};

// Returns the host bytes newly held (to report to V8).
int64_t track(const at::Tensor& t, const void* key) {
  std::lock_guard<std::mutex> lock(accountMutex);
  ++live.tensors;
  auto [it, inserted] = storages.try_emplace(key, StorageEntry{0, 0, t.is_cpu()});
  ++it->second.handles;
  if (!inserted) return 0;
  it->second.bytes = t.has_storage() ? static_cast<int64_t>(t.storage().nbytes()) : static_cast<int64_t>(t.nbytes());
  live.bytes += it->second.bytes;
  if (!it->second.host) return 0;
  live.hostBytes += it->second.bytes;
  return it->second.bytes;
}

// Returns the host bytes released (to report to V8).
int64_t untrack(const void* key) {
  std::lock_guard<std::mutex> lock(accountMutex);
  --live.tensors;
  auto it = storages.find(key);
  if (it == storages.end() || --it->second.handles > 0) return 0;
  StorageEntry entry = it->second;
  storages.erase(it);
  live.bytes -= entry.bytes;
  if (!entry.host) return 0;
  live.hostBytes -= entry.bytes;
  return entry.bytes;
}

Napi::FunctionReference& handleClass(Napi::Env env) { return instanceData(env).tensorClass; }

}  // namespace

LiveTensors liveTensors() {
  std::lock_guard<std::mutex> lock(accountMutex);
  return live;
}

void TensorHandle::registerClass(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "TensorHandle", {});
  instanceData(env).tensorClass = Napi::Persistent(cls);
  exports.Set("TensorHandle", cls);
}

Napi::Object TensorHandle::wrap(Napi::Env env, at::Tensor tensor) {
  Napi::Object object = handleClass(env).New({factoryToken(env)});
  Unwrap(object)->adopt(std::move(tensor));
  return object;
}

TensorHandle* TensorHandle::unwrap(const Napi::Value& value) { return unwrapInstance<TensorHandle>(value, handleClass(value.Env())); }

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info) {
  requireFactory(info, "TensorHandle", "a tensor operation");
}

// What a handle costs natively until GC finalizes its JS object, even after dispose(): the handle
// itself and Node-API's reference to it. Reported to V8 so that its GC runs as often as this
// memory warrants; otherwise a loop making many small tensors (evaluate, predict) lets handles
// pile up in V8's old space and RSS creep.
constexpr int64_t kHandleOverhead = 256;

TensorHandle::~TensorHandle() {
  dispose();
  int64_t ignored = 0;  // the C call: a destructor must not throw
  napi_adjust_external_memory(Env(), -kHandleOverhead, &ignored);
}

void TensorHandle::adopt(at::Tensor tensor) {
  tensor_ = std::move(tensor);
  storageKey_ = tensor_.has_storage() ? static_cast<const void*>(tensor_.storage().unsafeGetStorageImpl())
                                      : static_cast<const void*>(tensor_.unsafeGetTensorImpl());
  int64_t hostBytes = track(tensor_, storageKey_);
  Napi::MemoryManagement::AdjustExternalMemory(Env(), hostBytes + kHandleOverhead);
}

void TensorHandle::dispose() {
  if (disposed()) return;
  tensor_ = at::Tensor();
  int64_t hostBytes = untrack(storageKey_);
  // The C call, whose failure is ignored: this runs in the destructor too, where a throw (as
  // node-addon-api's wrapper would on failure, in a terminating worker) aborts the process.
  int64_t ignored = 0;
  if (hostBytes > 0) napi_adjust_external_memory(Env(), -hostBytes, &ignored);
}

void registerTensor(Napi::Env env, Napi::Object exports) {
  TensorHandle::registerClass(env, exports);

  bind(exports, "isTensorHandle", [](Args& a) { return Napi::Boolean::New(a.env(), TensorHandle::unwrap(a[0]) != nullptr); });
  bind(exports, "isDisposed", [](Args& a) {
    TensorHandle* handle = TensorHandle::unwrap(a[0]);
    if (handle == nullptr) throw ArgTypeError("argument 'self' must be a Tensor");
    return Napi::Boolean::New(a.env(), handle->disposed());
  });
  bind(exports, "dispose", [](Args& a) {
    TensorHandle* handle = TensorHandle::unwrap(a[0]);
    if (handle == nullptr) throw ArgTypeError("argument 'self' must be a Tensor");
    handle->dispose();
    return a.undefined();
  });
  bind(exports, "liveTensors", [](Args& a) {
    LiveTensors now = liveTensors();
    Napi::Object out = Napi::Object::New(a.env());
    out.Set("tensors", Napi::Number::New(a.env(), static_cast<double>(now.tensors)));
    out.Set("bytes", Napi::Number::New(a.env(), static_cast<double>(now.bytes)));
    out.Set("hostBytes", Napi::Number::New(a.env(), static_cast<double>(now.hostBytes)));
    // V8's own count of external memory (a zero adjustment reads it), which includes hostBytes.
    int64_t v8External = Napi::MemoryManagement::AdjustExternalMemory(a.env(), 0);
    out.Set("v8ExternalBytes", Napi::Number::New(a.env(), static_cast<double>(v8External)));
    out.Set("hostCachedBytes", Napi::Number::New(a.env(), static_cast<double>(hostCachedBytes())));
    // Optimizer state lives in native optimizers, not in JS tensors: counted apart.
    OptimizerStateTotals state = optimizerStateTotals();
    out.Set("optimizerStateTensors", Napi::Number::New(a.env(), static_cast<double>(state.tensors)));
    out.Set("optimizerStateBytes", Napi::Number::New(a.env(), static_cast<double>(state.bytes)));
    return out;
  });

  bind(exports, "shape", [](Args& a) {
    at::Tensor t = a.tensor(0, "self");
    Napi::Array out = Napi::Array::New(a.env(), t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) out.Set(static_cast<uint32_t>(k), Napi::Number::New(a.env(), static_cast<double>(t.size(k))));
    return out;
  });
  bind(exports, "strides", [](Args& a) {
    at::Tensor t = a.tensor(0, "self");
    Napi::Array out = Napi::Array::New(a.env(), t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) out.Set(static_cast<uint32_t>(k), Napi::Number::New(a.env(), static_cast<double>(t.stride(k))));
    return out;
  });
  bind(exports, "dtype", [](Args& a) { return Napi::String::New(a.env(), dtypeName(a.tensor(0, "self").scalar_type())); });
  bind(exports, "device", [](Args& a) { return Napi::String::New(a.env(), deviceName(a.tensor(0, "self").device())); });
  bind(exports, "numel", [](Args& a) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0, "self").numel())); });
  bind(exports, "isContiguous", [](Args& a) {
    at::Tensor t = a.tensor(0, "self");
    bool channelsLast = a.has(1) && a.string(1, "memoryFormat") == "channelsLast";
    return Napi::Boolean::New(a.env(), t.is_contiguous(channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  });

  bind(exports, "data", [](Args& a) {
    noteHostRead();
    return toTypedArray(a.env(), a.tensor(0, "self"));
  });
  bind(exports, "item", [](Args& a) -> Napi::Value {
    noteHostRead();
    at::Tensor t = a.tensor(0, "self");
    if (t.numel() != 1) throw ArgRangeError("item() needs a tensor with exactly one element");
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(a.env(), s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(a.env(), static_cast<double>(s.toLong()));
    return Napi::Number::New(a.env(), s.toDouble());
  });
  bind(exports, "tensor", [](Args& a) {
    Napi::Value data = a[0];
    if (!data.IsTypedArray()) throw ArgTypeError("argument 'data' must be a TypedArray");
    at::Tensor t = fromTypedArray(data.As<Napi::TypedArray>(), a.shape(1, "shape"), a.optionalDtype(2, "dtype"));
    c10::optional<at::Device> device = a.optionalDevice(3, "device");
    return a.wrap(device ? t.to(*device) : t);
  });
  bind(exports, "to", [](Args& a) {
    at::Tensor t = a.tensor(0, "self");
    c10::optional<at::Device> device = a.optionalDevice(1, "device");
    c10::optional<at::ScalarType> dtype = a.optionalDtype(2, "dtype");
    return a.wrap(t.to(device.value_or(t.device()), dtype.value_or(t.scalar_type()), /*non_blocking=*/false));
  });
  bind(exports, "clone", [](Args& a) { return a.wrap(a.tensor(0, "self").clone()); });
  // assign(self, src): copies src's values into self in place (broadcasting src), outside autograd,
  // so that weights and static buffers keep their identity.
  bind(exports, "assign", [](Args& a) {
    at::Tensor self = a.tensor(0, "self");
    at::Tensor src = a.tensor(1, "src");
    at::NoGradGuard noGrad;
    self.copy_(src);
    return a.undefined();
  });
}

}  // namespace torchlet
