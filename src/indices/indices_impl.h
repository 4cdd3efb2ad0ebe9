/* Internal kernels of the indices stage. */
#ifndef REGIO_INDICES_IMPL_H
#define REGIO_INDICES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "regio/indices.h"

/* The non-zero cells of a D x S employment matrix by district (CSR): district d's cells are
 * sector[k], value[k] for k in [start[d], start[d + 1]), in ascending sector order. The indices walk
 * these rather than the dense rows: at fine levels most cells are empty (us-tract: 4.6 of 84
 * million). alias: the arrays belong to another regio_rows_t (a level whose map is the identity). */
typedef struct regio_rows {
  size_t *start; /* [D + 1] */
  uint32_t *sector;
  int64_t *value;
  int alias;
} regio_rows_t;
void regio_rows_free(regio_rows_t *rows);

/* Variety of one district from its non-zero cells at the fine level (fine_sector, fine_value,
 * n_fine cells in sector order), its dense row at the coarse level (coarse_row) and the values of
 * its non-zero coarse cells in sector order (coarse_value, n_coarse cells); group_of[s]: the coarse
 * group of fine sector s (the groups are contiguous runs of fine sectors in order). coarse_row,
 * coarse_value, group_of, unrelated and related may be NULL (no decomposition). */
void regio_variety_cells(const uint32_t *fine_sector, const int64_t *fine_value, size_t n_fine,
                         const int64_t *coarse_row, const int64_t *coarse_value, size_t n_coarse,
                         const uint32_t *group_of, int64_t district_total, double *entropy, double *unrelated,
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
/* The same values from the district's non-zero cells alone (sector[k], value[k], k < n_cells, in
 * sector order): the empty cells add |p_s| to Krugman and nothing else, and the LQ of the others is
 * computed where it is used; the kernel regio_specialisation_compute uses. The empty cells' part of
 * Krugman is taken exactly, (sum over the empty cells of |E_s|) / E with the integer sum
 * abs_sector_total - sum over the cells of |E_s|, and added to the cells' part last: the reference
 * adds the rounded |p_s| one by one in sector order, so the two differ in the last bits (about n_sectors
 * rounding errors of the reference's); every other value is the same to the bit. abs_sector_total =
 * sum_s |E_s|; n_nonzero_shares: the sectors with national_shares[s] != 0. */
void regio_specialisation_cells(const uint32_t *sector, const int64_t *value, size_t n_cells, int64_t district_total,
                                int64_t national_total, const int64_t *sector_totals, const double *national_shares,
                                size_t n_sectors, __int128 abs_sector_total, size_t n_nonzero_shares,
                                size_t n_active_sectors, double lq_threshold, int64_t min_milli,
                                regio_specialisation_row_t *out);

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
/* The same from the sector's non-zero cells (district[k], employment[k], k < n_cells, in ascending
 * district order), the kernel regio_localisation_compute uses. x[d] = E_d / E, computed as
 * (double)E_d / (double)E (the Lorenz pass computes it again so, from E_d); sum_x2 as above;
 * sum_sq_totals = sum_d E_d^2, exactly. The districts without the sector add x_d to the Hoover sum
 * and x_d^2 to G: both parts are taken exactly from integer sums, (E - sum over the cells of E_d) / E
 * and (sum_sq_totals - sum over the cells of E_d^2) / E^2, and added to the cells' parts last, so
 * they differ from the reference's district-order sums in the last bits; the Gini, H_s and sum s^2
 * are the same to the bit. scratch: room for n_cells entries (regio_localisation_scratch). */
typedef struct regio_localisation_scratch regio_localisation_scratch_t;
regio_localisation_scratch_t *regio_localisation_scratch_new(size_t n_cells);
void regio_localisation_scratch_free(regio_localisation_scratch_t *scratch);
void regio_localisation_cells(const uint32_t *district, const int64_t *employment, size_t n_cells,
                              const int64_t *district_totals, const double *x, int64_t sector_total,
                              int64_t national_total, double sum_x2, regio_u128_t sum_sq_totals,
                              const regio_u128_t *size_squares, regio_localisation_scratch_t *scratch,
                              regio_localisation_sector_t *out);

/* Fill level->specialisation and lq_symmetric / level->localisation (allocated here, freed by the
 * *_free functions, also after a failure) from the level's non-zero cells. */
regio_err_t regio_specialisation_compute(regio_result_t *res, regio_level_t *level, const regio_rows_t *rows,
                                         regio_ctx_t *ctx);
regio_err_t regio_localisation_compute(regio_result_t *res, regio_level_t *level, const regio_rows_t *rows,
                                       regio_ctx_t *ctx);
void regio_specialisation_free(regio_level_t *level);
void regio_localisation_free(regio_level_t *level);

#endif
