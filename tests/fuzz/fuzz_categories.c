/* libFuzzer harness for the category map reader regio_category_map_read (src/indices/categories.c):
 * any bytes, read as a category map; when it reads, every prefix is looked up, and the map is
 * applied to a fixed small result (sectors 11, 12, 21, 2A1 in four districts) with
 * regio_categories_compute, whose shares must be in [0, 1] and sum to 1 in every district with
 * employment. Nothing may crash, hang or leak; an error must carry a message.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp -D_GNU_SOURCE -Iinclude -Isrc \
 *     $(ls src/core/[a-z]*.c src/ingest/[a-z]*.c src/aggregate/[a-z]*.c src/indices/[a-z]*.c src/screen/[a-z]*.c) \
 *     tests/fuzz/fuzz_categories.c -lz -lcrypto -lm -o fuzz_categories
 *   mkdir -p corpus && ./fuzz_categories -max_len=2048 corpus tests/fuzz/corpus_categories
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_memfile.h"
#include "regio/categories.h"
#include "regio/indices.h"
#include "regio/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fresh small result (regio_categories_compute stores its result in it). */
static regio_result_t *make_result(regio_ctx_t *ctx) {
  static const char csv[] =
      "district,sector,employees\n0101,11,3\n0101,21,1.5\n0102,12,2\n0201,2A1,4\n0202,11,0\n0202,21,7\n";
  char path[64];
  int fd = fuzz_memfile((const uint8_t *)csv, sizeof csv - 1, path, sizeof path);
  regio_ingest_opts_t opts;
  regio_ingest_opts_default(&opts);
  regio_aggregate_t *agg = NULL;
  regio_result_t *res = NULL;
  regio_indices_opts_t iopts;
  memset(&iopts, 0, sizeof iopts);
  const char *const paths[] = {path};
  if (fd < 0 || regio_ingest_files(paths, 1, &opts, ctx, &agg) != REGIO_OK ||
      regio_indices_compute(&agg, &iopts, ctx, &res) != REGIO_OK)
    abort();
  close(fd);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) return 0;
  regio_ctx_set_threads(ctx, 1);
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) {
    regio_ctx_destroy(&ctx);
    return 0;
  }
  regio_category_map_t *map = NULL;
  regio_err_t err = regio_category_map_read(path, ctx, &map);
  if (err != REGIO_OK && regio_ctx_message(ctx)[0] == '\0') abort();
  if (err == REGIO_OK) {
    if (map->n_categories < 1 || strcmp(map->names[map->n_categories - 1], "other") != 0) abort();
    for (int i = 0; i < map->n; i++) {
      int c = regio_category_map_lookup(map, map->prefix[i], strlen(map->prefix[i]));
      if (c < 0 || c >= map->n_categories) abort();
    }
    regio_result_t *res = make_result(ctx);
    err = regio_categories_compute(res, map, ctx);
    if (err != REGIO_OK && regio_ctx_message(ctx)[0] == '\0') abort();
    if (err == REGIO_OK) {
      const regio_categories_t *cat = res->categories;
      size_t D = res->agg->districts.count, C = (size_t)cat->n_categories;
      for (size_t d = 0; d < D; d++) {
        if (res->district_employment[d] == 0) continue;
        double sum = 0;
        for (size_t c = 0; c < C; c++) {
          double v = cat->share[d * C + c];
          if (!(v >= 0 && v <= 1)) abort();
          sum += v;
        }
        if (fabs(sum - 1) > 1e-12) abort();
      }
    }
    regio_result_destroy(&res);
  }
  regio_category_map_destroy(&map);
  close(fd);
  regio_ctx_destroy(&ctx);
  return 0;
}
