/* Location quotients. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cells_impl.h"
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

size_t regio_level_cell_from(const regio_level_t *level, size_t d, size_t s0) {
  return regio_cells_lower_bound(level->cell_sector, level->cell_start[d], level->cell_start[d + 1], s0);
}

void regio_level_row(const regio_level_t *level, size_t d, size_t s0, size_t n_sectors, int64_t *row) {
  memset(row, 0, n_sectors * sizeof *row);
  for (size_t k = regio_level_cell_from(level, d, s0);
       k < level->cell_start[d + 1] && level->cell_sector[k] < s0 + n_sectors; k++)
    row[level->cell_sector[k] - s0] = level->cell_employment[k];
}

int64_t regio_level_cell(const regio_level_t *level, size_t d, size_t s) {
  const size_t k = regio_level_cell_from(level, d, s);
  return k < level->cell_start[d + 1] && level->cell_sector[k] == s ? level->cell_employment[k] : 0;
}

void regio_level_lq_block(const regio_result_t *res, const regio_level_t *level, size_t d0, size_t n, size_t s0,
                          size_t n_sectors, int symmetric, double *out, size_t stride) {
  const int64_t *totals = level->sector_employment;
  const double national = (double)res->total_employment, empty = symmetric ? -1.0 : 0.0;
  /* regio_lq_row and regio_lq_symmetric, the same values: the empty cells first (most of them at
   * fine levels), LQ 0 and symmetric LQ -1 exactly, NaN where E_s = 0, copied from one model row;
   * then the non-empty cells, whose LQ (E_ds / E_d) / (E_s / E) is neither 0 (|E_ds| >= 1 milli
   * cannot underflow) nor NaN */
  double *model = n > 1 ? malloc(n_sectors * sizeof *model) : NULL; /* without it: built in each row */
  if (model)
    for (size_t s = 0; s < n_sectors; s++) model[s] = totals[s0 + s] == 0 ? NAN : empty;
  for (size_t r = 0; r < n; r++) {
    const size_t d = d0 + r;
    double *row = out + r * stride;
    if (res->district_employment[d] == 0 || res->total_employment == 0) {
      for (size_t s = 0; s < n_sectors; s++) row[s] = NAN;
      continue;
    }
    if (model)
      memcpy(row, model, n_sectors * sizeof *row);
    else
      for (size_t s = 0; s < n_sectors; s++) row[s] = totals[s0 + s] == 0 ? NAN : empty;
    const double district = (double)res->district_employment[d];
    const size_t end = level->cell_start[d + 1];
    for (size_t k = regio_level_cell_from(level, d, s0); k < end && level->cell_sector[k] < s0 + n_sectors; k++) {
      const size_t s = level->cell_sector[k];
      const int64_t e = level->cell_employment[k];
      if (e == 0 || totals[s] == 0) continue;
      const double lq = ((double)e / district) / ((double)totals[s] / national);
      row[s - s0] = symmetric ? (lq - 1.0) / (lq + 1.0) : lq;
    }
  }
  free(model);
}
