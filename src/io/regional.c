/* Regional input-output tables for every district by location-quotient regionalization (SLQ,
 * CILQ, FLQ, AFLQ; conventions and references in include/regio/io.h).
 *
 * Every district is independent: its quotients, its regional coefficients A^r, one LU of
 * I - A^r, and solves with it. The districts are shared among OpenMP threads, each with its own
 * buffers, and each district's results are computed entirely by one thread in a fixed order, so
 * they are bitwise the same for any thread count (there is no reduction across districts). */
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "regio/io.h"

regio_io_regional_opts_t regio_io_regional_opts_default(void) {
  regio_io_regional_opts_t o = {REGIO_IO_FLQ, REGIO_IO_FLQ_DELTA_DEFAULT};
  return o;
}

regio_io_regional_method_t regio_io_regional_method_parse(const char *name) {
  if (!name) return 0;
  if (strcasecmp(name, "slq") == 0) return REGIO_IO_SLQ;
  if (strcasecmp(name, "cilq") == 0) return REGIO_IO_CILQ;
  if (strcasecmp(name, "flq") == 0) return REGIO_IO_FLQ;
  if (strcasecmp(name, "aflq") == 0) return REGIO_IO_AFLQ;
  return 0;
}

const char *regio_io_regional_method_name(regio_io_regional_method_t method) {
  switch (method) {
    case REGIO_IO_SLQ: return "SLQ";
    case REGIO_IO_CILQ: return "CILQ";
    case REGIO_IO_FLQ: return "FLQ";
    case REGIO_IO_AFLQ: return "AFLQ";
  }
  return "?";
}

void regio_io_regional_destroy(regio_io_regional_t **res) {
  if (!res || !*res) return;
  regio_io_regional_t *r = *res;
  free(r->employment);
  free(r->national_share);
  free(r->lambda);
  free(r->empty_district);
  free(r->output_multiplier);
  free(r->backward_linkage);
  free(r->forward_linkage);
  free(r->employment_multiplier);
  free(r);
  *res = NULL;
}

/* v / mean(v) (v finite here: a regional L^r is finite). */
static void normalise_mean(const double *v, int n, double *out) {
  double sum = 0;
  for (int i = 0; i < n; i++) sum += v[i];
  double mean = sum / n;
  for (int i = 0; i < n; i++) out[i] = v[i] / mean;
}

/* The location quotient Q_ij of a district (supplier i, buyer j) with the conventions of io.h
 * for zero employment; slq holds SLQ of every sector, re the district's employment. */
static double quotient(regio_io_regional_method_t method, const double *slq, const double *re, double lambda, int i,
                       int j) {
  if (re[i] == 0) return 0;
  if (method == REGIO_IO_SLQ) return slq[i];
  double q;
  if (i == j)
    q = slq[i];
  else if (re[j] == 0)
    return 1; /* SLQ_i / 0 = +inf, capped at 1 */
  else
    q = slq[i] / slq[j];
  if (method == REGIO_IO_CILQ) return q;
  q *= lambda;
  if (method == REGIO_IO_AFLQ && slq[j] > 1) q *= log2(1 + slq[j]);
  return q;
}

/* Status of a district computed in the parallel loop; reported after it in district order. */
enum { DISTRICT_OK = 0, DISTRICT_SINGULAR = 1, DISTRICT_LAPACK = 2, DISTRICT_NOMEM = 3 };

regio_err_t regio_io_regional_compute(const regio_io_table_t *table, const regio_io_national_t *national,
                                      int n_districts, const double *employment, const regio_io_regional_opts_t *opts,
                                      regio_ctx_t *ctx, regio_io_regional_t **out) {
  REGIO_CHECK(ctx, table && national && out && table->n >= 1 && national->n == table->n, REGIO_ERR_USAGE,
              "regionalization needs a national IO table and its analysis");
  REGIO_CHECK(ctx, n_districts >= 1 && employment, REGIO_ERR_USAGE, "regionalization needs at least one district");
  *out = NULL;
  regio_io_regional_opts_t o = opts ? *opts : regio_io_regional_opts_default();
  if (o.method == 0) o.method = REGIO_IO_FLQ;
  REGIO_CHECK(ctx, o.method >= REGIO_IO_SLQ && o.method <= REGIO_IO_AFLQ, REGIO_ERR_USAGE,
              "unknown regionalization method %d", (int)o.method);
  REGIO_CHECK(ctx, isfinite(o.delta) && o.delta >= 0, REGIO_ERR_USAGE,
              "the FLQ delta must be a finite number >= 0 (it is %g)", o.delta);
  int n = table->n, D = n_districts;
  size_t N = (size_t)n, DN = (size_t)D * N;
  const char *const *codes = (const char *const *)table->sector_code;

  for (int d = 0; d < D; d++)
    for (int i = 0; i < n; i++) {
      double e = employment[(size_t)d * N + (size_t)i];
      REGIO_CHECK(ctx, isfinite(e) && e >= 0, REGIO_ERR_INPUT,
                  "the employment of district %d in IO sector '%s' is %g: it must be a finite number >= 0", d + 1,
                  codes[i], e);
    }

  regio_err_t err = REGIO_OK;
  double *ec = NULL, *national_emp = NULL;
  int *status = NULL;
  regio_io_regional_t *r = calloc(1, sizeof *r);
  REGIO_CHECK(ctx, r, REGIO_ERR_NOMEM, "out of memory for the regional IO results");
  r->n_districts = D;
  r->n = n;
  r->method = o.method;
  r->delta = o.delta;
  r->employment = malloc(DN * sizeof(double));
  r->national_share = calloc(N, sizeof(double));
  r->lambda = malloc((size_t)D * sizeof(double));
  r->empty_district = calloc((size_t)D, sizeof(int));
  r->output_multiplier = malloc(DN * sizeof(double));
  r->backward_linkage = malloc(DN * sizeof(double));
  r->forward_linkage = malloc(DN * sizeof(double));
  int have_e = table->employment != NULL;
  if (have_e) r->employment_multiplier = malloc(DN * sizeof(double));
  ec = calloc(N, sizeof(double));
  national_emp = calloc(N, sizeof(double));
  status = calloc((size_t)D, sizeof(int));
  if (!r->employment || !r->national_share || !r->lambda || !r->empty_district || !r->output_multiplier ||
      !r->backward_linkage || !r->forward_linkage || (have_e && !r->employment_multiplier) || !ec || !national_emp ||
      !status) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the regional tables of %d districts x %d sectors", D, n);
    goto cleanup;
  }
  memcpy(r->employment, employment, DN * sizeof(double));

  /* The nation as the sum of the districts, in district order (independent of the threads). */
  double total = 0;
  for (int d = 0; d < D; d++)
    for (int i = 0; i < n; i++) national_emp[i] += employment[(size_t)d * N + (size_t)i];
  for (int i = 0; i < n; i++) total += national_emp[i];
  if (!(total > 0)) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "the districts have no employment in any IO sector: there is no nation to regionalize from");
    goto cleanup;
  }
  for (int i = 0; i < n; i++) r->national_share[i] = national_emp[i] / total;
  if (have_e)
    for (int j = 0; j < n; j++) ec[j] = table->x[j] > 0 ? table->employment[j] / table->x[j] : 0;

  const double *A = national->A;
  const double *share = r->national_share;
  regio_io_regional_method_t method = o.method;
  double delta = o.delta;
  int threads = regio_ctx_threads(ctx);
  int nrhs_t = have_e ? 2 : 1;

