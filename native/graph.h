// CUDA graphs: capture a whole training step once and replay it. Only a CUDA build has them;
// elsewhere every binding throws a clear error.
#pragma once

#include <napi.h>

namespace torchlet {
void registerGraph(Napi::Env env, Napi::Object exports);
}
