/* Regional input-output tables for every district by location-quotient regionalization (SLQ,
 * CILQ, FLQ, AFLQ; conventions, references and the two solvers in include/regio/io.h).
 *
 * Every district is independent: its quotients, its regional coefficients A^r and the three
 * vectors 1'L^r, L^r 1 and e L^r, either from one LU of I - A^r (district_lu, the reference) or by
 * Jacobi sweeps over the sectors present in the district (district_iterative, the default). The
 * districts are shared among OpenMP threads, each with its own buffers, and each district's
 * results are computed entirely by one thread in a fixed order, so they are bitwise the same for
 * any thread count (there is no reduction across districts). */
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "regio/dist.h"
#include "regio/io.h"
#include "regio/memory.h"

regio_io_regional_opts_t regio_io_regional_opts_default(void) {
  regio_io_regional_opts_t o = {REGIO_IO_FLQ, REGIO_IO_FLQ_DELTA_DEFAULT, REGIO_IO_SOLVER_ITERATIVE, 0, 0};
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

int regio_io_solver_parse(const char *name) {
  if (!name) return -1;
  if (strcasecmp(name, "iterative") == 0) return REGIO_IO_SOLVER_ITERATIVE;
  if (strcasecmp(name, "lu") == 0) return REGIO_IO_SOLVER_LU;
  return -1;
}

const char *regio_io_solver_name(regio_io_solver_t solver) {
  return solver == REGIO_IO_SOLVER_LU ? "lu" : "iterative";
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
  free(r->solver_sweeps);
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
enum { DISTRICT_OK = 0, DISTRICT_SINGULAR = 1, DISTRICT_LAPACK = 2, DISTRICT_NOMEM = 3, DISTRICT_SLOW = 4 };

/* What every district shares (read-only in the parallel loop). */
typedef struct regional_job {
  int n;
  const double *A;  /* national coefficients, row-major n x n (supplier rows) */
  const double *ec; /* national employment coefficients, or NULL */
  regio_io_regional_method_t method;
  int max_sweeps;
} regional_job_t;

/* One thread's buffers and one district's inputs and outputs. */
typedef struct district_work {
  /* buffers (per thread) */
  double *M;         /* n x n: I - A^r (LU) or the p x p block A^r_PP (iterative) */
  double *rhs;       /* 3n */
  double *next;      /* 3n */
  double *row;       /* n: one row of A^r */
  double *col_scale; /* n: 1 for the sectors the district lacks (iterative) */
  double *slq;       /* n */
  double *c;         /* 2n: row sums of A^r over the absent columns, row scales */
  int *present;      /* n: the sectors with employment */
  lapack_int *ipiv;  /* n */
  /* the district */
  const double *re;
  double lambda;
  /* results: pointers into the result matrices */
  double *om, *fl, *em_sum; /* em_sum: e L^r (divided by e afterwards) */
  int sweeps;
  double flops;
} district_work_t;

/* M = I - A^r (column-major) for the LU path, with quotient() for every entry. */
static int district_lu(const regional_job_t *job, district_work_t *w) {
  int n = job->n;
  size_t N = (size_t)n;
  double *M = w->M;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < n; i++) {
      double q = quotient(job->method, w->slq, w->re, w->lambda, i, j);
      double a = job->A[(size_t)i * N + (size_t)j] * (q < 1 ? q : 1);
      M[(size_t)j * N + (size_t)i] = (i == j) - a;
    }
  lapack_int info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, M, n, w->ipiv);
  if (info != 0) return info > 0 ? DISTRICT_SINGULAR : DISTRICT_LAPACK;
  int nrhs_t = job->ec ? 2 : 1;
  double *yt = w->rhs, *zn = w->rhs + 2 * N;
  for (int j = 0; j < n; j++) {
    yt[j] = 1;
    if (job->ec) yt[N + (size_t)j] = job->ec[j];
    zn[j] = 1;
  }
  if (LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'T', n, nrhs_t, M, n, w->ipiv, yt, n) != 0 ||
      LAPACKE_dgetrs(LAPACK_COL_MAJOR, 'N', n, 1, M, n, w->ipiv, zn, n) != 0)
    return DISTRICT_LAPACK;
  memcpy(w->om, yt, N * sizeof(double));
  memcpy(w->fl, zn, N * sizeof(double));
  if (job->ec) memcpy(w->em_sum, yt + N, N * sizeof(double));
  w->sweeps = 0;
  w->flops += 2.0 / 3.0 * (double)n * n * n + 2.0 * (double)n * n * (nrhs_t + 1);
  return DISTRICT_OK;
}

