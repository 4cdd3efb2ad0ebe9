/* Internal kernels of the indices stage. */
#ifndef REGIO_INDICES_IMPL_H
#define REGIO_INDICES_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Variety of one district. fine_group_start[g] .. fine_group_start[g + 1] are the fine sectors of
 * coarse group g (fine codes are sorted, so a group is contiguous). unrelated and related may be
 * NULL (no decomposition). */
void regio_variety_row(const int64_t *fine_row, size_t n_fine, const int64_t *coarse_row, size_t n_coarse,
                       const size_t *fine_group_start, int64_t district_total, double *entropy, double *unrelated,
                       double *related);

#endif
