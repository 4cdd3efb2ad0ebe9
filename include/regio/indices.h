/* regio: sector levels, location quotients and variety (entropy decomposition).
 *
 * All per-district results depend only on that district's row of the employment matrix and on the
 * national sector totals (exact integers), so districts can be split across threads or MPI ranks
 * without changing a single bit of the result. */
#ifndef REGIO_INDICES_H
#define REGIO_INDICES_H

#include <stdint.h>

#include "regio/codes.h"
#include "regio/error.h"
#include "regio/ingest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REGIO_MAX_LEVELS 8
#define REGIO_LEVEL_FULL 0 /* prefix length 0 stands for the full codes */

/* Specialisation of each district at one level (Krugman 1991; Hoover 1936; Duranton & Puga 2000),
 * with s_ds = E_ds / E_d the district's sector shares and p_s = E_s / E the national ones. Every
 * value of district d depends only on its row and the national totals. A district with E_d = 0
 * has NaN everywhere, max_lq_sector -1 and n_specialised 0. All arrays [D], owned. */
typedef struct regio_specialisation {
  double *krugman;            /* K_d = sum_s |s_ds - p_s|, in [0, 2]; the empty cells' part, sum |p_s|
                                 over them, from the exact integer sum of their |E_s| */
  double *hoover;             /* Hoover coefficient of specialisation K_d / 2, in [0, 1] */
  double *hhi;                /* Herfindahl-Hirschman index H_d = sum_s s_ds^2 */
  double *hhi_normalised;     /* (H_d - 1/n) / (1 - 1/n), n = sectors of the level with E_s > 0; NaN
                                 when n = 1 */
  double *theil;              /* relative Theil index (Kullback-Leibler divergence of s_d from p),
                                 sum_s s_ds ln(s_ds / p_s), natural log, 0 ln 0 = 0; >= 0 */
  double *max_lq;             /* Duranton-Puga relative specialisation: max_s LQ_ds */
  int64_t *max_lq_sector;     /* the sector of max_lq: index into the level's sectors (the lowest
                                 index among ties), -1 when E_d = 0 */
  double *relative_diversity; /* Duranton-Puga relative diversity 1 / sum_s |s_ds - p_s| = 1 / K_d;
                                 +inf when the district's shares equal the national ones (K_d = 0) */
  int64_t *n_specialised;     /* sectors with LQ_ds >= the threshold and E_ds >= the minimum */
} regio_specialisation_t;

/* Localisation (geographic concentration) of each sector at one level, with s_sd = E_ds / E_s the
 * sector's district shares and x_d = E_d / E the districts' shares of all employment. Each value is
 * a reduction over the districts with the sector in district order (or in the exact order
 * described), the districts without it added from exact integer sums (docs/SCHEMA.md), so it does
 * not depend on the thread count. A sector with E_s = 0 has NaN everywhere. All arrays [S], owned. */
typedef struct regio_localisation {
  double *hoover;           /* Hoover coefficient of localisation 1/2 sum_d |s_sd - x_d|, in [0, 1) */
  double *gini;             /* locational Gini (Krugman 1991, Geography and Trade, app. D): districts
                               sorted by LQ_ds ascending (compared exactly; ties by district order),
                               Lorenz curve of cumulative s_sd against cumulative x_d, Gini = 1 -
                               sum_k x_k (Y_(k-1) + Y_k), Y_k the cumulative s_sd: twice the area
                               between the diagonal and the curve, in [0, 1). Some authors report the
                               area itself (half this value). */
  double *concentration;    /* raw geographic concentration G = sum_d (s_sd - x_d)^2 */
  double *plant_herfindahl; /* H_s = sum_k (e_k / E_s)^2 over the sector's establishments k; NaN for
                               pre-aggregated input (an establishments column) */
  double *ellison_glaeser;  /* Ellison & Glaeser (1997) gamma = [G - (1 - sum_d x_d^2) H_s] /
                               [(1 - sum_d x_d^2)(1 - H_s)]; NaN when H_s is unknown, H_s = 1 (one
                               establishment) or sum_d x_d^2 = 1 (one district) */
  double *maurel_sedillot;  /* Maurel & Sedillot (1999) gamma = [sum_d s_sd^2 - sum_d x_d^2 -
                               H_s (1 - sum_d x_d^2)] / [(1 - sum_d x_d^2)(1 - H_s)]; NaN as EG */
} regio_localisation_t;

