/* libFuzzer harness for the configuration file of `regio run --config` (src/cli/main.c: the INI
 * reader, every option's value parser, the checks of contradictory options): any bytes as the
 * configuration, with the input and output given on the command line, the output in a directory
 * that does not exist, so that every run stops before reading any input. Must never crash, hang or
 * leak; every outcome must be a documented exit code.
 *
 * The program's main() is compiled under another name (-Dmain=regio_program_main) so that the
 * harness can call cli_run_main.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fopenmp -D_GNU_SOURCE -Dmain=regio_program_main \
 *     -Iinclude -Isrc -I/usr/include/hdf5/serial $(ls src/core/[a-z]*.c src/ingest/[a-z]*.c \
 *     src/aggregate/[a-z]*.c src/indices/[a-z]*.c src/io/[a-z]*.c src/output/[a-z]*.c src/gen/[a-z]*.c \
 *     src/cli/[a-z]*.c) tests/fuzz/fuzz_config.c \
 *     -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5_hl -lhdf5 -linih -llapacke -llapack -lblas -lz -lcrypto -lm \
 *     -o fuzz_config
 *   mkdir -p corpus && ./fuzz_config -max_len=2048 -close_fd_mask=2 corpus tests/fuzz/corpus_config
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) return 0;
  char a0[] = "run", a1[] = "--config", a3[] = "no_such_input.csv", a4[] = "-o",
       a5[] = "/nonexistent_regio_fuzz_dir/out.h5";
  char *argv[] = {a0, a1, path, a3, a4, a5, NULL};
  int rc = cli_run_main(6, argv, "regio run (fuzz_config)", NULL);
  close(fd);
  /* usage (2) or the output directory (5); never success, a crash or another code */
  if (rc != 2 && rc != 5) {
    fprintf(stderr, "fuzz_config: cli_run_main returned %d\n", rc);
    abort();
  }
  return 0;
}
