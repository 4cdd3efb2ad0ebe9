/* regio: national input-output analysis (Leontief and Ghosh models).
 *
 * Reads a symmetric input-output table from a wide CSV, derives the technical and allocation
 * coefficients, factors (I - A) once with LAPACK and computes multipliers, linkages, key sectors
 * and hypothetical-extraction losses from solves with that one factorisation (Miller & Blair,
 * Input-Output Analysis, 2nd ed. 2009, ch. 2, 6, 12). Writes the results to HDF5 (docs/SCHEMA.md,
 * section /io). */
#ifndef REGIO_IO_H
#define REGIO_IO_H

#include <stddef.h>

#include "regio/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Key-sector classes (Rasmussen-Hirschman power and sensitivity of dispersion against 1). */
#define REGIO_IO_KEY 1               /* backward and forward linkage both > 1 */
#define REGIO_IO_BACKWARD_ORIENTED 2 /* only the backward linkage > 1 */
#define REGIO_IO_FORWARD_ORIENTED 3  /* only the forward linkage > 1 */
#define REGIO_IO_WEAK 4              /* neither > 1 */

/* How to find the pieces of a wide IO table. Every label is matched exactly (case-sensitive)
 * against the header row (column labels) or the label column (row labels). NULL = not present. */
typedef struct regio_io_read_opts {
  const char *label_col;               /* the column of row labels; NULL: the first column */
  const char *output_row;              /* total output as a row ... */
  const char *output_col;              /* ... or as a column; exactly one of the two */
  const char *compensation_row;        /* compensation of employees (Type I income multipliers) */
  const char *const *value_added_rows; /* rows summed into value added (GVA multipliers) */
  int n_value_added_rows;
  const char *employment_row; /* employment (Type I employment multipliers) */
  const char *household_col;  /* household consumption (Type II, households closed) */
  /* The intermediate block: the column labels (in column order) that also label a row, except
   * the label column and the labels named above. n_sectors > 0 keeps only the first n_sectors of
   * them (for tables with a total row and column of the same name). */
  int n_sectors;
  char delimiter; /* 0: detected from the header (the most frequent of , ; TAB |) */
} regio_io_read_opts_t;

/* A symmetric IO table: n sectors, everything in the table's units. Owns all its arrays. */
typedef struct regio_io_table {
  int n;
  char **sector_code;   /* n labels, in the column order of the table */
  double *Z;            /* n x n intermediate flows, row-major: Z[i*n+j] from sector i to sector j */
  double *x;            /* total output */
  double *compensation; /* or NULL */
  double *value_added;  /* sum of the value-added rows, or NULL */
  double *employment;   /* or NULL */
  double *household;    /* household consumption of each sector's output, or NULL */
  char *path;           /* the input file */
  char sha256[65];      /* SHA-256 of the input file, hex */
  char *description;    /* how the table was read (options), for provenance */
} regio_io_table_t;

/* Reads a wide CSV IO table (RFC 4180 quoting, optional BOM, CRLF). Only the cells used must be
 * numbers (plain decimals or exponent notation); other cells may hold anything ("NA", empty).
 * Errors: REGIO_ERR_IO (unreadable file), REGIO_ERR_INPUT (missing or duplicate label, a cell
 * that is not a finite number, with file, line and column), REGIO_ERR_USAGE (bad options). */
regio_err_t regio_io_table_read(const char *path, const regio_io_read_opts_t *opts, regio_ctx_t *ctx,
                                regio_io_table_t **out);

/* A table from arrays (copied): n sectors, Z row-major, x; the other vectors may be NULL; codes
 * may be NULL (then "1", "2", ...). */
regio_err_t regio_io_table_create(int n, const char *const *codes, const double *Z, const double *x,
                                  const double *compensation, const double *employment, const double *household,
                                  regio_ctx_t *ctx, regio_io_table_t **out);
void regio_io_table_destroy(regio_io_table_t **table);

typedef struct regio_io_national_opts {
  int full_inverse;           /* also form L and G (n x n each) */
  int sensitivity_from_ghosh; /* forward linkage from the row sums of G instead of L */
} regio_io_national_opts_t;

/* National results; vectors have n entries, matrices are n x n row-major. Owns all arrays.
 *
 * With M = I - A factored once (dgetrf), L = M^-1, G = x^-1 L x:
 *   A = Z x^-1 (a_ij = z_ij / x_j; the column of a sector with zero output is 0), B = x^-1 Z;
 *   output_multiplier = 1'L (M' y = 1, one transposed solve);
 *   forward_total = G 1 = x^-1 (L x) (M y = x), NaN for zero output;
 *   backward_linkage = output_multiplier / its mean (Rasmussen's power of dispersion);
 *   forward_linkage = L1 / mean(L1) (sensitivity of dispersion; G1 / mean(G1) on request);
 *   cw_backward = 1'A, cw_forward = B1 (Chenery-Watanabe direct linkages);
 *   key_sector_class = REGIO_IO_KEY ... REGIO_IO_WEAK;
 *   extraction_loss_j = x_j (1'L e_j) / L_jj: total output lost when sector j is extracted (its
 *   row and column removed, final demand of the others kept); see src/io/national.c;
 *   Type I: m_j = (w L)_j / w_j for w = W / x (compensation, value added, employment), NaN
 *   where w_j = 0;
 *   Type II: households closed, the (n+1) system with the compensation coefficients as household
 *   row and household consumption / total compensation as household column. */
typedef struct regio_io_national {
  int n;
  double *A, *L, *G; /* L and G are NULL unless full_inverse */
  double *output_multiplier, *forward_total, *backward_linkage, *forward_linkage;
  double *cw_backward, *cw_forward;
  int *key_sector_class;
  double *extraction_loss;
  int *zero_output; /* 1 for a sector with zero total output */
  int n_zero_output;
  double rcond; /* reciprocal condition number of I - A in the 1-norm (dgecon) */
  int sensitivity_from_ghosh;
  double *income_multiplier;       /* Type I, or NULL */
  double *value_added_multiplier;  /* Type I, or NULL */
  double *employment_multiplier;   /* Type I, or NULL */
  double *type2_output_multiplier; /* or NULL (needs compensation and household consumption) */
  double *type2_income_multiplier;
  double *type2_employment_multiplier;
  double type2_rcond; /* NaN without Type II */
} regio_io_national_t;

/* Computes the national analysis of table. Errors: REGIO_ERR_NUMERIC when a column of A sums to
 * 1 or more, or I - A (or the closed system of Type II) is singular or near-singular (rcond <
 * 1e-13), each naming the sector; REGIO_ERR_INPUT for negative or non-finite output; NOMEM. */
regio_err_t regio_io_national_compute(const regio_io_table_t *table, const regio_io_national_opts_t *opts,
                                      regio_ctx_t *ctx, regio_io_national_t **out);
void regio_io_national_destroy(regio_io_national_t **res);

/* Writes the national results to path (HDF5, groups /io and /provenance) atomically: to
 * temp_path (NULL: path + ".tmp.<pid>") and renamed when complete. command_line is recorded. */
regio_err_t regio_io_write(const regio_io_table_t *table, const regio_io_national_t *res, const char *path,
                           const char *temp_path, const char *command_line, regio_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
