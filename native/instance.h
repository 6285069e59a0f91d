// Per-environment state of the addon (one per Node.js thread that loads it): the JS classes of
// the wrapped native objects.
#pragma once

#include <napi.h>

namespace torchlet {

struct InstanceData {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference optimizerClass;
  Napi::FunctionReference graphClass;
};

inline InstanceData& instanceData(Napi::Env env) {
  auto* data = env.GetInstanceData<InstanceData>();
  if (data == nullptr) {
    data = new InstanceData();
    env.SetInstanceData(data);  // deleted by node-addon-api when the environment is torn down
  }
  return *data;
}

}  // namespace torchlet
