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
  if (!unrelated) {
    *entropy = entropy_of(fine_row, n_fine, district_total);
    return;
  }
  *unrelated = entropy_of(coarse_row, n_coarse, district_total);
  /* The entropy and the related variety, sum_g P_g H_g (the fine sectors of group g at
   * [fine_group_start[g], fine_group_start[g + 1])), in one walk of the fine row: the groups cover
   * the fine sectors [0, n_fine) in order (compute_variety checks it), and a group whose count is not positive has no
   * positive sector (counts are sums of non-negative values), so h takes the terms of entropy_of(fine_row) in the same
   * order: the same bits. */
  double h = 0.0, rv = 0.0;
  const double total = (double)district_total;
  for (size_t g = 0; g < n_coarse; g++) {
    const int64_t group = coarse_row[g];
    if (group <= 0) continue;
    const size_t lo = fine_group_start[g], hi = fine_group_start[g + 1];
    const double share = (double)group / total, in_group = (double)group;
    double hg = 0.0;
    for (size_t s = lo; s < hi; s++) {
      if (fine_row[s] <= 0) continue;
      const double p = (double)fine_row[s] / total, q = (double)fine_row[s] / in_group;
      h -= p * log2(p);
      hg -= q * log2(q);
    }
    rv += share * hg;
  }
  *entropy = h;
  *related = rv;
}