/* One level of the sector classification: sector codes cut to `prefix` characters. */
typedef struct regio_level {
  int prefix;            /* prefix length, or REGIO_LEVEL_FULL */
  char name[16];         /* "2", "6", or "full": the HDF5 group /levels/<name> */
  regio_codes_t sectors; /* sorted */
  /* The employment matrix [D x S] in milli-employees, by its non-zero cells (compressed rows):
   * district d's cells are (cell_sector[k], cell_employment[k]) for k in [cell_start[d],
   * cell_start[d + 1]), in ascending sector order; every other cell is 0 (a cell given with 0 is
   * as one not given). Owned. At fine levels most cells are 0 (`us-tract` level 5: 4.6 of 84
   * million), so no dense matrix is kept: regio_level_row and regio_level_cell read it as one. */
  size_t *cell_start;         /* [D + 1] */
  uint32_t *cell_sector;      /* [cell_start[D]] */
  int64_t *cell_employment;   /* [cell_start[D]] */
  int64_t *sector_employment; /* [S] national, milli */
  /* The location quotients are not stored: they are a function of the employment matrix and the
   * totals, computed row by row where they are needed (regio_level_lq_rows), so that a national
   * result does not hold two more D x S matrices of doubles. */
  int lq_symmetric;                      /* nonzero: the symmetric LQ belongs to the result (it is
                                            written as /levels/<name>/lq_symmetric) */
  regio_u128_t *sector_size_squares;     /* [S] sum of squared establishment employment (milli^2),
                                            NULL for pre-aggregated input */
  regio_specialisation_t specialisation; /* per district */
  regio_localisation_t localisation;     /* per sector */
} regio_level_t;

/* Shannon entropy (log base 2, 0 log 0 = 0) and its decomposition (Frenken, Van Oort & Verburg
 * 2007): entropy at the fine level = unrelated variety (entropy of the coarse groups' shares) +
 * related variety (sum over coarse groups g of P_g * H_g, H_g the entropy of the fine shares
 * inside g). NaN for a district with zero employment. */
typedef struct regio_variety {
  int fine_level;    /* index into regio_result_t.levels */
  int coarse_level;  /* index, or -1 when there is one level only (no decomposition) */
  double *entropy;   /* [D] */
  double *unrelated; /* [D] or NULL */
  double *related;   /* [D] or NULL */
} regio_variety_t;

typedef struct regio_result {
  regio_aggregate_t *agg; /* owned */
  /* The rows this process holds (regio/dist.h): every per-district array [D] covers the districts
   * [district_offset, district_offset + D) of n_districts_global (one process: 0 and D); per-sector
   * and national values are the national ones on every rank. */
  size_t district_offset, n_districts_global;
  int64_t *district_employment; /* [D] milli */
  int64_t total_employment;     /* milli */
  int n_levels;
  regio_level_t levels[REGIO_MAX_LEVELS]; /* ascending prefix, "full" last */
  regio_variety_t variety;
  double specialised_lq; /* the thresholds of n_specialised (regio_indices_opts_t) */
  int64_t specialised_min_milli;
  double *micro_share;     /* [D] micro establishments / establishments (fewer than 10 employees); NULL
                              for pre-aggregated input, NaN for a district without establishments */
  double *helix_diversity; /* [D] with an actor column (agg->n_actors > 0), else NULL: Shannon entropy
                              (log2, 0 log 0 = 0) of the district's employment over the actor types
                              (firm, university, research, government, civil society, ...), from 0
                              (one type) to log2(n_actors); NaN for a district without employment */
  /* optional, filled by regio_categories_compute and regio_district_areas_apply (categories.h): */
  struct regio_categories *categories;
  struct regio_screen *screen;   /* regio_screen_compute (screen.h) */
  double *district_area;         /* [D] km2, NaN where unknown */
  double *establishment_density; /* [D] establishments per km2, NaN where the area is unknown */
  /* provenance given by the caller (owned copies) */
  char *command_line;
  char *config_ini; /* the effective configuration as INI text */
} regio_result_t;

