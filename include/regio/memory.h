/* regio: checking up front that a run fits in memory.
 *
 * The big allocations of a run are the non-zero cells of the district x sector matrices (the
 * aggregate's, then each sector level's; in the distributed mode those of each rank's block of
 * districts). Their sizes are known once the codes are merged, so a run that would not fit says so
 * then, with the sizes, instead of failing (or being killed by the kernel) half-way through. */
#ifndef REGIO_MEMORY_H
#define REGIO_MEMORY_H

#include <stdint.h>

#include "regio/error.h"
#include "regio/indices.h"
#include "regio/ingest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes this process can still allocate: the least of the system's available memory
 * (MemAvailable + SwapFree in /proc/meminfo), the address-space limit (RLIMIT_AS, `ulimit -v`)
 * and the data limit (RLIMIT_DATA) minus what the process already uses, the cgroup v2 memory
 * limit minus its current use, and the environment variable REGIO_MEMORY_LIMIT (a budget for the
 * process's resident memory: bytes, or a number followed by K, M, G or T, powers of 1024) minus
 * the resident memory. UINT64_MAX when none of them can be read. *limited_by (may be NULL) names
 * the limit that gave the result. Thread-safe. */
uint64_t regio_memory_available(const char **limited_by);

/* REGIO_ERR_NOMEM with a message giving `bytes` (needed for `what`) and the available memory when
 * bytes exceed regio_memory_available(); REGIO_ERR_USAGE when REGIO_MEMORY_LIMIT is set but not a
 * size; REGIO_OK otherwise. */
regio_err_t regio_memory_check(regio_ctx_t *ctx, uint64_t bytes, const char *what);

/* Bytes regio_indices_compute will allocate for agg and opts (the levels' cells and per-district
 * values, the variety vectors and a margin for writing), from the sector counts of each level. */
uint64_t regio_indices_memory_estimate(const regio_aggregate_t *agg, const regio_indices_opts_t *opts);

/* regio_memory_check of regio_indices_memory_estimate, with a message naming districts, sectors
 * and levels. */
regio_err_t regio_indices_memory_check(const regio_aggregate_t *agg, const regio_indices_opts_t *opts,
                                       regio_ctx_t *ctx);

/* Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with huge pages (where
 * transparent huge pages are allowed on request), before its first use: a large array written once
 * then takes a page fault per 2 MiB rather than per 4 KiB. A hint; nothing happens for small
 * blocks or where it is not supported. */
void regio_advise_huge(void *p, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
