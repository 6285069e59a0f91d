// Views and layout: reshape, view, permute, transpose, contiguous, flatten, squeeze, unsqueeze,
// narrow, slice, indexSelect, gather, cat, stack.
#pragma once

#include <napi.h>

namespace torchlet {
void registerShape(Napi::Env env, Napi::Object exports);
}
