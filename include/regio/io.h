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
#include "regio/indices.h"

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

/* ---- Regional tables for every district (location-quotient regionalization) ----
 *
 * Each district's technical coefficients are the national ones scaled down by a location
 * quotient: a^r_ij = min(Q_ij, 1) a_ij (a_ij from regio_io_national_t.A, i the supplying sector,
 * j the buying one). With RE_i the district's employment in sector i, TRE its total, NE_i the
 * national employment in sector i and TNE the national total:
 *   SLQ   Q_ij = SLQ_i = (RE_i / TRE) / (NE_i / TNE)                 (simple location quotient);
 *   CILQ  Q_ij = SLQ_i / SLQ_j for i != j, SLQ_i on the diagonal     (cross-industry quotient,
 *         i supplies, j buys; the diagonal convention of Flegg, Webber & Elliott 1995);
 *   FLQ   Q_ij = lambda* CILQ_ij for i != j, lambda* SLQ_i on the diagonal, with
 *         lambda* = [log2(1 + TRE / TNE)]^delta       (Flegg, Webber & Elliott 1995, Regional
 *         Studies 29(6); Flegg & Webber 1997, Regional Studies 31(8); delta default 0.25);
 *   AFLQ  Q_ij = FLQ_ij log2(1 + SLQ_j) where SLQ_j > 1, FLQ_ij elsewhere (Flegg & Webber 2000,
 *         Regional Studies 34(6)).
 * The nation is the sum of the districts given (NE_i = sum over districts of RE_i), so the
 * districts tile the nation.
 *
 * Conventions where a quotient is undefined (0/0 or x/0), chosen so that every district of a
 * non-empty nation gets finite results:
 *   - RE_i = 0 (the district has no sector i, in particular when NE_i = 0): the district cannot
 *     supply i, Q_ij = 0 for every j (row i of A^r is zero);
 *   - RE_i > 0 and RE_j = 0 (SLQ_j = 0, a buyer absent from the district): CILQ_ij = +inf, so
 *     Q_ij = min(+inf, 1) = 1 for CILQ, FLQ and AFLQ (the national coefficient is kept);
 *   - TRE = 0 (a district with no employment at all): no regional table; every result of the
 *     district is NaN and empty_district[d] = 1.
 * Since 0 <= a^r_ij <= a_ij, the regional I - A^r is nonsingular whenever the national one is.
 *
 * Results per district (L^r = (I - A^r)^-1):
 *   output_multiplier = 1'L^r;
 *   backward_linkage = output_multiplier / its mean over the sectors (Rasmussen power of
 *   dispersion, mean 1 in every district); forward_linkage = L^r 1 / its mean;
 *   employment_multiplier_j = (e L^r)_j / e_j with the national employment coefficients
 *   e_j = employment_j / x_j of the IO table (Type I; NaN where e_j = 0); only when the table has
 *   an employment row.
 *
 * Solvers. Only the three vectors 1'L^r, L^r 1 and e L^r are needed, never L^r itself.
 *   REGIO_IO_SOLVER_LU (the reference): one LU factorisation of I - A^r (dgetrf) and solves
 *   (dgetrs), 2/3 n^3 flops per district.
 *   REGIO_IO_SOLVER_ITERATIVE (the default): a sector i the district does not have supplies
 *   nothing (row i of A^r is zero), so only the block of the p sectors present in the district
 *   is iterated: y <- 1 + A_PP' y, y_e <- e_P + A_PP' y_e and z <- 1 + c + A_PP z (c_i the
 *   coefficients of row i in the absent columns) by Jacobi sweeps (the Neumann series of L^r),
 *   all three in one pass over the p x p block per sweep; the absent sectors' entries follow in
 *   one pass at the end. The sweeps stop when an a-posteriori bound on the error is at most
 *   REGIO_IO_ITERATIVE_TOL (8 eps) relative to the vector's largest entry: the error of an
 *   iterate v_k is L^r' r (or L^r r) with the residual r = v_{k+1} - v_k, and since L^r >= 0,
 *   ||L^r'||_inf = max_j (1'L^r)_j and ||L^r||_inf = max_i (L^r 1)_i, which the iterates
 *   themselves approach from below. A district whose sweeps have not met the bound after
 *   max_iterations (default REGIO_IO_ITERATIVE_MAX_SWEEPS) is solved by the LU path instead.
 *   Both solvers give the same numbers to about 1e-15 (tested); each district records how it was
 *   solved (solver_sweeps).
 *
 * Parallel over districts (OpenMP, regio_ctx_threads); each district is computed by one thread
 * from its own buffers (O(threads n^2) memory), so the results do not depend on the thread count.
 * The LAPACK calls run inside the parallel region; OpenBLAS's OpenMP build runs them
 * single-threaded there (for the small n of a regional table this is also the fastest). */