/* max |v_k| and max |v_k - u_k| over k < p */
static void norms(const double *v, const double *u, int p, double *vmax, double *dmax) {
  double a = 0, b = 0;
  for (int k = 0; k < p; k++) {
    double x = fabs(v[k]), d = fabs(v[k] - u[k]);
    a = x > a ? x : a;
    b = d > b ? d : b;
  }
  *vmax = a;
  *dmax = b;
}

/* Four doubles in GCC's vector extension: element-wise IEEE arithmetic, so a lane computes the same
 * bits as the scalar expression it stands for (no fused multiply-add: -ffp-contract=off). The type
 * asks for the alignment of a double only, so V4(p) loads and stores at any double's address. */
typedef double v4d __attribute__((vector_size(32), aligned(8)));
#define V4(p) (*(v4d *)(p))

/* The dot product of row r with z from four partial sums, the lanes of *s (j mod 4, j < p4): the
 * tail j >= p4 goes into the first, then (s0 + s1) + (s2 + s3). Every dot product here is summed
 * this way, in the vector and in the baseline code alike. */
static inline double dot_finish(const v4d *s, const double *r, const double *z, int p4, int p) {
  double s0 = (*s)[0];
  for (int l = p4; l < p; l++) s0 += r[l] * z[l];
  return (s0 + (*s)[1]) + ((*s)[2] + (*s)[3]);
}

