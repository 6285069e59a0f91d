#include "onednn.h"

#include <deque>
#include <mutex>
#include <utility>

namespace torchlet {
namespace {

using WeakImpl = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

struct Entry {
  WeakImpl weight;  // weak: keeps the TensorImpl's address from being reused, not its storage
  int64_t version;
  std::vector<int64_t> key;
  at::Tensor packed;
};

// Most recently used first; a few entries per layer and batch size at most.
constexpr size_t kMaxEntries = 64;

std::mutex mutex;
std::deque<Entry> entries;

bool same(const Entry& e, const at::Tensor& weight, const std::vector<int64_t>& key) {
  return !e.weight.expired() && e.weight._unsafe_get_target() == weight.unsafeGetTensorImpl() && e.key == key;
}

}  // namespace

bool autogradRecords(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  return at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b && b->requires_grad()));
}

c10::optional<c10::OperatorHandle> findOperator(const char* name) { return c10::Dispatcher::singleton().findOp({name, ""}); }

bool oneDnnTypes(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, c10::optional<at::ScalarType> dtype) {
  at::ScalarType type = x.scalar_type();
  bool types = (type == at::kFloat || type == at::kBFloat16) && dtype.value_or(w.scalar_type()) == type &&
               (!b || dtype.value_or(b->scalar_type()) == type);
  return types && x.device().is_cpu() && w.device().is_cpu();
}

at::Tensor packedWeight(const at::Tensor& weight, const std::vector<int64_t>& key, const std::function<at::Tensor()>& pack) {
  if (weight.is_inference()) return pack();
  int64_t version = weight._version();
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (!same(*it, weight, key)) continue;
    if (it->version == version) {
      Entry hit = std::move(*it);  // to the front: most recently used
      entries.erase(it);
      entries.push_front(std::move(hit));
      return entries.front().packed;
    }
    entries.erase(it);  // the weight changed: packed again below
    break;
  }
  // Entries of weights that are gone go first, then the least recently used.
  for (auto it = entries.begin(); it != entries.end();) it = it->weight.expired() ? entries.erase(it) : std::next(it);
  if (entries.size() >= kMaxEntries) entries.pop_back();
  entries.push_front(Entry{WeakImpl(weight.getIntrusivePtr()), version, key, pack()});
  return entries.front().packed;
}

}  // namespace torchlet