typedef enum regio_io_regional_method {
  REGIO_IO_SLQ = 1,
  REGIO_IO_CILQ = 2,
  REGIO_IO_FLQ = 3,
  REGIO_IO_AFLQ = 4
} regio_io_regional_method_t;

#define REGIO_IO_FLQ_DELTA_DEFAULT 0.25

typedef enum regio_io_solver {
  REGIO_IO_SOLVER_ITERATIVE = 0, /* the default: Jacobi sweeps on the present sectors, LU fallback */
  REGIO_IO_SOLVER_LU = 1         /* the reference: one LU per district */
} regio_io_solver_t;

#define REGIO_IO_ITERATIVE_MAX_SWEEPS 100
#define REGIO_IO_ITERATIVE_TOL (8 * 2.220446049250313e-16)

typedef struct regio_io_regional_opts {
  regio_io_regional_method_t method; /* 0: REGIO_IO_FLQ */
  double delta;                      /* FLQ and AFLQ; must be finite and >= 0 */
  regio_io_solver_t solver;          /* 0: iterative */
  int max_sweeps;                    /* iterative solver; 0: REGIO_IO_ITERATIVE_MAX_SWEEPS */
  /* distributed mode (regio/dist.h): these districts are numbers district_offset + 1, ... of all
   * ranks' (for messages); the nation is the sum over every rank's districts, in district order */
  int district_offset;
} regio_io_regional_opts_t;

/* "iterative", "lu" -> solver; -1 for anything else. */
int regio_io_solver_parse(const char *name);
const char *regio_io_solver_name(regio_io_solver_t solver);

/* Default options: FLQ with delta = 0.25. */
regio_io_regional_opts_t regio_io_regional_opts_default(void);

/* "slq", "cilq", "flq", "aflq" (case-insensitive) -> method; 0 for anything else. */
regio_io_regional_method_t regio_io_regional_method_parse(const char *name);
/* "SLQ", "CILQ", "FLQ", "AFLQ"; "?" for an unknown value. */
const char *regio_io_regional_method_name(regio_io_regional_method_t method);

/* Regional results: matrices are n_districts x n row-major (district d, sector j at d*n + j).
 * Owns all arrays. */
typedef struct regio_io_regional {
  int n_districts, n;
  regio_io_regional_method_t method;
  double delta;           /* as given (also for SLQ and CILQ, where it is not used) */
  double *employment;     /* copy of the district employment by IO sector */
  double *national_share; /* n: NE_i / TNE */
  double *lambda;         /* n_districts: lambda* (FLQ, AFLQ), NaN for the other methods */
  int *empty_district;    /* n_districts: 1 where TRE = 0 (results NaN) */
  int n_empty_districts;
  double *output_multiplier; /* n_districts x n */
  double *backward_linkage;
  double *forward_linkage;
  double *employment_multiplier; /* n_districts x n, or NULL without national employment */
  regio_io_solver_t solver;      /* as asked */
  int *solver_sweeps;            /* n_districts: Jacobi sweeps of the iterative solver; 0 = solved by LU
                                    (the LU solver, a fallback, or an empty district) */
  int n_lu_fallbacks;            /* districts the iterative solver handed to LU */
  double flops;                  /* floating-point operations counted by the kernels (for benchmarks) */
} regio_io_regional_t;

/* Regionalizes table (national coefficients national->A) for n_districts districts whose
 * employment by IO sector (the table's sector order) is the row-major n_districts x table->n
 * matrix employment (borrowed). opts NULL: the defaults.
 * Errors: REGIO_ERR_USAGE (bad method or delta, n_districts < 1), REGIO_ERR_INPUT (negative or
 * non-finite employment naming district and sector, a nation with no employment at all),
 * REGIO_ERR_NUMERIC (a singular regional I - A^r, naming the district), NOMEM. */