/* One Jacobi sweep over the p x p block R (row-major): zn_k = 1 + c_k + R_k. z,
 * yn = 1 + R' y, and with ye (nonnull) yen = e + R' ye, where yn, yen hold 1 and e on entry.
 * Each zn_k is summed as in dot_finish; each yn_l and yen_l adds its terms in the order of k. Rows are taken
 * four at a time, so yn and yen are loaded and stored once per four rows, with the same sums in
 * the same order as one row at a time. Built for AVX2 and for the baseline, with the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
sweep(const double *R, int p, const double *c, const double *z, const double *y, const double *ye, double *zn,
      double *yn, double *yen) {
  const size_t P = (size_t)p;
  const int p4 = p & ~3;
  int k = 0;
  for (; k + 4 <= p; k += 4) {
    const double *r0 = R + (size_t)k * P, *r1 = r0 + P, *r2 = r1 + P, *r3 = r2 + P;
    const double y0 = y[k], y1 = y[k + 1], y2 = y[k + 2], y3 = y[k + 3];
    const double e0 = ye ? ye[k] : 0, e1 = ye ? ye[k + 1] : 0, e2 = ye ? ye[k + 2] : 0, e3 = ye ? ye[k + 3] : 0;
    v4d s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    for (int l = 0; l < p4; l += 4) {
      const v4d a0 = V4(r0 + l), a1 = V4(r1 + l), a2 = V4(r2 + l), a3 = V4(r3 + l), zl = V4(z + l);
      s0 += a0 * zl, s1 += a1 * zl, s2 += a2 * zl, s3 += a3 * zl;
      v4d t = V4(yn + l);
      t += a0 * y0, t += a1 * y1, t += a2 * y2, t += a3 * y3;
      V4(yn + l) = t;
      if (ye) {
        v4d u = V4(yen + l);
        u += a0 * e0, u += a1 * e1, u += a2 * e2, u += a3 * e3;
        V4(yen + l) = u;
      }
    }
    for (int l = p4; l < p; l++) {
      yn[l] += r0[l] * y0, yn[l] += r1[l] * y1, yn[l] += r2[l] * y2, yn[l] += r3[l] * y3;
      if (ye) yen[l] += r0[l] * e0, yen[l] += r1[l] * e1, yen[l] += r2[l] * e2, yen[l] += r3[l] * e3;
    }
    zn[k] = 1 + c[k] + dot_finish(&s0, r0, z, p4, p);
    zn[k + 1] = 1 + c[k + 1] + dot_finish(&s1, r1, z, p4, p);
    zn[k + 2] = 1 + c[k + 2] + dot_finish(&s2, r2, z, p4, p);
    zn[k + 3] = 1 + c[k + 3] + dot_finish(&s3, r3, z, p4, p);
  }
  for (; k < p; k++) {
    const double *rk = R + (size_t)k * P;
    const double yk = y[k], ek = ye ? ye[k] : 0;
    v4d s = {0, 0, 0, 0};
    for (int l = 0; l < p4; l += 4) {
      const v4d a = V4(rk + l);
      s += a * V4(z + l);
      V4(yn + l) += a * yk;
      if (ye) V4(yen + l) += a * ek;
    }
    for (int l = p4; l < p; l++) {
      yn[l] += rk[l] * yk;
      if (ye) yen[l] += rk[l] * ek;
    }
    zn[k] = 1 + c[k] + dot_finish(&s, rk, z, p4, p);
  }
}

/* out[j] += a_0[j] x_0 + ... + a_{m-1}[j] x_{m-1} for j < n, the terms added in the order of the
 * rows rows[0..m) of A (row-major, n columns); four rows a pass, so out is loaded and stored once
 * per four rows, with the same sums as one row at a time. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
add_rows(const double *A, size_t n, const int *rows, const double *x, int m, double *out) {
  const size_t n4 = n & ~(size_t)3;
  int k = 0;
  for (; k + 4 <= m; k += 4) {
    const double *a0 = A + (size_t)rows[k] * n, *a1 = A + (size_t)rows[k + 1] * n, *a2 = A + (size_t)rows[k + 2] * n,
                 *a3 = A + (size_t)rows[k + 3] * n;
    const double x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
    for (size_t j = 0; j < n4; j += 4) {
      v4d t = V4(out + j);
      t += V4(a0 + j) * x0, t += V4(a1 + j) * x1, t += V4(a2 + j) * x2, t += V4(a3 + j) * x3;
      V4(out + j) = t;
    }
    for (size_t j = n4; j < n; j++)
      out[j] += a0[j] * x0, out[j] += a1[j] * x1, out[j] += a2[j] * x2, out[j] += a3[j] * x3;
  }
  for (; k < m; k++) {
    const double *a = A + (size_t)rows[k] * n;
    for (size_t j = 0; j < n; j++) out[j] += a[j] * x[k];
  }
}

/* Row k of the block R: rk[l] = a[present[l]] min(s f_l, 1) for l < p (the diagonal is set
 * after); returns the row's sum over the absent columns, sum_j a[j] absent[j] (as in
 * dot_finish). min(q, 1) is q < 1 ? q : 1, taken lane by lane with a mask (the same bits). */
typedef long long v4i __attribute__((vector_size(32), aligned(8)));
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static double
build_row(const double *a, const int *present, const double *f, double s, int p, const double *absent, int n,
          double *rk) {
  const v4d one = {1, 1, 1, 1};
  int l = 0;
  for (; l + 4 <= p; l += 4) {
    const v4d q = s * V4(f + l);
    const v4i lt = q < one;
    const v4d m = (v4d)(((v4i)q & lt) | ((v4i)one & ~lt));
    const v4d g = {a[present[l]], a[present[l + 1]], a[present[l + 2]], a[present[l + 3]]};
    V4(rk + l) = g * m;
  }
  for (; l < p; l++) {
    double q = s * f[l];
    rk[l] = a[present[l]] * (q < 1 ? q : 1);
  }
  const int n4 = n & ~3;
  v4d acc = {0, 0, 0, 0};
  for (int j = 0; j < n4; j += 4) acc += V4(a + j) * V4(absent + j);
  return dot_finish(&acc, a, absent, n4, n);
}

