/* Shannon entropy and its related / unrelated variety decomposition (Frenken, Van Oort & Verburg
 * 2007, Regional Studies 41(5)). */
#include <math.h>
#include <stdint.h>

#include "indices/indices_impl.h"

/* -sum p log2 p over the positive entries of counts[0, n), p = count / total. */
static double entropy_of(const int64_t *counts, size_t n, int64_t total) {
  double h = 0.0;
  const double t = (double)total;
  for (size_t i = 0; i < n; i++) {
    if (counts[i] <= 0) continue;
    const double p = (double)counts[i] / t;
    h -= p * log2(p);
  }
  return h;
}

void regio_variety_row(const int64_t *fine_row, size_t n_fine, const int64_t *coarse_row, size_t n_coarse,
                       const size_t *fine_group_start, int64_t district_total, double *entropy, double *unrelated,
                       double *related) {
  if (district_total <= 0) {
    *entropy = NAN;
    if (unrelated) *unrelated = NAN;
    if (related) *related = NAN;
    return;
  }
  *entropy = entropy_of(fine_row, n_fine, district_total);
  if (!unrelated) return;
  *unrelated = entropy_of(coarse_row, n_coarse, district_total);
  /* related variety: sum_g P_g H_g, with the fine sectors of group g at
   * [fine_group_start[g], fine_group_start[g + 1]) */
  double rv = 0.0;
  const double total = (double)district_total;
  for (size_t g = 0; g < n_coarse; g++) {
    if (coarse_row[g] <= 0) continue;
    const size_t lo = fine_group_start[g], hi = fine_group_start[g + 1];
    const double share = (double)coarse_row[g] / total;
    rv += share * entropy_of(fine_row + lo, hi - lo, coarse_row[g]);
  }
  *related = rv;
}
