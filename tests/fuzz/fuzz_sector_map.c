/* libFuzzer harness for the concordance reader regio_io_sector_map_read (src/io/concordance.c):
 * any bytes, read as a sector map; when it reads, it maps a fixed small result (sectors 11, 12,
 * 21, 2A1 in four districts) onto a fixed 3-sector IO table (A, B, C) with the district level from
 * the first byte. Neither may crash, hang or leak; an error must carry a message.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp -D_GNU_SOURCE -Iinclude -Isrc \
 *     $(ls src/core/[a-z]*.c src/ingest/[a-z]*.c src/aggregate/[a-z]*.c src/indices/[a-z]*.c src/io/[a-z]*.c) \
 *     tests/fuzz/fuzz_sector_map.c -llapacke -llapack -lblas -lz -lcrypto -lm -o fuzz_sector_map
 *   mkdir -p corpus && ./fuzz_sector_map -max_len=2048 corpus tests/fuzz/corpus_sector_map
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_memfile.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "regio/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static regio_result_t *result;
static regio_io_table_t *table;

/* The fixed result and table, made once. */
static void setup(regio_ctx_t *ctx) {
  static const char csv[] =
      "district,sector,employees\n0101,11,3\n0101,21,1.5\n0102,12,2\n0201,2A1,4\n0202,11,0\n0202,21,7\n";
  char path[64];
  int fd = fuzz_memfile((const uint8_t *)csv, sizeof csv - 1, path, sizeof path);
  regio_ingest_opts_t opts;
  regio_ingest_opts_default(&opts);
  regio_aggregate_t *agg = NULL;
  regio_indices_opts_t iopts;
  memset(&iopts, 0, sizeof iopts);
  const char *const paths[] = {path};
  if (fd < 0 || regio_ingest_files(paths, 1, &opts, ctx, &agg) != REGIO_OK ||
      regio_indices_compute(&agg, &iopts, ctx, &result) != REGIO_OK)
    abort();
  close(fd);
  static const char *const codes[] = {"A", "B", "C"};
  static const double Z[9] = {1, 2, 0, 0, 1, 3, 2, 0, 1}, x[3] = {10, 20, 30};
  if (regio_io_table_create(3, codes, Z, x, NULL, NULL, NULL, ctx, &table) != REGIO_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const int district_level = data[0] % 6;
  data++;
  size--;
  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) return 0;
  regio_ctx_set_threads(ctx, 1);
  if (!result) setup(ctx);
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) {
    regio_ctx_destroy(&ctx);
    return 0;
  }
  regio_io_sector_map_t *map = NULL;
  regio_err_t err = regio_io_sector_map_read(path, ctx, &map);
  if (err != REGIO_OK && regio_ctx_message(ctx)[0] == '\0') abort();
  if (err == REGIO_OK) {
    int n = 0;
    char **codes = NULL;
    double *employment = NULL, excluded = 0;
    err = regio_io_district_employment(result, map, table, district_level, ctx, &n, &codes, &employment, &excluded);
    if (err != REGIO_OK && regio_ctx_message(ctx)[0] == '\0') abort();
    regio_io_district_codes_free(codes, n);
    free(employment);
  }
  regio_io_sector_map_destroy(&map);
  close(fd);
  regio_ctx_destroy(&ctx);
  return 0;
}