/* The iterative solver (see io.h): Jacobi sweeps over the p x p block of the present sectors.
 * Returns DISTRICT_SLOW when the bound is not met within job->max_sweeps.
 *
 * The quotients: Q_ij = s_i f_j off the diagonal and quotient() on it, with for CILQ, FLQ and AFLQ
 * s_i = lambda SLQ_i (lambda = 1 for CILQ) and f_j = [log2(1 + SLQ_j) where AFLQ and SLQ_j > 1] /
 * SLQ_j; for SLQ s_i = SLQ_i and f_j = 1. In the column of an absent buyer j, min(Q_ij, 1) is 1
 * (CILQ, FLQ, AFLQ) or min(SLQ_i, 1) (SLQ): the row's scale for the absent columns, absent_scale_i,
 * so that those entries of A^r are national coefficients times one number per row. */
static int district_iterative(const regional_job_t *job, district_work_t *w) {
  int n = job->n, p = 0;
  size_t N = (size_t)n;
  const int have_e = job->ec != NULL;
  const int slq_method = job->method == REGIO_IO_SLQ;
  double *absent = w->col_scale; /* 1 for a sector the district lacks, 0 otherwise */
  for (int i = 0; i < n; i++) {
    absent[i] = w->re[i] > 0 ? 0 : 1;
    if (w->re[i] > 0) w->present[p++] = i;
  }
  size_t P = (size_t)p;
  double *fp = w->row, *row_scale = w->c + N; /* f of the present sectors, in the order of P */
  for (int l = 0; l < p; l++) {
    int j = w->present[l];
    double f = 1;
    if (!slq_method) {
      f = 1 / w->slq[j];
      if (job->method == REGIO_IO_AFLQ && w->slq[j] > 1) f *= log2(1 + w->slq[j]);
    }
    fp[l] = f;
  }
  /* The block R = A^r_PP (row-major p x p) and c_k = the row's sum over the absent columns. */
  double *R = w->M;
  for (int k = 0; k < p; k++) {
    int i = w->present[k];
    const double *a = job->A + (size_t)i * N;
    double *rk = R + (size_t)k * P;
    double s = slq_method ? w->slq[i] : w->lambda * w->slq[i];
    double absent_sum = build_row(a, w->present, fp, s, p, absent, n, rk);
    double q = quotient(job->method, w->slq, w->re, w->lambda, i, i);
    rk[k] = a[i] * (q < 1 ? q : 1);
    row_scale[k] = slq_method ? (w->slq[i] < 1 ? w->slq[i] : 1) : 1;
    w->c[k] = row_scale[k] * absent_sum;
  }
  w->flops += 3.0 * (double)p * p + 2.0 * (double)p * n;

  /* Sweeps: v = (y, y_e, z) restricted to P, stored as rhs[0..p), rhs[N..), rhs[2N..). */
  double *y = w->rhs, *ye = w->rhs + N, *z = w->rhs + 2 * N;
  double *yn = w->next, *yen = w->next + N, *zn = w->next + 2 * N;
  for (int k = 0; k < p; k++) {
    y[k] = 1;
    ye[k] = have_e ? job->ec[w->present[k]] : 0;
    z[k] = 1;
  }
  int sweeps = 0, converged = 0;
  while (sweeps < job->max_sweeps) {
    for (int l = 0; l < p; l++) {
      yn[l] = 1;
      yen[l] = have_e ? job->ec[w->present[l]] : 0;
    }
    sweep(R, p, w->c, z, y, have_e ? ye : NULL, zn, yn, yen);
    sweeps++;
    /* error of the old iterate <= ||L^r||_inf ||new - old||, ||L^r||_inf ~ max of the new z
     * (for y, y_e: the max of the new y); see io.h */
    double ymax, dy, yemax = 0, dye = 0, zmax, dz;
    norms(yn, y, p, &ymax, &dy);
    norms(zn, z, p, &zmax, &dz);
    if (have_e) norms(yen, ye, p, &yemax, &dye);
    double *t;
    t = y, y = yn, yn = t;
    t = ye, ye = yen, yen = t;
    t = z, z = zn, zn = t;
    if (ymax * dy <= REGIO_IO_ITERATIVE_TOL * ymax && zmax * dz <= REGIO_IO_ITERATIVE_TOL * zmax &&
        (!have_e || ymax * dye <= REGIO_IO_ITERATIVE_TOL * yemax)) {
      converged = 1;
      break;
    }
  }
  w->flops += (double)sweeps * 2.0 * (double)p * p * (have_e ? 3 : 2);
  w->sweeps = sweeps;
  if (!converged) return DISTRICT_SLOW;

  /* The whole vectors: absent sectors supply nothing (z = 1); their multipliers collect the
   * present suppliers' rows, which in the absent columns are national rows times row_scale. */
  for (int j = 0; j < n; j++) {
    w->om[j] = 1;
    w->fl[j] = 1;
    if (have_e) w->em_sum[j] = job->ec[j];
  }
  double *xs = w->row; /* the rows' factors (fp is no longer needed) */
  for (int k = 0; k < p; k++) xs[k] = y[k] * row_scale[k];
  add_rows(job->A, N, w->present, xs, p, w->om);
  if (have_e) {
    for (int k = 0; k < p; k++) xs[k] = ye[k] * row_scale[k];
    add_rows(job->A, N, w->present, xs, p, w->em_sum);
  }
  /* the present sectors take their converged values (the sums above were for the absent ones) */
  for (int k = 0; k < p; k++) {
    int i = w->present[k];
    w->om[i] = y[k];
    w->fl[i] = z[k];
    if (have_e) w->em_sum[i] = ye[k];
  }
  w->flops += (double)p * n * (have_e ? 4 : 2);
  return DISTRICT_OK;
}

