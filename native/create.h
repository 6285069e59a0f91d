// Tensor factories: zeros, ones, full, arange, rand, randn, randint.
#pragma once

#include <napi.h>

namespace torchlet {
void registerCreate(Napi::Env env, Napi::Object exports);
}
