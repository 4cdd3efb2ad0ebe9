/* Sector levels, location quotients and variety for every district. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells_impl.h"
#include "indices/indices_impl.h"
#include "regio/categories.h"
#include "regio/dist.h"
#include "regio/indices.h"
#include "regio/memory.h"
#include "regio/screen.h"

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The level's sector codes (prefixes of the sorted full codes) and the map full -> level index. */
static regio_err_t build_level_codes(const regio_codes_t *full, int prefix, regio_codes_t *codes, size_t *map,
                                     regio_ctx_t *ctx) {
  const size_t S = full->count;
  size_t n = 0;
  for (size_t s = 0; s < S; s++) {
    size_t len = regio_codes_len(full, s);
    REGIO_CHECK(ctx, prefix == REGIO_LEVEL_FULL || len >= (size_t)prefix, REGIO_ERR_INTERNAL,
                "sector code shorter than level %d survived reading", prefix);
    if (s == 0 || prefix == REGIO_LEVEL_FULL ||
        memcmp(regio_codes_at(full, s), regio_codes_at(full, s - 1), (size_t)prefix) != 0)
      n++;
    map[s] = n - 1;
  }
  size_t width = prefix == REGIO_LEVEL_FULL ? full->width : (size_t)prefix;
  REGIO_TRY(regio_codes_init(codes, n, width, ctx));
  for (size_t s = 0; s < S; s++) {
    size_t len = prefix == REGIO_LEVEL_FULL ? regio_codes_len(full, s) : (size_t)prefix;
    memcpy(codes->chars + map[s] * width, regio_codes_at(full, s), len);
  }
  return REGIO_OK;
}

void regio_rows_free(regio_rows_t *rows) {
  if (!rows->alias) {
    free(rows->start);
    free(rows->sector);
    free(rows->value);
  }
  rows->start = NULL;
  rows->sector = NULL;
  rows->value = NULL;
  rows->alias = 0;
}

/* The non-zero cells of the D x S matrix m by district (rows, allocated here) and each district's
 * total (overflowed[d] = 1 when it leaves the 64-bit range; the total is then unspecified), in one
 * pass over the matrix: each thread takes a contiguous range of districts into cell arrays of its
 * own, and the ranges are then copied one after the other, so the cells are in (district, sector)
 * order whatever the thread count. Eight cells are tested at once (nonzero_mask8): at fine levels
 * most are 0. */