regio_err_t regio_io_regional_compute(const regio_io_table_t *table, const regio_io_national_t *national,
                                      int n_districts, const double *employment, const regio_io_regional_opts_t *opts,
                                      regio_ctx_t *ctx, regio_io_regional_t **out) {
  REGIO_CHECK(ctx, table && national && out && table->n >= 1 && national->n == table->n, REGIO_ERR_USAGE,
              "regionalization needs a national IO table and its analysis");
  regio_dist_t *dist = regio_ctx_dist(ctx);
  /* distributed: a rank may hold no district of its own */
  REGIO_CHECK(ctx, (n_districts >= 1 || (regio_dist_size(dist) > 1 && n_districts == 0)) && employment, REGIO_ERR_USAGE,
              "regionalization needs at least one district");
  *out = NULL;
  regio_io_regional_opts_t o = opts ? *opts : regio_io_regional_opts_default();
  if (o.method == 0) o.method = REGIO_IO_FLQ;
  REGIO_CHECK(ctx, o.method >= REGIO_IO_SLQ && o.method <= REGIO_IO_AFLQ, REGIO_ERR_USAGE,
              "unknown regionalization method %d", (int)o.method);
  REGIO_CHECK(ctx, isfinite(o.delta) && o.delta >= 0, REGIO_ERR_USAGE,
              "the FLQ delta must be a finite number >= 0 (it is %g)", o.delta);
  REGIO_CHECK(ctx, o.solver == REGIO_IO_SOLVER_ITERATIVE || o.solver == REGIO_IO_SOLVER_LU, REGIO_ERR_USAGE,
              "unknown regional solver %d", (int)o.solver);
  REGIO_CHECK(ctx, o.max_sweeps >= 0, REGIO_ERR_USAGE, "the maximum number of sweeps must be >= 0 (it is %d)",
              o.max_sweeps);
  if (o.max_sweeps == 0) o.max_sweeps = REGIO_IO_ITERATIVE_MAX_SWEEPS;
  int n = table->n, D = n_districts;
  size_t N = (size_t)n, DN = (size_t)D * N;
  const char *const *codes = (const char *const *)table->sector_code;

  regio_err_t err = REGIO_OK;
  for (int d = 0; d < D && !err; d++)
    for (int i = 0; i < n && !err; i++) {
      double e = employment[(size_t)d * N + (size_t)i];
      if (!(isfinite(e) && e >= 0))
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                          "the employment of district %d in IO sector '%s' is %g: it must be a finite number >= 0",
                          o.district_offset + d + 1, codes[i], e);
    }
  REGIO_TRY(regio_dist_agree(dist, err, ctx));

  double *ec = NULL, *national_emp = NULL, *flops = NULL;
  int *status = NULL;
  regio_io_regional_t *r = calloc(1, sizeof *r);
  /* this rank alone: the others' next collective call is the agreement below */
  if (!r)
    return regio_dist_agree(dist, REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the regional IO results"), ctx);
  r->n_districts = D;
  r->n = n;
  r->method = o.method;
  r->delta = o.delta;
  r->solver = o.solver;
  const size_t nDN = DN ? DN : 1, nD = D ? (size_t)D : 1;
  r->employment = malloc(nDN * sizeof(double));
  r->national_share = calloc(N, sizeof(double));
  r->lambda = malloc(nD * sizeof(double));
  r->empty_district = calloc(nD, sizeof(int));
  r->solver_sweeps = calloc(nD, sizeof(int));
  r->output_multiplier = malloc(nDN * sizeof(double));
  r->backward_linkage = malloc(nDN * sizeof(double));
  r->forward_linkage = malloc(nDN * sizeof(double));
  int have_e = table->employment != NULL;
  if (have_e) r->employment_multiplier = malloc(nDN * sizeof(double));
  ec = calloc(N, sizeof(double));
  national_emp = calloc(N, sizeof(double));
  status = calloc(nD, sizeof(int));
  flops = calloc(nD, sizeof(double));
  if (!r->employment || !r->national_share || !r->lambda || !r->empty_district || !r->solver_sweeps ||
      !r->output_multiplier || !r->backward_linkage || !r->forward_linkage || (have_e && !r->employment_multiplier) ||
      !ec || !national_emp || !status || !flops) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the regional tables of %d districts x %d sectors", D, n);
  }
  if ((err = regio_dist_agree(dist, err, ctx))) goto cleanup;
  double *const by_district[] = {r->employment, r->output_multiplier, r->backward_linkage, r->forward_linkage,
                                 r->employment_multiplier};
  for (size_t k = 0; k < sizeof by_district / sizeof *by_district; k++)
    regio_advise_huge(by_district[k], nDN * sizeof(double)); /* (NULL is skipped) */
  if (DN) memcpy(r->employment, employment, DN * sizeof(double));

  /* The nation as the sum of the districts, in district order (independent of the threads; in the
   * distributed mode the running sums pass from rank to rank, so they are the same numbers). */
  double total = 0;
  if ((err = regio_dist_chain_receive(dist, national_emp, N * sizeof(double), ctx))) goto cleanup;
  for (int d = 0; d < D; d++)
    for (int i = 0; i < n; i++) national_emp[i] += employment[(size_t)d * N + (size_t)i];
  if ((err = regio_dist_chain_send(dist, national_emp, N * sizeof(double), ctx))) goto cleanup;
  if ((err = regio_dist_bcast(dist, national_emp, N * sizeof(double), regio_dist_size(dist) - 1, ctx))) goto cleanup;
  for (int i = 0; i < n; i++) total += national_emp[i];
  if (!(total > 0)) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "the districts have no employment in any IO sector: there is no nation to regionalize from");
    goto cleanup;
  }
  for (int i = 0; i < n; i++) r->national_share[i] = national_emp[i] / total;
  if (have_e)
    for (int j = 0; j < n; j++) ec[j] = table->x[j] > 0 ? table->employment[j] / table->x[j] : 0;

  regional_job_t job = {n, national->A, have_e ? ec : NULL, o.method, o.max_sweeps};
  const double *share = r->national_share;
  double delta = o.delta;
  regio_io_solver_t solver = o.solver;
  int threads = regio_ctx_threads(ctx);

