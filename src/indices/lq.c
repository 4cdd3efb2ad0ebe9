/* Location quotients. */
#include <math.h>

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
  const size_t S = level->sectors.count;
  for (size_t r = 0; r < n; r++) {
    const size_t d = d0 + r;
    double *row = out + r * n_sectors;
    regio_lq_row(level->employment + d * S + s0, res->district_employment[d], level->sector_employment + s0,
                 res->total_employment, n_sectors, row);
    if (symmetric) regio_lq_symmetric(row, n_sectors, row);
  }
}