static regio_err_t extract_rows(const int64_t *m, size_t D, size_t S, int T, regio_rows_t *rows, int64_t *totals,
                                unsigned char *overflowed, regio_ctx_t *ctx) {
  if (S > UINT32_MAX) return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%zu sectors: more than the indices handle", S);
  if (T < 1) T = 1;
  if ((size_t)T > D) T = D ? (int)D : 1;
  rows->start = malloc((D + 1) * sizeof *rows->start);
  uint32_t **sectors = calloc((size_t)T, sizeof *sectors);
  int64_t **values = calloc((size_t)T, sizeof *values);
  size_t *counts = calloc((size_t)T, sizeof *counts), *offsets = calloc((size_t)T + 1, sizeof *offsets);
  int failed = !rows->start || !sectors || !values || !counts || !offsets, parts = T;
  if (!failed) {
    rows->start[0] = 0;
#pragma omp parallel num_threads(T)
    {
      const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
#pragma omp single
      parts = (int)nt;
      const size_t d0 = D * t / nt, d1 = D * (t + 1) / nt;
      size_t cap = (d1 - d0) * (S / 16) + S + 1024, n = 0;
      uint32_t *sec = malloc(cap * sizeof *sec);
      int64_t *val = malloc(cap * sizeof *val);
      regio_advise_huge(sec, cap * sizeof *sec);
      regio_advise_huge(val, cap * sizeof *val);
      int mine_failed = !sec || !val;
      for (size_t d = d0; d < d1 && !mine_failed; d++) {
        if (n + S > cap) { /* room for the whole row */
          cap = 2 * cap > n + S ? 2 * cap : n + S;
          uint32_t *s2 = realloc(sec, cap * sizeof *sec);
          if (s2) sec = s2;
          int64_t *v2 = s2 ? realloc(val, cap * sizeof *val) : NULL;
          if (v2) val = v2;
          if (!s2 || !v2) {
            mine_failed = 1;
            break;
          }
        }
        const int64_t *row = m + d * S;
        const size_t first = n;
        int64_t sum = 0;
        int over = 0;
        size_t s = 0;
        for (; s + 8 <= S; s += 8) {
          const int64_t *r = row + s;
          unsigned mask = regio_nonzero_mask8(r);
          while (mask) {
            const unsigned j = (unsigned)__builtin_ctz(mask);
            mask &= mask - 1;
            sec[n] = (uint32_t)(s + j);
            val[n++] = r[j];
            over |= __builtin_add_overflow(sum, r[j], &sum);
          }
        }
        for (; s < S; s++)
          if (row[s]) {
            sec[n] = (uint32_t)s;
            val[n++] = row[s];
            over |= __builtin_add_overflow(sum, row[s], &sum);
          }
        rows->start[d + 1] = n - first; /* the count, for now */
        totals[d] = sum;
        overflowed[d] = (unsigned char)over;
      }
      sectors[t] = sec;
      values[t] = val;
      counts[t] = n;
      if (mine_failed) {
#pragma omp atomic write
        failed = 1;
      }
    }
  }
  if (!failed) {
    for (size_t d = 0; d < D; d++) rows->start[d + 1] += rows->start[d];
    for (int t = 0; t < parts; t++) offsets[t + 1] = offsets[t] + counts[t];
    const size_t nnz = rows->start[D];
    rows->sector = malloc((nnz ? nnz : 1) * sizeof *rows->sector);
    rows->value = malloc((nnz ? nnz : 1) * sizeof *rows->value);
    regio_advise_huge(rows->sector, nnz * sizeof *rows->sector);
    regio_advise_huge(rows->value, nnz * sizeof *rows->value);
    failed = !rows->sector || !rows->value || offsets[parts] != nnz;
  }
  if (!failed) {
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < parts; t++) {
      memcpy(rows->sector + offsets[t], sectors[t], counts[t] * sizeof *rows->sector);
      memcpy(rows->value + offsets[t], values[t], counts[t] * sizeof *rows->value);
    }
  }
  for (int t = 0; sectors && values && t < T; t++) {
    free(sectors[t]);
    free(values[t]);
  }
  free(sectors);
  free(values);
  free(counts);
  free(offsets);
  if (failed) {
    regio_rows_free(rows);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the non-zero cells of the %zu x %zu matrix", D, S);
  }
  return REGIO_OK;
}

/* Each district's total from its cells (overflowed[d] = 1 when it leaves the 64-bit range; the
 * total is then unspecified), in parallel. */
static void district_totals(const regio_rows_t *rows, size_t D, int T, int64_t *totals, unsigned char *overflowed) {
#pragma omp parallel for num_threads(T > 0 ? T : 1) schedule(static)
  for (size_t d = 0; d < D; d++) {
    int64_t sum = 0;
    int over = 0;
    for (size_t k = rows->start[d]; k < rows->start[d + 1]; k++)
      over |= __builtin_add_overflow(sum, rows->value[k], &sum);
    totals[d] = sum;
    overflowed[d] = (unsigned char)over;
  }
}

/* A level's rows from the full rows and the map full -> level (non-decreasing: the level's codes
 * are prefixes of the sorted full codes, so the cells of one level sector are adjacent). */
static regio_err_t rows_of_level(const regio_rows_t *full, const size_t *map, size_t D, int T, regio_rows_t *rows,
                                 regio_ctx_t *ctx) {
  rows->alias = 0;
  rows->start = malloc((D + 1) * sizeof *rows->start);
  if (!rows->start) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of a level");
  rows->start[0] = 0;
#pragma omp parallel for num_threads(T) schedule(static)
  for (size_t d = 0; d < D; d++) {
    size_t n = 0, previous = SIZE_MAX;
    for (size_t k = full->start[d]; k < full->start[d + 1]; k++) {
      const size_t m = map[full->sector[k]];
      n += m != previous;
      previous = m;
    }
    rows->start[d + 1] = n;
  }
  for (size_t d = 0; d < D; d++) rows->start[d + 1] += rows->start[d];
  const size_t nnz = rows->start[D];
  rows->sector = malloc((nnz ? nnz : 1) * sizeof *rows->sector);
  rows->value = malloc((nnz ? nnz : 1) * sizeof *rows->value);
  regio_advise_huge(rows->sector, nnz * sizeof *rows->sector);
  regio_advise_huge(rows->value, nnz * sizeof *rows->value);
  if (!rows->sector || !rows->value) {
    regio_rows_free(rows);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of a level");
  }
  /* the sum of the current level cell kept in a register and stored with its sector at every full
   * cell, without a branch: the level sector changes at random (about every other cell of
   * `us-tract`), and an addition to the cell in memory waited for the one before */
#pragma omp parallel for num_threads(T) schedule(static)
  for (size_t d = 0; d < D; d++) {
    size_t at = rows->start[d] - 1, previous = SIZE_MAX; /* (unsigned: the first cell adds 1 back) */
    int64_t sum = 0;
    for (size_t k = full->start[d]; k < full->start[d + 1]; k++) {
      const size_t m = map[full->sector[k]];
      const size_t fresh = m != previous;
      at += fresh;
      sum = (sum & ((int64_t)fresh - 1)) + full->value[k]; /* a partial sum of a district total: no overflow */
      rows->sector[at] = (uint32_t)m;
      rows->value[at] = sum;
      previous = m;
    }
  }
  return REGIO_OK;
}