#pragma omp parallel num_threads(threads) shared(job, share, delta, solver, employment, r, status, flops, N, D, total)
  {
    /* LAPACK single-threaded inside: OpenBLAS's OpenMP build threads a call made outside an
     * active parallel region (a team of one is inactive) with omp_get_max_threads() threads,
     * which for the many small LUs of this loop is slower (and, with other processes busy,
     * catastrophically so: 0.07 instead of 19 GFLOP/s measured for n = 381). */
    omp_set_num_threads(1);
    district_work_t w;
    memset(&w, 0, sizeof w);
    w.M = malloc(N * N * sizeof(double));
    w.rhs = malloc(3 * N * sizeof(double));
    w.next = malloc(3 * N * sizeof(double));
    w.row = malloc(N * sizeof(double));
    w.col_scale = malloc(N * sizeof(double));
    w.slq = malloc(N * sizeof(double));
    w.c = malloc(2 * N * sizeof(double)); /* c, then the row scales */
    w.present = malloc(N * sizeof(int));
    w.ipiv = malloc(N * sizeof(lapack_int));
    double *em_sum = malloc(N * sizeof(double));
    int ok = w.M && w.rhs && w.next && w.row && w.col_scale && w.slq && w.c && w.present && w.ipiv && em_sum;
#pragma omp for schedule(dynamic, 1)
    for (int d = 0; d < D; d++) {
      const double *re = employment + (size_t)d * N;
      double *om = r->output_multiplier + (size_t)d * N, *bl = r->backward_linkage + (size_t)d * N;
      double *fl = r->forward_linkage + (size_t)d * N;
      double *em = have_e ? r->employment_multiplier + (size_t)d * N : NULL;
      double tre = 0;
      for (int i = 0; i < job.n; i++) tre += re[i];
      r->lambda[d] = NAN;
      if (!(tre > 0)) {
        r->empty_district[d] = 1;
        for (int j = 0; j < job.n; j++) {
          om[j] = bl[j] = fl[j] = NAN;
          if (em) em[j] = NAN;
        }
        continue;
      }
      if (!ok) {
        status[d] = DISTRICT_NOMEM;
        continue;
      }
      w.lambda = 1;
      if (job.method == REGIO_IO_FLQ || job.method == REGIO_IO_AFLQ) {
        w.lambda = pow(log2(1 + tre / total), delta);
        r->lambda[d] = w.lambda;
      }
      for (int i = 0; i < job.n; i++) w.slq[i] = re[i] > 0 ? (re[i] / tre) / share[i] : 0;
      w.re = re;
      w.om = om;
      w.fl = bl; /* L^r 1 lands in bl for now: fl takes it normalised below */
      w.em_sum = em_sum;
      w.flops = 0;
      int st = solver == REGIO_IO_SOLVER_LU ? DISTRICT_SLOW : district_iterative(&job, &w);
      if (st == DISTRICT_SLOW) st = district_lu(&job, &w);
      r->solver_sweeps[d] = w.sweeps;
      flops[d] = w.flops;
      if (st != DISTRICT_OK) {
        status[d] = st;
        continue;
      }
      normalise_mean(bl, job.n, fl);
      normalise_mean(om, job.n, bl);
      if (em)
        for (int j = 0; j < job.n; j++) em[j] = ec[j] != 0 ? em_sum[j] / ec[j] : NAN;
    }
    free(w.M);
    free(w.rhs);
    free(w.next);
    free(w.row);
    free(w.col_scale);
    free(w.slq);
    free(w.c);
    free(w.present);
    free(w.ipiv);
    free(em_sum);
  }

  for (int d = 0; d < D; d++) {
    r->n_empty_districts += r->empty_district[d];
    r->flops += flops[d];
    if (solver == REGIO_IO_SOLVER_ITERATIVE && !r->empty_district[d] && r->solver_sweeps[d] == 0 &&
        status[d] == DISTRICT_OK)
      r->n_lu_fallbacks++;
    if (status[d] == DISTRICT_OK) continue;
    const int number = o.district_offset + d + 1;
    err = status[d] == DISTRICT_NOMEM ? REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the regional work buffers")
          : status[d] == DISTRICT_SINGULAR
              ? REGIO_ERROR(ctx, REGIO_ERR_NUMERIC, "the regional I - A of district %d is singular", number)
              : REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "LAPACK failed on the regional I - A of district %d", number);
    break;
  }
  /* the first failing district over all ranks; counts over all ranks */
  if ((err = regio_dist_agree(dist, err, ctx))) goto cleanup;
  {
    int64_t counts[2] = {r->n_empty_districts, r->n_lu_fallbacks};
    if ((err = regio_dist_allreduce_i64(dist, counts, 2, REGIO_DIST_SUM, NULL, ctx))) goto cleanup;
    r->n_empty_districts = (int)counts[0];
    r->n_lu_fallbacks = (int)counts[1];
  }
  *out = r;
  r = NULL;
cleanup:
  regio_io_regional_destroy(&r);
  free(ec);
  free(national_emp);
  free(status);
  free(flops);
  return err;
}
