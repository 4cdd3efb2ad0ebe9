/* National input-output analysis: everything from one LU factorisation of I - A.
 *
 * Notation (Miller & Blair 2009): Z the intermediate flows, x total output, A = Z x^-1 the
 * technical coefficients, M = I - A, L = M^-1 the Leontief inverse, B = x^-1 Z the allocation
 * coefficients, G = (I - B)^-1 = x^-1 L x the Ghosh inverse. M is factored once (dgetrf, partial
 * pivoting); every vector result is a solve with that factorisation:
 *   1'L     : M' y = 1          (output multipliers, one transposed solve)
 *   w L     : M' y = w'         (Type I multipliers, same transposed solve, more right-hand sides)
 *   L 1     : M y = 1           (sensitivity of dispersion from L)
 *   G 1     : M y = x, then / x (Ghosh forward totals: G 1 = x^-1 L x 1 = x^-1 L x)
 *
 * Hypothetical extraction of sector j (row and column j removed, the other sectors' final demand
 * f = M x kept). The inverse of the principal submatrix M_{-j,-j} follows from L without a
 * re-inversion (Schur complement): (M_{-j,-j})^-1 = L_{-j,-j} - L_{-j,j} L_{j,-j} / L_jj. With
 * L f = x this gives the new output x_{-j} - L_{-j,j} x_j / L_jj, so the total output lost is
 *   T_j = x_j + x_j sum_{i != j} L_ij / L_jj = x_j (1'L e_j) / L_jj,
 * which needs only the output multiplier and the diagonal of L. The diagonal takes n solves with
 * the one factorisation (2 n^3 flops, done in blocks of columns so that memory stays O(n b)),
 * instead of n re-inversions (n x 2/3 n^3). */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regio/io.h"

/* Below this reciprocal condition number, I - A is treated as numerically singular: the results
 * would have fewer than about 3 correct digits. */
#define RCOND_MIN 1e-13
/* Columns of L solved at a time for its diagonal (extraction) when L is not kept. */
#define DIAG_BLOCK 256

#define TRY_GOTO(expr)                 \
  do {                                 \
    err = (expr);                      \
    if (err != REGIO_OK) goto cleanup; \
  } while (0)

static double *vec(size_t n) {
  return calloc(n ? n : 1, sizeof(double));
}

void regio_io_national_destroy(regio_io_national_t **res) {
  if (!res || !*res) return;
  regio_io_national_t *r = *res;
  free(r->A);
  free(r->L);
  free(r->G);
  free(r->output_multiplier);
  free(r->forward_total);
  free(r->backward_linkage);
  free(r->forward_linkage);
  free(r->cw_backward);
  free(r->cw_forward);
  free(r->key_sector_class);
  free(r->extraction_loss);
  free(r->zero_output);
  free(r->income_multiplier);
  free(r->value_added_multiplier);
  free(r->employment_multiplier);
  free(r->type2_output_multiplier);
  free(r->type2_income_multiplier);
  free(r->type2_employment_multiplier);
  free(r);
  *res = NULL;
}

/* Factors the column-major n x n matrix M in place and checks it: a zero pivot or rcond below
 * RCOND_MIN is an error naming the sector of the pivot column (what = "I - A" or the system). */
