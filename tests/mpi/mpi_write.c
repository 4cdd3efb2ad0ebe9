/* The writer of the distributed mode (label mpi; driven by mpi_write.sh under mpirun).
 *
 * Every rank runs the serial pipeline of `scripts/demo.sh` plus categories and the screen (the
 * shipped demo establishments, KSIC category map, demo IO table and sector map, FLQ regional
 * tables) on a context without a dist, cuts the result down to its block of districts
 * (regio_result_restrict, regio_io_regional_restrict) and writes it with a context that has the
 * dist: one file, written by rank 0 from every rank's rows. The driver compares it with the file of the serial
 * `regio run` on the same inputs.
 *
 * Usage: mpi_write ESTABLISHMENTS CATEGORIES IO_TABLE IO_SECTOR_MAP COMMAND_LINE_FILE CONFIG_FILE
 *                  OUTPUT MODE
 * COMMAND_LINE_FILE and CONFIG_FILE hold the provenance strings of the serial run (the writer
 * records what the caller gives). MODE: even (blocks of equal size), uneven (rank r's block grows
 * with r), zero (rank 0, and the last rank when there are more than two, hold no district), fail
 * (as even, and the last rank's block lacks a per-district array: the write must fail on every
 * rank with the same error, leaving OUTPUT as it was), fail0 (the same with rank 0 failing),
 * mismatch (the last rank lacks an optional array: refused on every rank before writing). Exit
 * status 0 when the outcome is the expected one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regio/categories.h"
#include "regio/dist.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "regio/io.h"
#include "regio/output.h"
#include "regio/screen.h"

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = NULL;
  size_t size = 0, used = 0;
  for (;;) {
    if (used + 4096 + 1 > size) {
      size = 2 * size + 4096 + 1;
      char *bigger = realloc(text, size);
      if (!bigger) {
        free(text);
        fclose(f);
        return NULL;
      }
      text = bigger;
    }
    size_t got = fread(text + used, 1, 4096, f);
    used += got;
    if (got < 4096) break;
  }
  fclose(f);
  text[used] = '\0';
  return text;
}

/* Rank r's block [*offset, *offset + *count) of n rows in the given mode. */
static void block_of(const char *mode, int rank, int ranks, size_t n, size_t *offset, size_t *count) {
  size_t *sizes = calloc((size_t)ranks, sizeof *sizes);
  if (!strcmp(mode, "uneven")) {
    /* weights 1, 2, 3, ...: rank 0 smallest */
    size_t total_weight = (size_t)ranks * (size_t)(ranks + 1) / 2, before = 0, cut = 0;
    for (int r = 0; r < ranks; r++) {
      before += (size_t)r + 1;
      size_t next = n * before / total_weight;
      sizes[r] = next - cut;
      cut = next;
    }
  } else {
    int holders = ranks, first = 0;
    if (!strcmp(mode, "zero") && ranks > 1) {
      first = 1;
      holders = ranks > 2 ? ranks - 2 : 1;
    }
    for (int k = 0; k < holders; k++)
      sizes[first + k] = n / (size_t)holders + ((size_t)k < n % (size_t)holders ? 1 : 0);
  }
  *offset = 0;
  for (int r = 0; r < rank; r++) *offset += sizes[r];
  *count = sizes[rank];
  free(sizes);
}

