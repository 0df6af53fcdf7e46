#include "allocator.h"

#include <cstddef>
#include <cstdlib>

#ifdef ALTGW_WITH_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif

namespace altgw::server {

void CapAllocatorCaches() {
#ifdef ALTGW_WITH_TCMALLOC
  constexpr size_t kTotalThreadCacheBytes = size_t{8} << 20;
  if (std::getenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES") != nullptr) return;
  MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                  kTotalThreadCacheBytes);
#endif
}

}  // namespace altgw::server