regio_err_t regio_io_regional_compute(const regio_io_table_t *table, const regio_io_national_t *national,
                                      int n_districts, const double *employment, const regio_io_regional_opts_t *opts,
                                      regio_ctx_t *ctx, regio_io_regional_t **out);
void regio_io_regional_destroy(regio_io_regional_t **res);

/* Cuts regional results of n_districts districts down to the districts [offset, offset + count),
 * as a rank of the distributed mode holds them (regio_output_io_t.regional_offset): every
 * per-district array keeps those rows and n_districts becomes count; n_empty_districts and
 * n_lu_fallbacks stay the counts of all districts (national, as every rank holds them in the
 * distributed mode). district_code (the n_districts codes of regio_io_district_employment,
 * or NULL) is cut alike: the codes left out are freed and the array's tail set to NULL, so that
 * regio_io_district_codes_free with the former count still frees it. Arrays are not reallocated.
 * Errors: REGIO_ERR_USAGE for a block outside the districts. */
regio_err_t regio_io_regional_restrict(regio_io_regional_t *regional, char **district_code, size_t offset, size_t count,
                                       regio_ctx_t *ctx);

/* ---- District employment by IO sector (concordance) ---- */

/* A concordance from establishment sector codes to IO sectors: pairs (sector, io_sector) read from
 * a CSV with the header `sector,io_sector`. A sector code maps by its longest prefix in the list
 * (an entry "62" maps "621100" unless "6211" is listed too). An io_sector of "-" excludes the
 * sectors it matches on purpose (their employment is in no IO sector: e.g. a sector the table does
 * not cover). Owns its strings. */
typedef struct regio_io_sector_map {
  int n;
  char **sector, **io_sector;
  int *line; /* the line of each entry in the file, for messages */
  char *path;
} regio_io_sector_map_t;

/* Reads a concordance CSV (comma-separated, optional double quotes, CRLF, a header line whose
 * first field is "sector"). Errors: REGIO_ERR_IO (unreadable), REGIO_ERR_INPUT (a line without two
 * fields, an empty code, a sector listed twice; with file and line). */
regio_err_t regio_io_sector_map_read(const char *path, regio_ctx_t *ctx, regio_io_sector_map_t **out);
void regio_io_sector_map_destroy(regio_io_sector_map_t **map);

/* Where map sends things. io_of_entry[e] (map->n values): the index in table of entry e's IO
 * sector (the first, should the table list a code twice), -1 for "-", -2 when the table has no
 * such sector. entry_of_code[k] (codes->count values): the entry that is the longest listed prefix
 * of code k, or -1 when none is. Through sorted copies of the codes: one binary search per entry
 * and per prefix length of a code. Errors: NOMEM only. */
regio_err_t regio_io_sector_map_match(const regio_io_sector_map_t *map, const regio_io_table_t *table,
                                      const regio_codes_t *codes, int *io_of_entry, int *entry_of_code,
                                      regio_ctx_t *ctx);

/* District employment by IO sector from the finest sector level of res (res->levels[n_levels-1],
 * the full codes unless --sector-levels was given): each sector of that level goes to the IO
 * sector of its longest listed prefix. district_level > 0 merges districts whose codes share the
 * first district_level characters (a code shorter than that is its own group); 0 keeps them.
 * Returns the row-major n_districts x table->n matrix *employment (in employees, double) and the
 * n_districts district codes (*district_code, each malloc'ed, the array too; free with
 * regio_io_district_codes_free). Employment in sectors mapped to "-" is counted in *excluded.
 * Errors: REGIO_ERR_INPUT for a sector with employment and no entry in the map (naming the sector
 * code and the map file), or an entry naming an IO sector that is not in the table (naming the
 * line); NOMEM. */
regio_err_t regio_io_district_employment(const regio_result_t *res, const regio_io_sector_map_t *map,
                                         const regio_io_table_t *table, int district_level, regio_ctx_t *ctx,
                                         int *n_districts, char ***district_code, double **employment,
                                         double *excluded);
void regio_io_district_codes_free(char **codes, int n);

#ifdef __cplusplus
}
#endif
#endif
