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

/* One level of the sector classification: sector codes cut to `prefix` characters. */
typedef struct regio_level {
  int prefix;                 /* prefix length, or REGIO_LEVEL_FULL */
  char name[16];              /* "2", "6", or "full": the HDF5 group /levels/<name> */
  regio_codes_t sectors;      /* sorted */
  int64_t *employment;        /* [D x S] milli-employees, owned */
  int64_t *sector_employment; /* [S] national, milli */
  double *lq;                 /* [D x S] location quotients, NaN where E_d = 0 or E_s = 0 */
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
  regio_aggregate_t *agg;       /* owned */
  int64_t *district_employment; /* [D] milli */
  int64_t total_employment;     /* milli */
  int n_levels;
  regio_level_t levels[REGIO_MAX_LEVELS]; /* ascending prefix, "full" last */
  regio_variety_t variety;
  /* provenance given by the caller (owned copies) */
  char *command_line;
  char *config_ini; /* the effective configuration as INI text */
} regio_result_t;

typedef struct regio_indices_opts {
  int levels[REGIO_MAX_LEVELS]; /* prefix lengths; n_levels = 0 means one level of full codes */
  int n_levels;
  int variety_fine, variety_coarse; /* prefix lengths; 0 = finest and coarsest of the levels */
} regio_indices_opts_t;

/* Builds the levels, location quotients and variety from an aggregate. Takes ownership of *agg
 * (set to NULL) on success and on failure. */
regio_err_t regio_indices_compute(regio_aggregate_t **agg, const regio_indices_opts_t *opts, regio_ctx_t *ctx,
                                  regio_result_t **out);
void regio_result_destroy(regio_result_t **res);

/* Location quotient LQ = (E_ds / E_d) / (E_s / E) for one district row; NaN where a denominator
 * is zero. Reference kernel, used by regio_indices_compute. */
void regio_lq_row(const int64_t *employment_row, int64_t district_total, const int64_t *sector_totals,
                  int64_t national_total, size_t n_sectors, double *lq_row);

#ifdef __cplusplus
}
#endif
#endif
