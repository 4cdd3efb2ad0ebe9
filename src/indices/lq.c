/* Location quotients. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regio/indices.h"

void regio_lq_row(const int64_t *employment_row, int64_t district_total, const int64_t *sector_totals,
                  int64_t national_total, size_t n_sectors, double *lq_row) {
  if (district_total == 0 || national_total == 0) {
    for (size_t s = 0; s < n_sectors; s++) lq_row[s] = NAN;
    return;
  }
  /* (E_ds / E_d) / (E_s / E): each share rounded once, as a reader would compute it; the fixed-
   * point scale cancels in both ratios. */
  const double district = (double)district_total, national = (double)national_total;
  for (size_t s = 0; s < n_sectors; s++) {
    if (sector_totals[s] == 0) {
      lq_row[s] = NAN;
      continue;
    }
    if (employment_row[s] == 0) { /* (0 / E_d) / (E_s / E) = +0 exactly: no division (most cells) */
      lq_row[s] = 0.0;
      continue;
    }
    const double local_share = (double)employment_row[s] / district;
    const double national_share = (double)sector_totals[s] / national;
    lq_row[s] = local_share / national_share;
  }
}

void regio_level_lq_rows(const regio_result_t *res, const regio_level_t *level, size_t d0, size_t n, size_t s0,
                         size_t n_sectors, int symmetric, double *out) {
  regio_level_lq_block(res, level, d0, n, s0, n_sectors, symmetric, out, n_sectors);
}

void regio_level_lq_block(const regio_result_t *res, const regio_level_t *level, size_t d0, size_t n, size_t s0,
                          size_t n_sectors, int symmetric, double *out, size_t stride) {
  const size_t S = level->sectors.count;
  const int64_t *totals = level->sector_employment + s0;
  const double national = (double)res->total_employment, empty = symmetric ? -1.0 : 0.0;
  /* regio_lq_row and regio_lq_symmetric, the same values: the empty cells first (most of them at
   * fine levels), LQ 0 and symmetric LQ -1 exactly, NaN where E_s = 0, copied from one model row;
   * then the others, whose LQ (E_ds / E_d) / (E_s / E) is neither 0 (|E_ds| >= 1 milli cannot
   * underflow) nor NaN */
  double *model = n > 1 ? malloc(n_sectors * sizeof *model) : NULL; /* without it: built in each row */
  if (model)
    for (size_t s = 0; s < n_sectors; s++) model[s] = totals[s] == 0 ? NAN : empty;
  for (size_t r = 0; r < n; r++) {
    const size_t d = d0 + r;
    double *row = out + r * stride;
    const int64_t *e = level->employment + d * S + s0;
    if (res->district_employment[d] == 0 || res->total_employment == 0) {
      for (size_t s = 0; s < n_sectors; s++) row[s] = NAN;
      continue;
    }
    if (model)
      memcpy(row, model, n_sectors * sizeof *row);
    else
      for (size_t s = 0; s < n_sectors; s++) row[s] = totals[s] == 0 ? NAN : empty;
    const double district = (double)res->district_employment[d];
    for (size_t s = 0; s < n_sectors; s += 4) {
      const size_t end = s + 4 < n_sectors ? s + 4 : n_sectors;
      if (end == s + 4 && !(e[s] | e[s + 1] | e[s + 2] | e[s + 3])) continue; /* four empty cells */
      for (size_t k = s; k < end; k++) {
        if (e[k] == 0 || totals[k] == 0) continue;
        const double lq = ((double)e[k] / district) / ((double)totals[k] / national);
        row[k] = symmetric ? (lq - 1.0) / (lq + 1.0) : lq;
      }
    }
  }
  free(model);
}
