// The allocator behind every CPU tensor: large blocks cached by size instead of returned to malloc.
#pragma once

#include <napi.h>

#include <cstdint>

namespace torchlet {

struct HostCacheStats {
  int64_t cachedBytes = 0;  // free blocks kept for reuse
  int64_t cachedBlocks = 0;
};
HostCacheStats hostCacheStats();

// Installs the allocator for the CPU (once per process) and adds hostEmptyCache().
void registerHostAllocator(Napi::Env env, Napi::Object exports);

}  // namespace torchlet
