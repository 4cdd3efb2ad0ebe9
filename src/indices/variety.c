/* Shannon entropy and its related / unrelated variety decomposition (Frenken, Van Oort & Verburg
 * 2007, Regional Studies 41(5)). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log_impl.h"
#include "indices/indices_impl.h"

/* The sums of p log2 p are taken a chunk of positive cells at a time (regio_log2_dot: its own fixed
 * order inside a chunk), the chunks' sums in order. */
enum { VARIETY_CHUNK = 256 };

/* -sum p log2 p over the positive entries of counts[0, n), p = count / total. */
static double entropy_of(const int64_t *counts, size_t n, int64_t total) {
  double h = 0.0, p[VARIETY_CHUNK];
  const double t = (double)total;
  for (size_t i = 0; i < n;) {
    size_t m = 0;
    for (; i < n && m < VARIETY_CHUNK; i++)
      if (counts[i] > 0) p[m++] = (double)counts[i] / t;
    h -= regio_log2_dot(p, p, m);
  }
  return h;
}

void regio_variety_cells(const uint32_t *fine_sector, const int64_t *fine_value, size_t n_fine,
                         const int64_t *coarse_row, const int64_t *coarse_value, size_t n_coarse,
                         const uint32_t *group_of, int64_t district_total, double *entropy, double *unrelated,
                         double *related) {
  if (district_total <= 0) {
    *entropy = NAN;
    if (unrelated) *unrelated = NAN;
    if (related) *related = NAN;
    return;
  }
  if (!unrelated) {
    *entropy = entropy_of(fine_value, n_fine, district_total);
    return;
  }
  *unrelated = entropy_of(coarse_value, n_coarse, district_total); /* the row's positive entries in order */
  /* The entropy and the related variety in one walk of the fine cells. The related variety is
   * sum_g P_g H_g = -sum_g P_g sum_(s in g) q_s log2 q_s with q_s = E_ds / E_dg and P_g = E_dg / E_d;
   * P_g q_s = p_s = E_ds / E_d, so it is -sum_s p_s log2 q_s: one sum over the cells, each p_s
   * rounded once (P_g q_s would be rounded three times). A cell takes its group's E_dg (group_of;
   * a group whose count is not positive has no positive cell: counts are sums of non-negative
   * values). The entropy takes the same cells' p log2 p, as entropy_of would. */
  const double total = (double)district_total;
  double h = 0.0, rv = 0.0, p[VARIETY_CHUNK], q[VARIETY_CHUNK];
  for (size_t k = 0; k < n_fine;) {
    size_t m = 0;
    for (; k < n_fine && m < VARIETY_CHUNK; k++) {
      const int64_t e = fine_value[k];
      if (e <= 0) continue;
      const int64_t group = coarse_row[group_of[fine_sector[k]]];
      if (group <= 0) continue;
      p[m] = (double)e / total;
      q[m++] = (double)e / (double)group;
    }
    h -= regio_log2_dot(p, p, m);
    rv -= regio_log2_dot(p, q, m);
  }
  *entropy = h;
  *related = rv;
}
