// The gateway's allocator settings, applied once at startup.
#ifndef ALTGW_SERVER_ALLOCATOR_H_
#define ALTGW_SERVER_ALLOCATOR_H_

namespace altgw::server {

// Caps tcmalloc's per-thread caches (when the gateway links tcmalloc; otherwise does nothing).
//
// A call's objects are allocated on gRPC's threads and freed on the HTTP thread, so that thread's cache
// keeps filling with memory it never reuses; tcmalloc lets all caches together grow to 32 MB before it
// stops. Over the first million calls that showed as RSS growing by 20+ MB while the live heap stayed
// near 2 MB (bench/README.md, "Memory"). An 8 MB cap keeps RSS flat after warm-up at no measured cost in
// throughput. TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES, when set, wins.
void CapAllocatorCaches();

}  // namespace altgw::server

#endif  // ALTGW_SERVER_ALLOCATOR_H_
