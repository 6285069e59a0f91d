// Neural-network ops: convolution, pooling, dense, activations, dropout, batch norm and losses.
#pragma once

#include <napi.h>

namespace torchlet {
void registerOps(Napi::Env env, Napi::Object exports);
}