typedef struct regio_indices_opts {
  int levels[REGIO_MAX_LEVELS]; /* prefix lengths; n_levels = 0 means one level of full codes */
  int n_levels;
  int variety_fine, variety_coarse; /* prefix lengths; 0 = finest and coarsest of the levels */
  /* a sector counts in n_specialised when LQ_ds >= specialised_lq (0 = the default
   * REGIO_SPECIALISED_LQ) and E_ds >= specialised_min_milli (milli-employees; 0 = no minimum) */
  double specialised_lq;
  int64_t specialised_min_milli;
} regio_indices_opts_t;

#define REGIO_SPECIALISED_LQ 1.25

/* Builds the levels, location quotients and variety from an aggregate. Takes ownership of *agg
 * (set to NULL) on success and on failure. */
regio_err_t regio_indices_compute(regio_aggregate_t **agg, const regio_indices_opts_t *opts, regio_ctx_t *ctx,
                                  regio_result_t **out);
void regio_result_destroy(regio_result_t **res);

/* Cuts a complete result (one process: district_offset 0, all districts) down to the districts
 * [offset, offset + count): every per-district array of res, its aggregate (codes, employment,
 * establishments, micro establishments, actor employment), levels (employment,
 * specialisation), variety, micro share, helix diversity, areas and densities, categories
 * (employment, share, LQ, mixed use) and screen (classes and scores) keeps those rows, and
 * district_offset / n_districts_global become offset and the former district count, as a rank of
 * the distributed mode holds them (regio/dist.h). Per-sector and national values (sector codes and
 * totals, localisation, thresholds, the screen's means and class counts, input statistics) stay
 * as they are. The arrays are not reallocated: a present array stays non-NULL even when count is
 * 0. Used by the tests of the distributed writer and as a fallback. Errors: REGIO_ERR_USAGE for a
 * result already restricted or a block outside it. Not thread-safe on one res. */
regio_err_t regio_result_restrict(regio_result_t *res, size_t offset, size_t count, regio_ctx_t *ctx);

/* Location quotient LQ = (E_ds / E_d) / (E_s / E) for one district row; NaN where a denominator
 * is zero. Reference kernel, used by regio_indices_compute. */
void regio_lq_row(const int64_t *employment_row, int64_t district_total, const int64_t *sector_totals,
                  int64_t national_total, size_t n_sectors, double *lq_row);

/* Symmetric location quotients (LQ - 1) / (LQ + 1) of n values (Dalum, Laursen & Villumsen 1998);
 * NaN stays NaN. */
void regio_lq_symmetric(const double *lq, size_t n, double *out);

/* District d's employment (a row of this process's rows) in the level's sectors [s0, s0 +
 * n_sectors), dense, into row[0, n_sectors). */
void regio_level_row(const regio_level_t *level, size_t d, size_t s0, size_t n_sectors, int64_t *row);
/* District d's employment in sector s of the level (0 where no cell is stored). */
int64_t regio_level_cell(const regio_level_t *level, size_t d, size_t s);
/* The index of district d's first cell whose sector is s0 or above (cell_start[d + 1] when none):
 * a block of columns [s0, s1) of row d is the cells from there while cell_sector[k] < s1. */
size_t regio_level_cell_from(const regio_level_t *level, size_t d, size_t s0);

/* The location quotients of `level` for the districts [d0, d0 + n) of this process's rows and the
 * sectors [s0, s0 + n_sectors), into out[n x n_sectors] (row-major): regio_lq_row on each row, so
 * every value is the one the indices computed with; with `symmetric` nonzero, the symmetric LQ of
 * those values (regio_lq_symmetric). res must come from regio_indices_compute (or hold the
 * district totals, the level's sector totals and the national total). */
void regio_level_lq_rows(const regio_result_t *res, const regio_level_t *level, size_t d0, size_t n, size_t s0,
                         size_t n_sectors, int symmetric, double *out);
/* The same with row r at out + r * stride (stride >= n_sectors): a block of a larger buffer, such as
 * an HDF5 chunk. */
void regio_level_lq_block(const regio_result_t *res, const regio_level_t *level, size_t d0, size_t n, size_t s0,
                          size_t n_sectors, int symmetric, double *out, size_t stride);

#ifdef __cplusplus
}
#endif
#endif
