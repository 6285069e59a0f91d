#include "host-allocator.h"

#include <c10/core/Allocator.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "errors.h"

// Why: with glibc's malloc, a training loop's RSS grew without bound while its live tensors did
// not (200 MB to 0.8-6 GB over 2,000-3,000 steps of a small CNN, varying from run to run), and
// only came back with malloc_trim or MALLOC_MMAP_THRESHOLD_. malloc raises its mmap threshold
// after the first large free, so later large tensors come from the heap, where their free
// chunks fragment. Forcing mmap made each step map and fault its memory again (about twice as
// slow). Here large blocks are mapped once and kept by size when freed: a steady loop asks for
// the same sizes every step, so after its first steps it maps and faults nothing. Small blocks
// stay with malloc. Cached memory is capped; past the cap, the cache is emptied of other sizes
// (the workload has moved on) before a block is kept.

namespace torchlet {
namespace {

constexpr size_t kAlignment = 64;                 // c10's alignment for CPU data (AVX-512)
constexpr size_t kHeader = kAlignment;            // before the data: the block's mapped length
constexpr size_t kMapAtLeast = size_t{64} << 10;  // smaller blocks come from malloc
constexpr size_t kCacheCap = size_t{512} << 20;   // free bytes kept for reuse

// One mutex for the cache: blocks are allocated and freed from any thread (OpenMP, autograd).
std::mutex cacheMutex;
std::unordered_map<size_t, std::vector<void*>> cache;  // mapped length → free mappings
size_t cachedBytes = 0;

size_t pageSize() {
  static const auto size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// Unmaps every cached block whose length is not `keep` (all of them for keep = 0). Lock held.
void dropCachedExcept(size_t keep) {
  for (auto it = cache.begin(); it != cache.end();) {
    if (it->first == keep) {
      ++it;
      continue;
    }
    for (void* base : it->second) munmap(base, it->first);
    cachedBytes -= it->first * it->second.size();
    it = cache.erase(it);
  }
}

void release(void* data) {
  if (data == nullptr) return;
  void* base = static_cast<char*>(data) - kHeader;
  size_t mapped = 0;
  std::memcpy(&mapped, base, sizeof mapped);
  if (mapped == 0) {
    std::free(base);
    return;
  }
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cachedBytes + mapped > kCacheCap) dropCachedExcept(mapped);
  if (cachedBytes + mapped > kCacheCap) {
    munmap(base, mapped);
    return;
  }
  cache[mapped].push_back(base);
  cachedBytes += mapped;
}

void* acquire(size_t n) {
  if (n == 0) return nullptr;
  if (n > SIZE_MAX - kHeader - pageSize()) throw std::bad_alloc();
  size_t total = n + kHeader;
  void* base = nullptr;
  if (total < kMapAtLeast) {
    if (posix_memalign(&base, kAlignment, total) != 0) throw std::bad_alloc();
    const size_t zero = 0;
    std::memcpy(base, &zero, sizeof zero);
  } else {
    const size_t mapped = (total + pageSize() - 1) / pageSize() * pageSize();
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      auto it = cache.find(mapped);
      if (it != cache.end() && !it->second.empty()) {
        base = it->second.back();
        it->second.pop_back();
        cachedBytes -= mapped;
      }
    }
    if (base == nullptr) {
      base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base == MAP_FAILED) throw std::bad_alloc();
      std::memcpy(base, &mapped, sizeof mapped);
    }
  }
  return static_cast<char*>(base) + kHeader;
}

class CachingHostAllocator final : public c10::Allocator {
 public:
  // libtorch 1.13 declares allocate const, 2.3 and later non-const: both are defined, and the
  // one the base class declares overrides it. NOLINTNEXTLINE(modernize-use-override)
  c10::DataPtr allocate(size_t n) const { return wrap(n); }
  // NOLINTNEXTLINE(modernize-use-override)
  c10::DataPtr allocate(size_t n) { return wrap(n); }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  // Pure virtual from libtorch 2.3 on; a plain member before. NOLINTNEXTLINE(modernize-use-override)
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

 private:
  static c10::DataPtr wrap(size_t n) {
    void* data = nullptr;
    try {
      data = acquire(n);
    } catch (const std::bad_alloc&) {
      // As c10's own allocator: an Error that JS receives, not a terminate.
      TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate ", n, " bytes");
    }
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }
};

}  // namespace

int64_t hostCachedBytes() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  return static_cast<int64_t>(cachedBytes);
}

void registerHostAllocator(Napi::Env env, Napi::Object exports) {
  // Never destroyed: tensors may be freed after static destructors have run.
  static auto* allocator = new CachingHostAllocator();
#ifndef TORCHLET_SANITIZE
  static std::once_flag installed;
  std::call_once(installed, [] { c10::SetAllocator(c10::DeviceType::CPU, allocator, /*priority=*/1); });
#else
  (void)allocator;  // under the sanitizers, CPU tensors stay with malloc, where ASan checks them
#endif
  bind(exports, "hostAllocator",
       [](Args& a) { return Napi::String::New(a.env(), c10::GetAllocator(c10::DeviceType::CPU) == allocator ? "caching" : "malloc"); });
  bind(exports, "hostEmptyCache", [](Args& a) {
    std::lock_guard<std::mutex> lock(cacheMutex);
    dropCachedExcept(0);
    return a.undefined();
  });
  (void)env;
}

}  // namespace torchlet
