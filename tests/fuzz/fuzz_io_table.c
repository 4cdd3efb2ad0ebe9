/* libFuzzer harness for the IO-table reader and the national analysis (src/io): any bytes, read
 * as a wide CSV IO table with an output row "x" and optional compensation, employment and
 * household labels, then analysed when it reads. Neither may crash, hang or leak; errors are fine
 * but must carry a message.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp -D_GNU_SOURCE -Iinclude -Isrc \
 *     $(ls src/core/[a-z]*.c src/ingest/[a-z]*.c src/aggregate/[a-z]*.c src/indices/[a-z]*.c src/io/[a-z]*.c)
 * tests/fuzz/fuzz_io_table.c \ -llapacke -llapack -lblas -lz -lcrypto -lm -o fuzz_io_table mkdir -p corpus &&
 * ./fuzz_io_table -max_len=4096 corpus tests/fuzz/corpus_io_table
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_memfile.h"
#include "regio/io.h"

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
  regio_ctx_set_threads(ctx, 1);
  regio_io_read_opts_t opts;
  memset(&opts, 0, sizeof opts);
  if (control & 1)
    opts.output_col = "x";
  else
    opts.output_row = "x";
  if (control & 2) opts.compensation_row = "w";
  if (control & 4) opts.employment_row = "e";
  if (control & 8) opts.household_col = "h";
  static const char *const value_added[] = {"w", "v"};
  if (control & 16) {
    opts.value_added_rows = value_added;
    opts.n_value_added_rows = 2;
  }
  opts.n_sectors = (control >> 5) & 3;
  regio_io_table_t *table = NULL;
  regio_err_t err = regio_io_table_read(path, &opts, ctx, &table);
  if (err == REGIO_OK) {
    regio_io_national_opts_t nopts = {.full_inverse = (control >> 7) & 1, .sensitivity_from_ghosh = 0};
    regio_io_national_t *national = NULL;
    err = regio_io_national_compute(table, &nopts, ctx, &national);
    if (err != REGIO_OK && regio_ctx_message(ctx)[0] == '\0') abort();
    regio_io_national_destroy(&national);
  } else if (regio_ctx_message(ctx)[0] == '\0') {
    abort(); /* every failure carries a message */
  }
  regio_io_table_destroy(&table);
  regio_ctx_destroy(&ctx);
  close(fd);
  return 0;
}