static regio_err_t factor(double *M, int n, lapack_int *ipiv, const char *const *codes, const char *what,
                          regio_ctx_t *ctx, double *rcond_out) {
  double anorm = 0;
  for (int j = 0; j < n; j++) {
    double s = 0;
    for (int i = 0; i < n; i++) s += fabs(M[(size_t)j * (size_t)n + (size_t)i]);
    if (s > anorm) anorm = s;
  }
  lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, M, n, ipiv);
  REGIO_CHECK(ctx, info >= 0, REGIO_ERR_INTERNAL, "LAPACKE_dgetrf of %s: argument %d is invalid", what, (int)-info);
  REGIO_CHECK(ctx, info == 0, REGIO_ERR_NUMERIC,
              "%s is singular: the pivot of the column of sector '%s' is exactly zero (dgetrf info %d)", what,
              codes[info - 1], (int)info);
  double rcond = 0;
  info = LAPACKE_dgecon(LAPACK_COL_MAJOR, '1', n, M, n, anorm, &rcond);
  REGIO_CHECK(ctx, info == 0, REGIO_ERR_INTERNAL, "LAPACKE_dgecon of %s failed (info %d)", what, (int)info);
  *rcond_out = rcond;
  if (!(rcond >= RCOND_MIN)) {
    int worst = 0;
    for (int k = 1; k < n; k++)
      if (fabs(M[(size_t)k * (size_t)n + (size_t)k]) < fabs(M[(size_t)worst * (size_t)n + (size_t)worst])) worst = k;
    return REGIO_ERROR(ctx, REGIO_ERR_NUMERIC,
                       "%s is near-singular (reciprocal condition number %.3g < %g); the smallest pivot is in the "
                       "column of sector '%s'",
                       what, rcond, RCOND_MIN, codes[worst]);
  }
  return REGIO_OK;
}

static regio_err_t solve(const double *LU, int n, const lapack_int *ipiv, char trans, int nrhs, double *rhs,
                         const char *what, regio_ctx_t *ctx) {
  if (nrhs == 0) return REGIO_OK;
  lapack_int info = LAPACKE_dgetrs(LAPACK_COL_MAJOR, trans, n, nrhs, LU, n, ipiv, rhs, n);
  REGIO_CHECK(ctx, info == 0, REGIO_ERR_INTERNAL, "LAPACKE_dgetrs (%c) with %s failed (info %d)", trans, what,
              (int)info);
  return REGIO_OK;
}

/* v / mean(v) over the finite entries. */
static void normalise_mean(const double *v, int n, double *out) {
  double sum = 0;
  int count = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(v[i])) {
      sum += v[i];
      count++;
    }
  double mean = count ? sum / count : NAN;
  for (int i = 0; i < n; i++) out[i] = isfinite(v[i]) ? v[i] / mean : NAN;
}

/* Type II: households closed. The (n+1) x (n+1) coefficients have A in the top left, the
 * compensation coefficients w_j = W_j / x_j as the household row and the consumption coefficients
 * c_i = C_i / sum_j W_j (household consumption per unit of household income earned in production)
 * as the household column. */