#pragma omp parallel num_threads(threads) \
    shared(A, share, method, delta, employment, r, status, ec, have_e, nrhs_t, n, N, D, total)
  {
    double *M = malloc(N * N * sizeof(double));
    double *slq = malloc(N * sizeof(double));
    double *rhs_t = malloc(N * 2 * sizeof(double));
    double *rhs_n = malloc(N * sizeof(double));
    lapack_int *ipiv = malloc(N * sizeof(lapack_int));
    int ok = M && slq && rhs_t && rhs_n && ipiv;
#pragma omp for schedule(dynamic, 1)
    for (int d = 0; d < D; d++) {
      const double *re = employment + (size_t)d * N;
      double *om = r->output_multiplier + (size_t)d * N, *bl = r->backward_linkage + (size_t)d * N;
      double *fl = r->forward_linkage + (size_t)d * N;
      double *em = have_e ? r->employment_multiplier + (size_t)d * N : NULL;
      double tre = 0;
      for (int i = 0; i < n; i++) tre += re[i];
      r->lambda[d] = NAN;
      if (!(tre > 0)) {
        r->empty_district[d] = 1;
        for (int j = 0; j < n; j++) {
          om[j] = bl[j] = fl[j] = NAN;
          if (em) em[j] = NAN;
        }
        continue;
      }
      if (!ok) {
        status[d] = DISTRICT_NOMEM;
        continue;
      }
      double lambda = 1;
      if (method == REGIO_IO_FLQ || method == REGIO_IO_AFLQ) {
        lambda = pow(log2(1 + tre / total), delta);
        r->lambda[d] = lambda;
      }
      for (int i = 0; i < n; i++) slq[i] = re[i] > 0 ? (re[i] / tre) / share[i] : 0;
      /* M = I - A^r, column-major */
      for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
          double q = quotient(method, slq, re, lambda, i, j);
          double a = A[(size_t)i * N + (size_t)j] * (q < 1 ? q : 1);
          M[(size_t)j * N + (size_t)i] = (i == j) - a;
        }
      lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, M, n, ipiv);
      if (info != 0) {
        status[d] = info > 0 ? DISTRICT_SINGULAR : DISTRICT_LAPACK;
        continue;
      }
      for (int j = 0; j < n; j++) {
        rhs_t[j] = 1;
        if (have_e) rhs_t[N + (size_t)j] = ec[j];
        rhs_n[j] = 1;
      }
      if (LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', n, nrhs_t, M, n, ipiv, rhs_t, n) != 0 ||
          LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', n, 1, M, n, ipiv, rhs_n, n) != 0) {
        status[d] = DISTRICT_LAPACK;
        continue;
      }
      memcpy(om, rhs_t, N * sizeof(double));
      normalise_mean(om, n, bl);
      normalise_mean(rhs_n, n, fl);
      if (em)
        for (int j = 0; j < n; j++) em[j] = ec[j] != 0 ? rhs_t[N + (size_t)j] / ec[j] : NAN;
    }
    free(M);
    free(slq);
    free(rhs_t);
    free(rhs_n);
    free(ipiv);
  }

  for (int d = 0; d < D; d++) {
    r->n_empty_districts += r->empty_district[d];
    if (status[d] == DISTRICT_OK) continue;
    err = status[d] == DISTRICT_NOMEM ? REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the regional work buffers")
          : status[d] == DISTRICT_SINGULAR
              ? REGIO_ERROR(ctx, REGIO_ERR_NUMERIC, "the regional I - A of district %d is singular", d + 1)
              : REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "LAPACK failed on the regional I - A of district %d", d + 1);
    goto cleanup;
  }
  *out = r;
  r = NULL;
cleanup:
  regio_io_regional_destroy(&r);
  free(ec);
  free(national_emp);
  free(status);
  return err;
}
