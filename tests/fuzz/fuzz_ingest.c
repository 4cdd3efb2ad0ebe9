/* libFuzzer harness for the establishment-table reader (src/ingest): any bytes, read as a CSV file
 * (plain, or gzip when they start with the gzip magic), under both bad-row policies, with a block
 * size and thread count taken from the first input byte so that block and chunk boundaries fall
 * everywhere. The reader must never crash, hang or leak; errors are fine.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp -D_GNU_SOURCE -Iinclude -Isrc \
 *     $(ls src/core/[a-z]*.c src/ingest/[a-z]*.c src/aggregate/[a-z]*.c) tests/fuzz/fuzz_ingest.c \
 *     -lz -lcrypto -o fuzz_ingest
 *   mkdir -p corpus && ./fuzz_ingest -max_len=4096 corpus tests/fuzz/corpus_ingest
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_memfile.h"
#include "regio/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  data++;
  size--;
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) return 0;

  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) {
    close(fd);
    return 0;
  }
  regio_ctx_set_threads(ctx, 1 + (control & 1));
  regio_ingest_opts_t opts;
  regio_ingest_opts_default(&opts);
  static const size_t blocks[] = {0, 1, 3, 7, 16, 64, 333, 4096};
  opts.block_bytes = blocks[(control >> 1) & 7];
  opts.on_bad_row = (control >> 4) & 1 ? REGIO_BAD_ROW_SKIP : REGIO_BAD_ROW_FAIL;
  opts.checksum = (control >> 5) & 1;
  if ((control >> 6) & 1) { /* a two-column district and a count column */
    opts.district_cols[0] = "a";
    opts.district_cols[1] = "b";
    opts.n_district_cols = 2;
    opts.establishments_col = "n";
  }
  opts.sector_digits = (control >> 7) ? 3 : 0;
  const char *paths[1] = {path};
  regio_aggregate_t *agg = NULL;
  regio_err_t err = regio_ingest_files(paths, 1, &opts, ctx, &agg);
  if (err == REGIO_OK && agg) {
    /* the aggregate must be consistent: sorted codes, totals that add up */
    /* its cells in (district, sector) order, none 0 */
    for (size_t d = 0; d < agg->districts.count; d++)
      for (size_t k = agg->cell_start[d]; k < agg->cell_start[d + 1]; k++)
        if (agg->cell_sector[k] >= agg->sectors.count || agg->cell_employment[k] == 0 ||
            (k > agg->cell_start[d] && agg->cell_sector[k - 1] >= agg->cell_sector[k]))
          abort();
    for (size_t i = 1; i < agg->districts.count; i++)
      if (memcmp(regio_codes_at(&agg->districts, i - 1), regio_codes_at(&agg->districts, i), agg->districts.width) >= 0)
        abort();
  } else if (strlen(regio_ctx_message(ctx)) == 0) {
    abort(); /* every failure carries a message */
  }
  regio_aggregate_destroy(&agg);
  regio_ctx_destroy(&ctx);
  close(fd);
  return 0;
}