/* A copy of rows (D districts), owned. */
static regio_err_t rows_copy(const regio_rows_t *from, size_t D, regio_rows_t *rows, regio_ctx_t *ctx) {
  const size_t nnz = from->start[D];
  rows->alias = 0;
  rows->start = malloc((D + 1) * sizeof *rows->start);
  rows->sector = malloc((nnz ? nnz : 1) * sizeof *rows->sector);
  rows->value = malloc((nnz ? nnz : 1) * sizeof *rows->value);
  if (!rows->start || !rows->sector || !rows->value) {
    regio_rows_free(rows);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of a level");
  }
  memcpy(rows->start, from->start, (D + 1) * sizeof *rows->start);
  memcpy(rows->sector, from->sector, nnz * sizeof *rows->sector);
  memcpy(rows->value, from->value, nnz * sizeof *rows->value);
  return REGIO_OK;
}

/* The column sums of a level into totals[S] (zeroed) from its rows: each thread sums a block of
 * districts, the blocks are added in block order. Integers: the sums are exact, whatever the blocks
 * (every partial sum is at most the national total, which has been checked for overflow). */
static regio_err_t sector_totals(const regio_rows_t *rows, size_t D, size_t S, int64_t *totals, int T,
                                 regio_ctx_t *ctx) {
  if (T < 1) T = 1;
  if ((size_t)T > D) T = D ? (int)D : 1;
  int64_t *partial = calloc((size_t)T * (S ? S : 1), sizeof *partial);
  if (!partial) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the sector totals");
#pragma omp parallel num_threads(T)
  {
    const size_t t = (size_t)omp_get_thread_num(), n = (size_t)omp_get_num_threads();
    int64_t *mine = partial + t * S;
    for (size_t k = rows->start[D * t / n]; k < rows->start[D * (t + 1) / n]; k++)
      mine[rows->sector[k]] += rows->value[k];
  }
  for (int t = 0; t < T; t++)
    for (size_t s = 0; s < S; s++) totals[s] += partial[(size_t)t * S + s];
  free(partial);
  return REGIO_OK;
}

/* The level's rows on this process: codes, its non-zero cells (owned by the level; *rows is a view
 * of them) and local sector totals. The level that may steal takes over the full rows' arrays when
 * its map is the identity (full_rows is then a view of them). */