int main(int argc, char **argv) {
  regio_dist_t *dist = NULL;
  if (regio_dist_init(&argc, &argv, &dist) != REGIO_OK) {
    fprintf(stderr, "mpi_write: cannot start MPI\n");
    return 1;
  }
  if (argc != 9) {
    fprintf(stderr,
            "usage: mpi_write ESTABLISHMENTS CATEGORIES IO_TABLE IO_SECTOR_MAP COMMAND_LINE_FILE CONFIG_FILE "
            "OUTPUT MODE\n");
    regio_dist_finalize(&dist);
    return 2;
  }
  const char *establishments = argv[1], *categories = argv[2], *io_table = argv[3], *io_map = argv[4];
  const char *output = argv[7], *mode = argv[8];
  const int rank = regio_dist_rank(dist), ranks = regio_dist_size(dist);
  const int mismatch = !strcmp(mode, "mismatch");
  const int fail = !strcmp(mode, "fail") || !strcmp(mode, "fail0") || mismatch;
  const int failing_rank = strcmp(mode, "fail0") ? ranks - 1 : 0;

  regio_ctx_t *ctx = NULL;
  regio_aggregate_t *agg = NULL;
  regio_result_t *res = NULL;
  regio_category_map_t *category_map = NULL;
  regio_io_table_t *table = NULL;
  regio_io_national_t *national = NULL;
  regio_io_sector_map_t *sector_map = NULL;
  regio_io_regional_t *regional = NULL;
  char **district_code = NULL;
  double *io_employment = NULL, excluded = 0;
  int n_regional = 0, status = 1;
  double *saved_scores = NULL;

  if (regio_ctx_create(&ctx) != REGIO_OK) goto done;
  regio_ctx_set_threads(ctx, 1);

  /* the serial pipeline, on a context without the dist */
  regio_ingest_opts_t ingest;
  regio_ingest_opts_default(&ingest);
  ingest.min_sector_len = 5;
  regio_indices_opts_t indices;
  memset(&indices, 0, sizeof indices);
  indices.levels[0] = 2;
  indices.levels[1] = 5;
  indices.n_levels = 2;
  indices.specialised_lq = REGIO_SPECIALISED_LQ;
  regio_err_t err = regio_ingest_files(&establishments, 1, &ingest, ctx, &agg);
  if (!err) err = regio_indices_compute(&agg, &indices, ctx, &res);
  if (!err) err = regio_category_map_read(categories, ctx, &category_map);
  if (!err) err = regio_categories_compute(res, category_map, ctx);
  regio_io_read_opts_t read = {0};
  read.output_row = "Total output";
  read.compensation_row = "Compensation of employees";
  read.employment_row = "Employment";
  read.household_col = "Households";
  regio_io_national_opts_t national_opts = {0, 0};
  if (!err) err = regio_io_table_read(io_table, &read, ctx, &table);
  if (!err) err = regio_io_national_compute(table, &national_opts, ctx, &national);
  if (!err) err = regio_io_sector_map_read(io_map, ctx, &sector_map);
  if (!err)
    err = regio_io_district_employment(res, sector_map, table, 0, ctx, &n_regional, &district_code, &io_employment,
                                       &excluded);
  regio_io_regional_opts_t regional_opts = regio_io_regional_opts_default();
  if (!err) err = regio_io_regional_compute(table, national, n_regional, io_employment, &regional_opts, ctx, &regional);
  regio_screen_opts_t screen_opts;
  regio_screen_opts_default(&screen_opts);
  if (!err) err = regio_screen_compute_io(res, &screen_opts, table, national, sector_map, ctx);
  if (!err) {
    res->command_line = read_text(argv[5]);
    res->config_ini = read_text(argv[6]);
    if (!res->command_line || !res->config_ini) {
      fprintf(stderr, "mpi_write: cannot read %s or %s\n", argv[5], argv[6]);
      goto done;
    }
  }
  if (err) {
    fprintf(stderr, "mpi_write: rank %d: %s\n", rank, regio_ctx_message(ctx));
    goto done;
  }

  /* this rank's block of the districts and of the regional districts */
  size_t offset, count, regional_offset, regional_count, n_districts = res->agg->districts.count;
  block_of(mode, rank, ranks, n_districts, &offset, &count);
  block_of(mode, rank, ranks, (size_t)n_regional, &regional_offset, &regional_count);
  err = regio_result_restrict(res, offset, count, ctx);
  if (!err) err = regio_io_regional_restrict(regional, district_code, regional_offset, regional_count, ctx);
  if (err) {
    fprintf(stderr, "mpi_write: rank %d: %s\n", rank, regio_ctx_message(ctx));
    goto done;
  }
  fprintf(stderr, "mpi_write: rank %d of %d (%s): districts %zu to %zu of %zu, regional %zu to %zu of %d\n", rank,
          ranks, mode, offset, offset + count, n_districts, regional_offset, regional_offset + regional_count,
          n_regional);
  double *saved_micro = NULL;
  if (fail && rank == failing_rank) {
    if (mismatch) { /* an optional part this rank alone lacks: refused before the file is created */
      saved_micro = res->micro_share;
      res->micro_share = NULL;
    } else { /* a per-district array this rank alone lacks: found only while the file is written */
      saved_scores = res->screen->krugman_z;
      res->screen->krugman_z = NULL;
    }
  }

  regio_output_io_t io = {.table = table,
                          .national = national,
                          .regional = regional,
                          .district_code = (const char *const *)district_code,
                          .regional_offset = regional_offset,
                          .n_regional_global = (size_t)n_regional,
                          .sector_map_path = io_map,
                          .district_level = 0,
                          .excluded_employment = excluded};
  /* each rank's own temporary name: the writer must take rank 0's */
  char temp[4096];
  snprintf(temp, sizeof temp, "%s.tmp.%ld", output, (long)getpid());
  regio_ctx_set_dist(ctx, dist);
  err = regio_output_write_with_io(res, &io, output, temp, ctx);
  if (fail) {
    if (saved_scores) res->screen->krugman_z = saved_scores;
    if (saved_micro) res->micro_share = saved_micro;
    if (err == REGIO_OK) {
      fprintf(stderr, "mpi_write: rank %d: the write succeeded although the last rank lacked an array\n", rank);
    } else {
      if (rank == 0) fprintf(stderr, "mpi_write: the write failed as expected: %s\n", regio_ctx_message(ctx));
      status = strstr(regio_ctx_message(ctx), mismatch ? "optional parts" : "/screen/scores/krugman_z") ? 0 : 1;
      if (status) fprintf(stderr, "mpi_write: rank %d: unexpected message: %s\n", rank, regio_ctx_message(ctx));
    }
  } else if (err) {
    fprintf(stderr, "mpi_write: rank %d: %s\n", rank, regio_ctx_message(ctx));
  } else {
    status = 0;
  }

done:;
  /* every rank's verdict: the test passes only when all ranks saw the expected outcome */
  int64_t worst = status;
  if (regio_dist_allreduce_i64(dist, &worst, 1, REGIO_DIST_MAX, NULL, ctx) != REGIO_OK) worst = 1;
  if (ctx) regio_ctx_set_dist(ctx, NULL);
  regio_io_regional_destroy(&regional);
  regio_io_district_codes_free(district_code, n_regional);
  free(io_employment);
  regio_io_sector_map_destroy(&sector_map);
  regio_io_national_destroy(&national);
  regio_io_table_destroy(&table);
  regio_category_map_destroy(&category_map);
  regio_result_destroy(&res);
  regio_aggregate_destroy(&agg);
  regio_ctx_destroy(&ctx);
  regio_dist_finalize(&dist);
  return (int)worst;
}
