/* Internal kernels of the indices stage. */
#ifndef REGIO_INDICES_IMPL_H
#define REGIO_INDICES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "regio/indices.h"

/* Variety of one district. fine_group_start[g] .. fine_group_start[g + 1] are the fine sectors of
 * coarse group g (fine codes are sorted, so a group is contiguous). unrelated and related may be
 * NULL (no decomposition). */
void regio_variety_row(const int64_t *fine_row, size_t n_fine, const int64_t *coarse_row, size_t n_coarse,
                       const size_t *fine_group_start, int64_t district_total, double *entropy, double *unrelated,
                       double *related);

/* Specialisation of one district (regio_specialisation_t, one value each) from its employment and
 * LQ rows. national_shares[s] = (double)E_s / (double)E; n_active_sectors: the sectors with E_s > 0
 * (the n of the normalised HHI). */
typedef struct regio_specialisation_row {
  double krugman, hoover, hhi, hhi_normalised, theil, max_lq, relative_diversity;
  int64_t max_lq_sector, n_specialised;
} regio_specialisation_row_t;
void regio_specialisation_row(const int64_t *employment_row, const double *lq_row, int64_t district_total,
                              int64_t national_total, const double *national_shares, size_t n_sectors,
                              size_t n_active_sectors, double lq_threshold, int64_t min_milli,
                              regio_specialisation_row_t *out);
/* The same values, bit for bit, from the employment row alone: the empty cells (most of them at
 * fine levels) add |p_s| to Krugman and nothing else, and the LQ of the others is computed where
 * it is used; the kernel regio_specialisation_compute uses. abs_national_shares[s] =
 * |national_shares[s]|; n_nonzero_shares: the sectors with national_shares[s] != 0. */
void regio_specialisation_row_sparse(const int64_t *employment_row, int64_t district_total, int64_t national_total,
                                     const double *national_shares, const double *abs_national_shares, size_t n_sectors,
                                     size_t n_nonzero_shares, size_t n_active_sectors, double lq_threshold,
                                     int64_t min_milli, regio_specialisation_row_t *out);

/* Localisation of one sector (regio_localisation_t, one value each) from its column of the
 * employment matrix (employment[d * stride], d < n_districts). sum_x2 = sum_d (E_d / E)^2;
 * size_squares: the sector's sum of squared establishment sizes, or NULL (unknown); scratch:
 * room for n_districts entries of 32 bytes. */
typedef struct regio_localisation_sector {
  double hoover, gini, concentration, plant_herfindahl, ellison_glaeser, maurel_sedillot;
} regio_localisation_sector_t;
void regio_localisation_sector(const int64_t *employment, size_t stride, size_t n_districts,
                               const int64_t *district_totals, int64_t sector_total, int64_t national_total,
                               double sum_x2, const regio_u128_t *size_squares, void *scratch,
                               regio_localisation_sector_t *out);
/* The same with x[d] = E_d / E given (computed once for all sectors) and a short path for empty
 * cells: the same values to the bit; the kernel regio_localisation_compute uses. */
void regio_localisation_sector_shares(const int64_t *employment, size_t stride, size_t n_districts,
                                      const int64_t *district_totals, const double *x, int64_t sector_total,
                                      int64_t national_total, double sum_x2, const regio_u128_t *size_squares,
                                      void *scratch, regio_localisation_sector_t *out);

/* Fill level->specialisation and lq_symmetric / level->localisation (allocated here, freed by the
 * *_free functions, also after a failure). */
regio_err_t regio_specialisation_compute(regio_result_t *res, regio_level_t *level, regio_ctx_t *ctx);
regio_err_t regio_localisation_compute(regio_result_t *res, regio_level_t *level, regio_ctx_t *ctx);
void regio_specialisation_free(regio_level_t *level);
void regio_localisation_free(regio_level_t *level);

#endif