static regio_err_t type2(const regio_io_table_t *t, const double *A, const double *w, const double *emp_coef,
                         regio_io_national_t *r, regio_ctx_t *ctx) {
  regio_err_t err = REGIO_OK;
  int n = t->n, n1 = n + 1;
  size_t N1 = (size_t)n1;
  double *M = NULL, *rhs = NULL;
  lapack_int *ipiv = NULL;
  const char **codes = NULL;
  double income = 0, csum = 0;
  for (int j = 0; j < n; j++) income += t->compensation[j];
  REGIO_CHECK(ctx, income > 0, REGIO_ERR_INPUT, "Type II multipliers need a positive total compensation (it is %g)",
              income);
  for (int i = 0; i < n; i++) csum += t->household[i] / income;
  REGIO_CHECK(ctx, csum < 1, REGIO_ERR_NUMERIC,
              "the household consumption coefficients sum to %.6g >= 1 (household consumption exceeds the "
              "compensation paid by the sectors): the model closed with households is not productive",
              csum);
  M = calloc(N1 * N1, sizeof *M);
  rhs = calloc(N1 * 3, sizeof *rhs);
  ipiv = malloc(N1 * sizeof *ipiv);
  codes = malloc(N1 * sizeof *codes);
  if (!M || !rhs || !ipiv || !codes) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the Type II system of %d sectors", n1);
    goto cleanup;
  }
  for (int i = 0; i < n; i++) codes[i] = t->sector_code[i];
  codes[n] = "households";
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < n; i++) M[(size_t)j * N1 + (size_t)i] = (i == j) - A[(size_t)i * (size_t)n + (size_t)j];
    M[(size_t)j * N1 + (size_t)n] = -w[j];
  }
  for (int i = 0; i < n; i++) M[(size_t)n * N1 + (size_t)i] = -t->household[i] / income;
  M[(size_t)n * N1 + (size_t)n] = 1;
  TRY_GOTO(factor(M, n1, ipiv, codes, "I - A closed with households", ctx, &r->type2_rcond));
  int nrhs = emp_coef ? 3 : 2;
  for (int i = 0; i < n; i++) rhs[i] = 1;
  rhs[N1 + (size_t)n] = 1;
  if (emp_coef)
    for (int i = 0; i < n; i++) rhs[2 * N1 + (size_t)i] = emp_coef[i];
  TRY_GOTO(solve(M, n1, ipiv, 'T', nrhs, rhs, "the Type II system", ctx));
  r->type2_output_multiplier = vec((size_t)n);
  r->type2_income_multiplier = vec((size_t)n);
  if (emp_coef) r->type2_employment_multiplier = vec((size_t)n);
  if (!r->type2_output_multiplier || !r->type2_income_multiplier || (emp_coef && !r->type2_employment_multiplier)) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for Type II multipliers");
    goto cleanup;
  }
  for (int j = 0; j < n; j++) {
    r->type2_output_multiplier[j] = rhs[j];
    r->type2_income_multiplier[j] = w[j] != 0 ? rhs[N1 + (size_t)j] / w[j] : NAN;
    if (emp_coef) r->type2_employment_multiplier[j] = emp_coef[j] != 0 ? rhs[2 * N1 + (size_t)j] / emp_coef[j] : NAN;
  }
cleanup:
  free(M);
  free(rhs);
  free(ipiv);
  free(codes);
  return err;
}

