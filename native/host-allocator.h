// The allocator behind every CPU tensor: large blocks cached by size instead of returned to malloc.
#pragma once

#include <napi.h>

#include <cstdint>

namespace torchlet {

// Freed blocks kept for reuse, in bytes.
int64_t hostCachedBytes();

// Installs the allocator for the CPU (once per process) and adds the hostEmptyCache() and
// hostAllocator() bindings.
void registerHostAllocator(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