static regio_err_t build_level_rows(regio_result_t *res, regio_level_t *level, int prefix, int may_steal,
                                    regio_rows_t *full_rows, regio_rows_t *rows, regio_ctx_t *ctx) {
  regio_aggregate_t *agg = res->agg;
  const size_t D = agg->districts.count, S_full = agg->sectors.count;
  const int T = regio_ctx_threads(ctx);
  level->prefix = prefix;
  if (prefix == REGIO_LEVEL_FULL)
    snprintf(level->name, sizeof level->name, "full");
  else
    snprintf(level->name, sizeof level->name, "%d", prefix);

  size_t *map = malloc((S_full ? S_full : 1) * sizeof *map);
  REGIO_CHECK(ctx, map, REGIO_ERR_NOMEM, "out of memory");
  regio_err_t err = build_level_codes(&agg->sectors, prefix, &level->sectors, map, ctx);
  if (err) {
    free(map);
    return err;
  }
  const size_t S = level->sectors.count;
  regio_rows_t own = {NULL, NULL, NULL, 0};
  if (S == S_full && may_steal && !full_rows->alias) { /* the map is the identity: the full rows are this level's */
    own = *full_rows;
    full_rows->alias = 1;
  } else if (S == S_full) {
    err = rows_copy(full_rows, D, &own, ctx);
  } else {
    err = rows_of_level(full_rows, map, D, T, &own, ctx);
  }
  if (err) {
    free(map);
    return err;
  }
  level->cell_start = own.start;
  level->cell_sector = own.sector;
  level->cell_employment = own.value;
  *rows = (regio_rows_t){own.start, own.sector, own.value, 1};
  if (agg->sector_size_squares) { /* establishment sizes known: the level's sums of squares */
    level->sector_size_squares = calloc(S ? S : 1, sizeof *level->sector_size_squares);
    if (!level->sector_size_squares) {
      free(map);
      return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for level %s", level->name);
    }
    for (size_t s = 0; s < S_full; s++) level->sector_size_squares[map[s]] += agg->sector_size_squares[s];
  }
  free(map);

  level->sector_employment = calloc(S ? S : 1, sizeof(int64_t));
  if (!level->sector_employment) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for level %s", level->name);
  return sector_totals(rows, D, S, level->sector_employment, T, ctx);
}

static regio_err_t build_level(regio_result_t *res, regio_level_t *level, int prefix, int may_steal,
                               regio_rows_t *full_rows, regio_rows_t *rows, regio_ctx_t *ctx) {
  /* national totals: the other ranks' blocks added, exactly (every rank agrees first, so that one
   * that failed alone stops them all) */
  regio_dist_t *dist = regio_ctx_dist(ctx);
  REGIO_TRY(regio_dist_agree(dist, build_level_rows(res, level, prefix, may_steal, full_rows, rows, ctx), ctx));
  const size_t S = level->sectors.count;
  return regio_dist_allreduce_i64(dist, level->sector_employment, S, REGIO_DIST_SUM, NULL, ctx);
}

static regio_err_t compute_variety(regio_result_t *res, const regio_rows_t *level_rows, regio_ctx_t *ctx) {
  regio_variety_t *v = &res->variety;
  const size_t D = res->agg->districts.count;
  const regio_level_t *fine = &res->levels[v->fine_level];
  const regio_level_t *coarse = v->coarse_level >= 0 ? &res->levels[v->coarse_level] : NULL;
  const regio_rows_t *rows = &level_rows[v->fine_level];
  v->entropy = malloc((D ? D : 1) * sizeof(double));
  REGIO_CHECK(ctx, v->entropy, REGIO_ERR_NOMEM, "out of memory");
  uint32_t *group_of = NULL;
  if (coarse) {
    v->unrelated = malloc((D ? D : 1) * sizeof(double));
    v->related = malloc((D ? D : 1) * sizeof(double));
    group_of = malloc((fine->sectors.count ? fine->sectors.count : 1) * sizeof *group_of);
    REGIO_CHECK(ctx, v->unrelated && v->related && group_of, REGIO_ERR_NOMEM, "out of memory");
    /* fine codes are sorted, so each coarse group is a contiguous run of fine sectors; every fine
     * code has a coarse prefix (codes shorter than a level are not read), so the groups cover all
     * fine sectors in order: regio_variety_cells relies on it */
    size_t g = 0;
    int covered = 1;
    for (size_t s = 0; s < fine->sectors.count && covered; s++) {
      while (g < coarse->sectors.count && memcmp(regio_codes_at(&fine->sectors, s), regio_codes_at(&coarse->sectors, g),
                                                 (size_t)coarse->prefix) != 0)
        g++;
      covered = g < coarse->sectors.count;
      group_of[s] = (uint32_t)g;
    }
    if (!covered) free(group_of);
    REGIO_CHECK(ctx, covered, REGIO_ERR_INTERNAL, "level %s sectors not all inside level %s groups", fine->name,
                coarse->name);
  }
  const int T = regio_ctx_threads(ctx);
  const size_t Sc = coarse ? coarse->sectors.count : 0;
  int out_of_memory = 0;
#pragma omp parallel num_threads(T)
  {
    /* the district's coarse row, dense (its cells set, then cleared) */
    int64_t *coarse_row = coarse ? calloc(Sc ? Sc : 1, sizeof *coarse_row) : NULL;
    if (coarse && !coarse_row) {
#pragma omp atomic write
      out_of_memory = 1;
    }
#pragma omp for schedule(static)
    for (size_t d = 0; d < D; d++) {
      if (coarse && !coarse_row) continue;
      const size_t a = rows->start[d];
      const size_t c0 = coarse ? coarse->cell_start[d] : 0, c1 = coarse ? coarse->cell_start[d + 1] : 0;
      for (size_t k = c0; k < c1; k++) coarse_row[coarse->cell_sector[k]] = coarse->cell_employment[k];
      regio_variety_cells(rows->sector + a, rows->value + a, rows->start[d + 1] - a, coarse_row,
                          coarse ? coarse->cell_employment + c0 : NULL, c1 - c0, group_of, res->district_employment[d],
                          &v->entropy[d], coarse ? &v->unrelated[d] : NULL, coarse ? &v->related[d] : NULL);
      for (size_t k = c0; k < c1; k++) coarse_row[coarse->cell_sector[k]] = 0;
    }
    free(coarse_row);
  }
  free(group_of);
  REGIO_CHECK(ctx, !out_of_memory, REGIO_ERR_NOMEM, "out of memory for the variety");
  return REGIO_OK;
}