regio_err_t regio_io_national_compute(const regio_io_table_t *t, const regio_io_national_opts_t *opts, regio_ctx_t *ctx,
                                      regio_io_national_t **out) {
  REGIO_CHECK(ctx, t && out && t->n >= 1, REGIO_ERR_USAGE, "no IO table to analyse");
  regio_io_national_opts_t defaults = {0, 0};
  if (!opts) opts = &defaults;
  *out = NULL;
  regio_err_t err = REGIO_OK;
  int n = t->n;
  size_t N = (size_t)n;
  const char *const *codes = (const char *const *)t->sector_code;
  regio_io_national_t *r = NULL;
  double *M = NULL, *rhs_t = NULL, *rhs_n = NULL, *block = NULL, *diag = NULL;
  double *w = NULL, *va = NULL, *ec = NULL;
  lapack_int *ipiv = NULL;

  for (int j = 0; j < n; j++)
    if (!(isfinite(t->x[j]) && t->x[j] >= 0)) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the total output of sector '%s' is %g: it must be a finite number >= 0",
                        codes[j], t->x[j]);
      goto cleanup;
    }

  r = calloc(1, sizeof *r);
  REGIO_CHECK(ctx, r, REGIO_ERR_NOMEM, "out of memory for the IO results");
  r->n = n;
  r->type2_rcond = NAN;
  r->sensitivity_from_ghosh = opts->sensitivity_from_ghosh != 0;
  r->A = vec(N * N);
  r->output_multiplier = vec(N);
  r->forward_total = vec(N);
  r->backward_linkage = vec(N);
  r->forward_linkage = vec(N);
  r->cw_backward = vec(N);
  r->cw_forward = vec(N);
  r->key_sector_class = calloc(N, sizeof *r->key_sector_class);
  r->extraction_loss = vec(N);
  r->zero_output = calloc(N, sizeof *r->zero_output);
  M = vec(N * N);
  rhs_t = vec(N * 4);
  rhs_n = vec(N * 2);
  diag = vec(N);
  w = vec(N);
  va = vec(N);
  ec = vec(N);
  ipiv = malloc(N * sizeof *ipiv);
  if (!r->A || !r->output_multiplier || !r->forward_total || !r->backward_linkage || !r->forward_linkage ||
      !r->cw_backward || !r->cw_forward || !r->key_sector_class || !r->extraction_loss || !r->zero_output || !M ||
      !rhs_t || !rhs_n || !diag || !w || !va || !ec || !ipiv) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the IO analysis of %d sectors", n);
    goto cleanup;
  }

  /* A = Z x^-1 (zero-output columns stay 0), B1 = x^-1 Z 1, and the column-sum check */
  for (int j = 0; j < n; j++) {
    r->zero_output[j] = t->x[j] == 0;
    r->n_zero_output += r->zero_output[j];
  }
  for (int i = 0; i < n; i++) {
    double row = 0;
    for (int j = 0; j < n; j++) {
      double z = t->Z[(size_t)i * N + (size_t)j];
      if (!isfinite(z)) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the flow from sector '%s' to sector '%s' is not a finite number",
                          codes[i], codes[j]);
        goto cleanup;
      }
      r->A[(size_t)i * N + (size_t)j] = r->zero_output[j] ? 0 : z / t->x[j];
      row += z;
    }
    r->cw_forward[i] = r->zero_output[i] ? 0 : row / t->x[i];
  }
  for (int j = 0; j < n; j++) {
    double s = 0;
    for (int i = 0; i < n; i++) s += r->A[(size_t)i * N + (size_t)j];
    r->cw_backward[j] = s;
    if (!(s < 1)) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NUMERIC,
                        "the input coefficients of sector '%s' sum to %.10g >= 1 (its intermediate inputs are at "
                        "least its total output %g): I - A is not productive",
                        codes[j], s, t->x[j]);
      goto cleanup;
    }
  }

  /* M = I - A, column-major for LAPACK */
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) M[(size_t)j * N + (size_t)i] = (i == j) - r->A[(size_t)i * N + (size_t)j];
  TRY_GOTO(factor(M, n, ipiv, codes, "I - A", ctx, &r->rcond));

  /* transposed solves: 1'L and the Type I coefficient vectors times L */
  int have_w = t->compensation != NULL, have_va = t->value_added != NULL, have_e = t->employment != NULL;
  for (int j = 0; j < n; j++) {
    double x = t->x[j];
    w[j] = have_w && x > 0 ? t->compensation[j] / x : 0;
    va[j] = have_va && x > 0 ? t->value_added[j] / x : 0;
    ec[j] = have_e && x > 0 ? t->employment[j] / x : 0;
  }
  int nrhs = 1;
  int col_w = have_w ? nrhs++ : -1, col_va = have_va ? nrhs++ : -1, col_e = have_e ? nrhs++ : -1;
  for (int j = 0; j < n; j++) {
    rhs_t[j] = 1;
    if (col_w >= 0) rhs_t[(size_t)col_w * N + (size_t)j] = w[j];
    if (col_va >= 0) rhs_t[(size_t)col_va * N + (size_t)j] = va[j];
    if (col_e >= 0) rhs_t[(size_t)col_e * N + (size_t)j] = ec[j];
  }
  TRY_GOTO(solve(M, n, ipiv, 'T', nrhs, rhs_t, "the multiplier vectors", ctx));
  memcpy(r->output_multiplier, rhs_t, N * sizeof(double));
  struct {
    int col;
    const double *coef;
    double **dest;
  } type1[3] = {{col_w, w, &r->income_multiplier},
                {col_va, va, &r->value_added_multiplier},
                {col_e, ec, &r->employment_multiplier}};
  for (int k = 0; k < 3; k++) {
    if (type1[k].col < 0) continue;
    double *m = vec(N);
    if (!m) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for Type I multipliers");
      goto cleanup;
    }
    *type1[k].dest = m;
    for (int j = 0; j < n; j++)
      m[j] = type1[k].coef[j] != 0 ? rhs_t[(size_t)type1[k].col * N + (size_t)j] / type1[k].coef[j] : NAN;
  }

  /* L 1 and L x */
  for (int i = 0; i < n; i++) {
    rhs_n[i] = 1;
    rhs_n[N + (size_t)i] = t->x[i];
  }
  TRY_GOTO(solve(M, n, ipiv, 'N', 2, rhs_n, "L 1 and L x", ctx));
  for (int i = 0; i < n; i++) r->forward_total[i] = r->zero_output[i] ? NAN : rhs_n[N + (size_t)i] / t->x[i];

  /* Rasmussen-Hirschman indices and key sectors */
  normalise_mean(r->output_multiplier, n, r->backward_linkage);
  normalise_mean(r->sensitivity_from_ghosh ? r->forward_total : rhs_n, n, r->forward_linkage);
  for (int j = 0; j < n; j++) {
    int back = r->backward_linkage[j] > 1, fwd = r->forward_linkage[j] > 1;
    r->key_sector_class[j] = back && fwd ? REGIO_IO_KEY
                             : back      ? REGIO_IO_BACKWARD_ORIENTED
                             : fwd       ? REGIO_IO_FORWARD_ORIENTED
                                         : REGIO_IO_WEAK;
  }

  /* columns of L: all of them when asked for, else in blocks for the diagonal only */
  if (opts->full_inverse) {
    r->L = vec(N * N);
    r->G = vec(N * N);
    double *Lc = vec(N * N);
    if (!r->L || !r->G || !Lc) {
      free(Lc);
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the full inverses of %d sectors", n);
      goto cleanup;
    }
    for (int j = 0; j < n; j++) Lc[(size_t)j * N + (size_t)j] = 1;
    err = solve(M, n, ipiv, 'N', n, Lc, "the identity (full inverse)", ctx);
    if (err) {
      free(Lc);
      goto cleanup;
    }
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double l = Lc[(size_t)j * N + (size_t)i];
        r->L[(size_t)i * N + (size_t)j] = l;
        r->G[(size_t)i * N + (size_t)j] = r->zero_output[i] ? NAN : l * t->x[j] / t->x[i];
      }
    for (int j = 0; j < n; j++) diag[j] = Lc[(size_t)j * N + (size_t)j];
    free(Lc);
  } else {
    int b = n < DIAG_BLOCK ? n : DIAG_BLOCK;
    block = vec(N * (size_t)b);
    if (!block) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the diagonal of L");
      goto cleanup;
    }
    for (int j0 = 0; j0 < n; j0 += b) {
      int nb = n - j0 < b ? n - j0 : b;
      memset(block, 0, N * (size_t)nb * sizeof *block);
      for (int k = 0; k < nb; k++) block[(size_t)k * N + (size_t)(j0 + k)] = 1;
      TRY_GOTO(solve(M, n, ipiv, 'N', nb, block, "columns of the identity (diagonal of L)", ctx));
      for (int k = 0; k < nb; k++) diag[j0 + k] = block[(size_t)k * N + (size_t)(j0 + k)];
    }
  }
  for (int j = 0; j < n; j++) r->extraction_loss[j] = t->x[j] * r->output_multiplier[j] / diag[j];

  if (have_w && t->household) TRY_GOTO(type2(t, r->A, w, have_e ? ec : NULL, r, ctx));

  *out = r;
  r = NULL;
cleanup:
  regio_io_national_destroy(&r);
  free(M);
  free(rhs_t);
  free(rhs_n);
  free(block);
  free(diag);
  free(w);
  free(va);
  free(ec);
  free(ipiv);
  if (err && t->path) regio_ctx_error_prefix(ctx, "%s", t->path); /* which table */
  return err;
}
