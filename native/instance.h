// Per-environment state of the addon (one per Node.js thread that loads it): the JS classes of
// the wrapped native objects.
#pragma once

#include <napi.h>

#include <string>

namespace torchlet {

struct InstanceData {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference optimizerClass;
  Napi::FunctionReference graphClass;
};

// Handles are made only by the addon's factories, which pass this token to the constructor. A JS
// `new` of a handle class (reachable as any handle's constructor) gets a TypeError instead of a
// handle with nothing behind it.
inline int kFactoryToken = 0;  // only its address matters

inline Napi::Value factoryToken(Napi::Env env) { return Napi::External<int>::New(env, &kFactoryToken); }

inline void requireFactory(const Napi::CallbackInfo& info, const char* cls, const char* factory) {
  if (info.Length() != 1 || !info[0].IsExternal() || info[0].As<Napi::External<int>>().Data() != &kFactoryToken) {
    throw Napi::TypeError::New(info.Env(), std::string(cls) + ": cannot be constructed from JS; " + factory + " makes its objects");
  }
}

// The native object behind `value` when it is an instance of `cls` that its factory made; nullptr
// otherwise, including for an object that only inherits the class's prototype (Object.create)
// and so has no native object behind it.
template <class T>
T* unwrapInstance(const Napi::Value& value, const Napi::FunctionReference& cls) {
  if (!value.IsObject()) return nullptr;
  auto object = value.As<Napi::Object>();
  if (!object.InstanceOf(cls.Value())) return nullptr;
  void* wrapped = nullptr;
  if (napi_unwrap(value.Env(), object, &wrapped) != napi_ok) return nullptr;
  return static_cast<T*>(wrapped);
}

inline InstanceData& instanceData(Napi::Env env) {
  auto* data = env.GetInstanceData<InstanceData>();
  if (data == nullptr) {
    data = new InstanceData();
    env.SetInstanceData(data);  // deleted by node-addon-api when the environment is torn down
  }
  return *data;
}

}  // namespace torchlet