regio_err_t regio_indices_compute(regio_aggregate_t **aggp, const regio_indices_opts_t *opts, regio_ctx_t *ctx,
                                  regio_result_t **out) {
  *out = NULL;
  regio_err_t err = REGIO_OK;
  regio_aggregate_t *agg = *aggp;
  const size_t D = agg->districts.count, S = agg->sectors.count;
  /* an aggregate built by hand for one process may leave the block unset */
  size_t n_districts_global = agg->n_districts_global;
  if (n_districts_global < agg->district_offset + D) n_districts_global = agg->district_offset + D;

  /* The checks of the options and of the national sizes give the same answer on every rank, before
   * any collective call; what fails after them on one rank alone is agreed before the next. */
  /* levels: the requested ones plus the variety levels, ascending, unique */
  int prefixes[REGIO_MAX_LEVELS + 2];
  int n = 0;
  for (int i = 0; i < opts->n_levels; i++) prefixes[n++] = opts->levels[i];
  if (opts->variety_fine > 0) prefixes[n++] = opts->variety_fine;
  if (opts->variety_coarse > 0) prefixes[n++] = opts->variety_coarse;
  qsort(prefixes, (size_t)n, sizeof *prefixes, cmp_int);
  int unique = 0;
  for (int i = 0; i < n; i++)
    if (unique == 0 || prefixes[unique - 1] != prefixes[i]) prefixes[unique++] = prefixes[i];
  if (unique > REGIO_MAX_LEVELS) err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "at most %d sector levels", REGIO_MAX_LEVELS);
  for (int i = 0; !err && i < unique; i++) {
    if (prefixes[i] < 1 || prefixes[i] > REGIO_CODE_MAX)
      err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "sector level %d: a level is a code prefix length between 1 and %d",
                        prefixes[i], REGIO_CODE_MAX);
  }
  if (!err && opts->variety_fine > 0 && opts->variety_coarse > 0 && opts->variety_fine <= opts->variety_coarse)
    err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "--variety-levels %d,%d: the fine level must be longer than the coarse one",
                      opts->variety_fine, opts->variety_coarse);
  if (!err && (n_districts_global == 0 || S == 0)) {
    int64_t read = 0;
    for (size_t f = 0; f < agg->n_inputs; f++) read += agg->inputs[f].rows_read;
    if (agg->n_inputs == 1 && read == 0)
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: no data rows after the header line: nothing to compute",
                        agg->inputs[0].path);
    else
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                        "no rows were aggregated (%lld data rows read from %zu input file%s, none used): nothing to "
                        "compute (see the skipped rows)",
                        (long long)read, agg->n_inputs, agg->n_inputs == 1 ? "" : "s");
  }
  if (err) {
    regio_aggregate_destroy(aggp);
    return err;
  }
  regio_dist_t *dist = regio_ctx_dist(ctx);
  regio_result_t *res = calloc(1, sizeof *res);
  if (!res) { /* this rank alone: the others' next collective call is the agreement below */
    regio_aggregate_destroy(aggp);
    return regio_dist_agree(dist, REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory"), ctx);
  }
  res->agg = agg;
  *aggp = NULL;
  res->district_offset = agg->district_offset;
  res->n_districts_global = n_districts_global;
  res->variety.coarse_level = -1;
  /* the non-zero cells of the full matrix and of every level, by district */
  regio_rows_t full_rows = {NULL, NULL, NULL, 0}, level_rows[REGIO_MAX_LEVELS];
  memset(level_rows, 0, sizeof level_rows);

  /* district and national totals, exact (the national total over all ranks' blocks: the first
   * district whose own total overflows is named, whatever the ranks) */
  res->district_employment = calloc(D ? D : 1, sizeof(int64_t));
  if (!res->district_employment) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  int64_t checks[2] = {INT64_MAX, 0}; /* the first district (global index) that overflows; national overflow */
  unsigned char *overflowed = err ? NULL : calloc(D ? D : 1, 1);
  if (!err && !overflowed) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  /* the aggregate's cells, taken over, or those of its dense matrix, each row on its own, in
   * parallel, in the pass that takes them; then the rows in order */
  if (!err && agg->cell_start) {
    full_rows = (regio_rows_t){agg->cell_start, agg->cell_sector, agg->cell_employment, 0};
    agg->cell_start = NULL;
    agg->cell_sector = NULL;
    agg->cell_employment = NULL;
    district_totals(&full_rows, D, regio_ctx_threads(ctx), res->district_employment, overflowed);
  } else if (!err && agg->employment) {
    err = extract_rows(agg->employment, D, S, regio_ctx_threads(ctx), &full_rows, res->district_employment, overflowed,
                       ctx);
  } else if (!err) {
    err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "regio_indices_compute: the aggregate holds no employment matrix");
  }
  if (!err) { /* the cells hold all the matrix says: it is no longer needed */
    free(agg->employment);
    agg->employment = NULL;
  }
  for (size_t d = 0; !err && d < D; d++) {
    const int64_t sum = res->district_employment[d];
    if (overflowed[d]) {
      checks[0] = (int64_t)(res->district_offset + d);
      break;
    }
    if (__builtin_add_overflow(res->total_employment, sum, &res->total_employment)) {
      checks[1] = 1;
      res->total_employment = INT64_MAX;
    }
  }
  free(overflowed);
  if ((err = regio_dist_agree(dist, err, ctx))) goto fail;
  if ((err = regio_dist_allreduce_i64(dist, checks, 1, REGIO_DIST_MIN, NULL, ctx))) goto fail;
  if (checks[0] != INT64_MAX) {
    /* the name: only the owner has it; it is passed on by the agreement */
    const size_t d = (size_t)checks[0] - res->district_offset;
    regio_err_t mine =
        checks[0] >= (int64_t)res->district_offset && (size_t)checks[0] - res->district_offset < D
            ? REGIO_ERROR(ctx, REGIO_ERR_INPUT, "employment of district %.*s exceeds the 64-bit fixed-point range",
                          (int)regio_codes_len(&agg->districts, d), regio_codes_at(&agg->districts, d))
            : REGIO_OK;
    err = regio_dist_agree(dist, mine, ctx);
    if (!err) err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "a district's overflow was lost between ranks");
    goto fail;
  }
  {
    size_t overflow = SIZE_MAX;
    if ((err = regio_dist_allreduce_i64(dist, &checks[1], 1, REGIO_DIST_MAX, NULL, ctx))) goto fail;
    if ((err = regio_dist_allreduce_i64(dist, &res->total_employment, 1, REGIO_DIST_SUM, &overflow, ctx))) goto fail;
    if (checks[1] || overflow != SIZE_MAX) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "national employment exceeds the 64-bit fixed-point range");
      goto fail;
    }
  }
  if (res->total_employment == 0) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "total employment is zero in all %zu districts: location quotients and variety are undefined",
                      res->n_districts_global);
    goto fail;
  }

  /* finest first (it may take over the aggregate's matrix), then the coarser ones from it */
  regio_ctx_progress(ctx, "indices", 0.0);
  if (unique == 0) {
    res->n_levels = 1;
    if ((err = build_level(res, &res->levels[0], REGIO_LEVEL_FULL, 1, &full_rows, &level_rows[0], ctx))) goto fail;
  } else {
    int finest_index = unique - 1;
    res->n_levels = unique;
    if ((err = build_level(res, &res->levels[finest_index], prefixes[finest_index], 1, &full_rows,
                           &level_rows[finest_index], ctx)))
      goto fail;
    for (int i = 0; i < finest_index; i++) {
      if ((err = build_level(res, &res->levels[i], prefixes[i], 0, &full_rows, &level_rows[i], ctx))) goto fail;
    }
  }

  /* variety levels */
  int fine = res->n_levels - 1, coarse = res->n_levels > 1 ? 0 : -1;
  for (int i = 0; i < res->n_levels; i++) {
    if (opts->variety_fine > 0 && res->levels[i].prefix == opts->variety_fine) fine = i;
    if (opts->variety_coarse > 0 && res->levels[i].prefix == opts->variety_coarse) coarse = i;
  }
  if (coarse >= fine) coarse = -1;
  res->variety.fine_level = fine;
  res->variety.coarse_level = coarse;
  err = compute_variety(res, level_rows, ctx); /* a failure here is agreed below, with the specialisation's */

  /* specialisation of districts and localisation of sectors, at every level */
  res->specialised_lq = opts->specialised_lq > 0 ? opts->specialised_lq : REGIO_SPECIALISED_LQ;
  res->specialised_min_milli = opts->specialised_min_milli;
  if (!err && agg->district_micro_establishments) {
    res->micro_share = malloc((D ? D : 1) * sizeof(double));
    if (!res->micro_share) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    for (size_t d = 0; !err && d < D; d++)
      res->micro_share[d] = agg->district_establishments[d] > 0 ? (double)agg->district_micro_establishments[d] /
                                                                      (double)agg->district_establishments[d]
                                                                : NAN;
  }
  if (!err && agg->n_actors > 0) { /* helix diversity: entropy over the actor types, in their sorted order */
    res->helix_diversity = malloc((D ? D : 1) * sizeof(double));
    if (!res->helix_diversity) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  }
  if (!err && agg->n_actors > 0) {
    const size_t A = (size_t)agg->n_actors;
    for (size_t d = 0; d < D; d++) {
      const int64_t *e = agg->district_actor_employment + d * A;
      int64_t total = 0;
      for (size_t a = 0; a < A; a++) total += e[a]; /* <= the district's employment: no overflow */
      double h = 0;
      for (size_t a = 0; a < A; a++)
        if (e[a] > 0) {
          double p = (double)e[a] / (double)total;
          h -= p * log2(p);
        }
      res->helix_diversity[d] = total > 0 ? h : NAN;
    }
  }
  for (int i = 0; !err && i < res->n_levels; i++)
    err = regio_specialisation_compute(res, &res->levels[i], &level_rows[i], ctx);
  if ((err = regio_dist_agree(dist, err, ctx))) goto fail;
  for (int i = 0; i < res->n_levels; i++) {
    if ((err = regio_localisation_compute(res, &res->levels[i], &level_rows[i], ctx))) goto fail;
  }
  regio_ctx_progress(ctx, "indices", 1.0);
  for (int i = 0; i < REGIO_MAX_LEVELS; i++) regio_rows_free(&level_rows[i]);
  regio_rows_free(&full_rows);
  *out = res;
  return REGIO_OK;
fail:
  for (int i = 0; i < REGIO_MAX_LEVELS; i++) regio_rows_free(&level_rows[i]);
  regio_rows_free(&full_rows);
  regio_result_destroy(&res);
  return err;
}

void regio_result_destroy(regio_result_t **p) {
  if (!p || !*p) return;
  regio_result_t *res = *p;
  regio_aggregate_destroy(&res->agg);
  free(res->district_employment);
  for (int i = 0; i < REGIO_MAX_LEVELS; i++) {
    regio_codes_free(&res->levels[i].sectors);
    free(res->levels[i].cell_start);
    free(res->levels[i].cell_sector);
    free(res->levels[i].cell_employment);
    free(res->levels[i].sector_employment);
    free(res->levels[i].sector_size_squares);
    regio_specialisation_free(&res->levels[i]);
    regio_localisation_free(&res->levels[i]);
  }
  free(res->micro_share);
  free(res->helix_diversity);
  regio_categories_destroy(&res->categories);
  regio_screen_destroy(&res->screen);
  free(res->district_area);
  free(res->establishment_density);
  free(res->variety.entropy);
  free(res->variety.unrelated);
  free(res->variety.related);
  free(res->command_line);
  free(res->config_ini);
  free(res);
  *p = NULL;
}
