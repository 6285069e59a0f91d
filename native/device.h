// Devices and the runtime: CUDA availability, threads, seeds, synchronisation, memory stats and
// what this build of the addon was compiled against.
#pragma once

#include <napi.h>

namespace torchlet {
void registerDevice(Napi::Env env, Napi::Object exports);
}
