// Mixed precision: libtorch's autocast, switched on around a forward pass.
#pragma once

#include <napi.h>

namespace torchlet {
void registerAutocast(Napi::Env env, Napi::Object exports);
// Whether autocast is on for CPU operations on this thread.
bool cpuAutocastEnabled();
}  // namespace torchlet
