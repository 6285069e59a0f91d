// Autograd: grad mode, requiresGrad, backward, gradients.
#pragma once

#include <napi.h>

namespace torchlet {
void registerAutograd(Napi::Env env, Napi::Object exports);
}
