// Elementwise math with broadcasting and scalar operands, comparisons, matmul and reductions.
#pragma once

#include <napi.h>

namespace torchlet {
void registerArith(Napi::Env env, Napi::Object exports);
}
