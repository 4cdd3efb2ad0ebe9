/* Shannon entropy and its related / unrelated variety decomposition (Frenken, Van Oort & Verburg
 * 2007, Regional Studies 41(5)). */
#include <math.h>
#include <stddef.h>
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

void regio_variety_cells(const uint32_t *fine_sector, const int64_t *fine_value, size_t n_fine,
                         const int64_t *coarse_row, size_t n_coarse, const uint32_t *group_of, int64_t district_total,
                         double *entropy, double *unrelated, double *related) {
  if (district_total <= 0) {
    *entropy = NAN;
    if (unrelated) *unrelated = NAN;
    if (related) *related = NAN;
    return;
  }
  const double total = (double)district_total;
  double h = 0.0;
  if (!unrelated) {
    for (size_t k = 0; k < n_fine; k++) {
      if (fine_value[k] <= 0) continue;
      const double p = (double)fine_value[k] / total;
      h -= p * log2(p);
    }
    *entropy = h;
    return;
  }
  *unrelated = entropy_of(coarse_row, n_coarse, district_total);
  /* The entropy and the related variety, sum_g P_g H_g, in one walk of the fine cells: the groups
   * are contiguous runs of fine sectors in order (compute_variety checks it), so the cells of a
   * group are adjacent, and h takes the positive cells in sector order, as entropy_of would. A
   * group whose count is not positive has no positive cell (counts are sums of non-negative
   * values): its cells are passed over, as the terms of an empty group. */
  double rv = 0.0, hg = 0.0, share = 0.0, in_group = 0.0;
  size_t current = SIZE_MAX;
  for (size_t k = 0; k < n_fine; k++) {
    const int64_t e = fine_value[k];
    if (e <= 0) continue;
    const size_t g = group_of[fine_sector[k]];
    const int64_t group = coarse_row[g];
    if (group <= 0) continue;
    if (g != current) {
      if (current != SIZE_MAX) rv += share * hg;
      current = g;
      hg = 0.0;
      share = (double)group / total;
      in_group = (double)group;
    }
    const double p = (double)e / total, q = (double)e / in_group;
    h -= p * log2(p);
    hg -= q * log2(q);
  }
  if (current != SIZE_MAX) rv += share * hg;
  *entropy = h;
  *related = rv;
}
