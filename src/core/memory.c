/* Checking up front that a run fits in memory (see include/regio/memory.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "regio/memory.h"

/* The value of "Key:  123 kB" in a /proc file, in bytes; -1 when absent. */
static int64_t proc_kib(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  size_t key_len = strlen(key);
  int64_t value = -1;
  while (fgets(line, sizeof line, f)) {
    long long kib;
    if (!strncmp(line, key, key_len) && line[key_len] == ':' && sscanf(line + key_len + 1, "%lld", &kib) == 1) {
      value = (int64_t)kib * 1024;
      break;
    }
  }
  fclose(f);
  return value;
}

/* A file holding one number ("max" or unreadable: -1). */
static int64_t file_number(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long long v = -1;
  if (fscanf(f, "%lld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

static void consider(uint64_t *best, const char **why, uint64_t value, const char *name) {
  if (value < *best) {
    *best = value;
    *why = name;
  }
}

static uint64_t rlimit_room(int resource, const char *status_key) {
  struct rlimit rl;
  if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  int64_t used = proc_kib("/proc/self/status", status_key);
  if (used < 0) used = 0;
  return (uint64_t)rl.rlim_cur > (uint64_t)used ? (uint64_t)rl.rlim_cur - (uint64_t)used : 0;
}

/* The room left under the memory limits of this process's cgroup and of every cgroup above it
 * (a batch job's step sits below the job's cgroup, which holds the job's --mem): cgroup v2
 * (memory.max, memory.current) or v1 (memory.limit_in_bytes, memory.usage_in_bytes). */
static void cgroup_room(uint64_t *best, const char **why) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  char line[4096], v2[4096] = "", v1[4096] = "";
  int have_v2 = 0, have_v1 = 0;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *path = strchr(line, ':') ? strchr(strchr(line, ':') + 1, ':') : NULL;
    if (!path) continue;
    if (strncmp(line, "0::", 3) == 0) {
      snprintf(v2, sizeof v2, "%s", path + 1);
      have_v2 = 1;
    } else if (strstr(line, ":memory:")) {
      snprintf(v1, sizeof v1, "%s", path + 1);
      have_v1 = 1;
    }
  }
  if (f) fclose(f);
  char dir[4200], max_path[4300], cur_path[4300];
  if (have_v2) { /* from the process's own cgroup up to the root */
    for (;;) {
      snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", strcmp(v2, "/") == 0 ? "" : v2);
      snprintf(max_path, sizeof max_path, "%s/memory.max", dir);
      snprintf(cur_path, sizeof cur_path, "%s/memory.current", dir);
      int64_t max = file_number(max_path), cur = file_number(cur_path);
      if (max > 0 && cur >= 0) consider(best, why, max > cur ? (uint64_t)(max - cur) : 0, "the cgroup memory limit");
      char *slash = strrchr(v2, '/');
      if (!slash || slash == v2 || v2[0] == '\0') break;
      *slash = '\0';
    }
    int64_t max = file_number("/sys/fs/cgroup/memory.max"), cur = file_number("/sys/fs/cgroup/memory.current");
    if (max > 0 && cur >= 0) consider(best, why, max > cur ? (uint64_t)(max - cur) : 0, "the cgroup memory limit");
  }
  if (have_v1) {
    snprintf(dir, sizeof dir, "/sys/fs/cgroup/memory%s", strcmp(v1, "/") == 0 ? "" : v1);
    snprintf(max_path, sizeof max_path, "%s/memory.limit_in_bytes", dir);
    snprintf(cur_path, sizeof cur_path, "%s/memory.usage_in_bytes", dir);
    int64_t max = file_number(max_path), cur = file_number(cur_path);
    /* v1 reports "no limit" as a huge number: only a limit below the machine's memory counts */
    if (max > 0 && cur >= 0 && max < ((int64_t)1 << 60))
      consider(best, why, max > cur ? (uint64_t)(max - cur) : 0, "the cgroup memory limit");
  }
}

/* REGIO_MEMORY_LIMIT: bytes, or a number followed by K, M, G or T (powers of 1024). 1 and *bytes
 * when it is set and valid, 0 when unset or empty, -1 when it is not a size. */
static int memory_limit_setting(uint64_t *bytes) {
  const char *text = getenv("REGIO_MEMORY_LIMIT");
  if (!text || !*text) return 0;
  char *end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(text, &end, 10);
  if (end == text || errno || text[0] == '-') return -1;
  int shift = 0;
  if (*end) {
    static const char units[] = "KMGT";
    const char *u = strchr(units, *end);
    if (!u || end[1]) return -1;
    shift = 10 * (int)(u - units + 1);
  }
  if (v > (UINT64_MAX >> shift)) return -1;
  *bytes = (uint64_t)v << shift;
  return 1;
}

uint64_t regio_memory_available(const char **limited_by) {
  uint64_t best = UINT64_MAX;
  const char *why = "no limit known";
  uint64_t setting;
  if (memory_limit_setting(&setting) == 1) { /* a budget for the resident memory */
    int64_t rss = proc_kib("/proc/self/status", "VmRSS");
    if (rss < 0) rss = 0;
    consider(&best, &why, setting > (uint64_t)rss ? setting - (uint64_t)rss : 0, "the REGIO_MEMORY_LIMIT setting");
  }
  int64_t avail = proc_kib("/proc/meminfo", "MemAvailable"), swap = proc_kib("/proc/meminfo", "SwapFree");
  if (avail >= 0) consider(&best, &why, (uint64_t)avail + (uint64_t)(swap > 0 ? swap : 0), "MemAvailable + SwapFree");
  consider(&best, &why, rlimit_room(RLIMIT_AS, "VmSize"), "the address-space limit, ulimit -v");
  consider(&best, &why, rlimit_room(RLIMIT_DATA, "VmData"), "the data-segment limit, ulimit -d");
  cgroup_room(&best, &why);
  if (limited_by) *limited_by = why;
  return best;
}

static double gib(uint64_t bytes) {
  return (double)bytes / (1024.0 * 1024.0 * 1024.0);
}

regio_err_t regio_memory_check(regio_ctx_t *ctx, uint64_t bytes, const char *what) {
  uint64_t setting;
  REGIO_CHECK(ctx, memory_limit_setting(&setting) >= 0, REGIO_ERR_USAGE,
              "REGIO_MEMORY_LIMIT='%s': not a size (bytes, or a number followed by K, M, G or T)",
              getenv("REGIO_MEMORY_LIMIT"));
  const char *why = NULL;
  uint64_t available = regio_memory_available(&why);
  REGIO_CHECK(ctx, bytes <= available, REGIO_ERR_NOMEM,
              "not enough memory: %s needs about %.3f GiB (%" PRIu64 " bytes), but only %.3f GiB (%" PRIu64
              " bytes) are available (%s)",
              what, gib(bytes), bytes, gib(available), available, why);
  return REGIO_OK;
}

/* Sectors at a prefix level: the distinct prefixes of the sorted full codes (codes with the same
 * prefix are adjacent; counting changes is an upper bound in any order). */
static size_t level_sectors(const regio_codes_t *codes, int prefix) {
  size_t count = 0;
  for (size_t i = 0; i < codes->count; i++) {
    const char *code = regio_codes_at(codes, i);
    size_t len = regio_codes_len(codes, i), p = (size_t)prefix < len ? (size_t)prefix : len;
    if (i > 0) {
      const char *prev = regio_codes_at(codes, i - 1);
      size_t prev_len = regio_codes_len(codes, i - 1), q = (size_t)prefix < prev_len ? (size_t)prefix : prev_len;
      if (p == q && !memcmp(code, prev, p)) continue;
    }
    count++;
  }
  return count;
}

static uint64_t mul_sat(uint64_t a, uint64_t b) {
  return (b && a > UINT64_MAX / b) ? UINT64_MAX : a * b;
}
static uint64_t add_sat(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t regio_indices_memory_estimate(const regio_aggregate_t *agg, const regio_indices_opts_t *opts) {
  const uint64_t D = agg->districts.count, S_full = agg->sectors.count;
  int prefixes[REGIO_MAX_LEVELS + 2], n = 0;
  for (int i = 0; i < opts->n_levels && n < REGIO_MAX_LEVELS; i++) prefixes[n++] = opts->levels[i];
  if (opts->variety_fine > 0) prefixes[n++] = opts->variety_fine;
  if (opts->variety_coarse > 0) prefixes[n++] = opts->variety_coarse;
  uint64_t bytes = 64u << 20; /* writing: HDF5 buffers and a block of rows */
  bytes = add_sat(bytes, mul_sat(D, 3 * sizeof(double)));
  int finest = 0, stolen = 0;
  for (int i = 0; i < n; i++) finest = prefixes[i] > finest ? prefixes[i] : finest;
  /* the non-zero cells the indices walk and the levels keep (src/indices/levels.c), 12 bytes each
   * (sector or district index and value): at most one per cell and one per row aggregated. While
   * they are taken from the full matrix they are held twice (each thread's, then one array); after
   * that once for the full matrix, once for each level of its own, and once more by sector for the
   * localisation of one level at a time */
  uint64_t rows_used = 0;
  for (size_t f = 0; f < agg->n_inputs; f++) rows_used = add_sat(rows_used, (uint64_t)agg->inputs[f].rows_used);
  uint64_t cells = mul_sat(D, S_full);
  if (agg->n_inputs > 0 && rows_used < cells) cells = rows_used;
  uint64_t cell_copies = 2;
  for (int i = 0; i < (n ? n : 1); i++) {
    int dup = 0;
    for (int k = 0; k < i; k++) dup |= prefixes[k] == prefixes[i];
    if (dup) continue;
    uint64_t S = n ? level_sectors(&agg->sectors, prefixes[i]) : S_full;
    /* the finest level takes over the full matrix's cells when it has the full codes; every other
     * level has cells of its own (the LQ are computed row by row, never stored), its 9
     * specialisation values per district, and per sector the totals, codes and an LQ row per
     * thread */
    int steal = !stolen && S == S_full && (n == 0 || prefixes[i] == finest);
    stolen |= steal;
    if (!steal) cell_copies++;
    bytes = add_sat(bytes, mul_sat(D, 9 * sizeof(double)));
    bytes = add_sat(bytes, mul_sat(S, 2 * sizeof(int64_t) + 2 * REGIO_CODE_MAX));
  }
  return add_sat(bytes, mul_sat(cells, 12 * cell_copies));
}

regio_err_t regio_indices_memory_check(const regio_aggregate_t *agg, const regio_indices_opts_t *opts,
                                       regio_ctx_t *ctx) {
  char what[256];
  int levels = opts->n_levels > 0 ? opts->n_levels : 1;
  snprintf(what, sizeof what, "computing the indices of %zu districts x %zu sectors at %d level%s",
           agg->districts.count, agg->sectors.count, levels, levels == 1 ? "" : "s");
  return regio_memory_check(ctx, regio_indices_memory_estimate(agg, opts), what);
}

void regio_advise_huge(void *p, size_t bytes) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  if (!p || bytes < 2 * huge) return;
  const uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
}
