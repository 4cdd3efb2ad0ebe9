/* The up-front memory check (src/core/memory.c): the available memory is positive and names its
 * limit; a request beyond it is REGIO_ERR_NOMEM with both sizes; an address-space limit lowers it
 * by about the limit's change; the estimate of the indices counts each level's sectors (the
 * distinct code prefixes, counted here by hand from the table below). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "regio/regio.h"
#include "testing.h"

static regio_ctx_t *ctx;

static void test_available(void) {
  const char *why = NULL;
  uint64_t avail = regio_memory_available(&why);
  CHECK(avail > 0);
  CHECK(why && why[0]);
  CHECK_INT(regio_memory_check(ctx, 1024, "a small thing"), REGIO_OK);
  CHECK_INT(regio_memory_check(ctx, UINT64_MAX - 1, "a huge matrix"), REGIO_ERR_NOMEM);
  CHECK_CONTAINS(regio_ctx_message(ctx), "not enough memory: a huge matrix needs about");
  CHECK_CONTAINS(regio_ctx_message(ctx), "are available");

  /* an address-space limit 256 MiB above the current use leaves about 256 MiB */
  struct rlimit old;
  REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
  FILE *f = fopen("/proc/self/status", "r");
  REQUIRE(f);
  char line[256];
  long long vm_kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %lld kB", &vm_kib) == 1) break;
  fclose(f);
  REQUIRE(vm_kib > 0);
  struct rlimit lower = old;
  lower.rlim_cur = (rlim_t)vm_kib * 1024 + ((rlim_t)256 << 20);
  if (old.rlim_cur == RLIM_INFINITY || lower.rlim_cur < old.rlim_cur) {
    REQUIRE(setrlimit(RLIMIT_AS, &lower) == 0);
    uint64_t limited = regio_memory_available(&why);
    setrlimit(RLIMIT_AS, &old);
    CHECKF(limited > ((uint64_t)200 << 20) && limited <= ((uint64_t)256 << 20), "available %" PRIu64, limited);
    CHECK_STR(why, "the address-space limit, ulimit -v");
  }
}

static void test_estimate(void) {
  /* 3 districts; sectors 111, 112, 121, 211: 2 at level 1, 3 at level 2, 4 full */
  const char *path = test_path("memory.csv");
  test_write_text(path, "district,sector,employees\nA,111,1\nB,112,2\nC,121,3\nA,211,4\n");
  regio_ingest_opts_t o;
  regio_ingest_opts_default(&o);
  regio_aggregate_t *agg = NULL;
  const char *const paths[] = {path};
  REQUIRE(regio_ingest_files(paths, 1, &o, ctx, &agg) == REGIO_OK);
  const uint64_t D = 3, margin = (uint64_t)64 << 20, variety = D * 3 * 8, per_sector = 2 * 8 + 2 * 64;
  const uint64_t per_level = D * 9 * 8; /* the specialisation values of each district */
  /* the non-zero cells: at most one per row used (4, fewer than the 3 x 4 cells), 12 bytes each,
   * held twice, and once more for each level but the one that takes over the full codes' (no level
   * has a matrix) */
  const uint64_t cell = 4 * 12;
  regio_indices_opts_t io;
  memset(&io, 0, sizeof io);
  /* one level of the full codes: it takes over the full matrix's cells (the LQ are never stored) */
  CHECK_INT(regio_indices_memory_estimate(agg, &io), margin + variety + per_level + 4 * per_sector + 2 * cell);
  /* levels 1, 2, 3: 2, 3 and 4 sectors; level 3 has the full codes (taken over) */
  io.n_levels = 3;
  io.levels[0] = 1;
  io.levels[1] = 2;
  io.levels[2] = 3;
  CHECK_INT(regio_indices_memory_estimate(agg, &io),
            margin + variety + 3 * per_level + 2 * per_sector + 3 * per_sector + 4 * per_sector + 4 * cell);
  CHECK_INT(regio_indices_memory_check(agg, &io, ctx), REGIO_OK);
  /* a result too large for any machine (2^40 districts, 1.1e14 bytes of per-district values at
   * three levels; only the count is read): the check fails, saying what it needs and why */
  const size_t real_count = agg->districts.count;
  agg->districts.count = (size_t)1 << 40;
  CHECK_INT(regio_indices_memory_check(agg, &io, ctx), REGIO_ERR_NOMEM);
  CHECK(strstr(regio_ctx_message(ctx),
               "computing the indices of 1099511627776 districts x 4 sectors at 3 levels needs "
               "about ") != NULL);
  CHECK(strstr(regio_ctx_message(ctx), " are available (") != NULL);
  agg->districts.count = real_count;
  regio_aggregate_destroy(&agg);
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_available();
  test_estimate();
  regio_ctx_destroy(&ctx);
  return test_summary("test_memory");
}
