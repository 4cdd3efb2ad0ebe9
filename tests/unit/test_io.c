/* Unit tests of the national input-output analysis (regio/io.h) against published numbers
 * (Miller & Blair 2009, ch. 2) and independent hand-coded computations (closed-form 2x2 and 3x3
 * inverses, Gaussian elimination), never against the code under test. */
#include "regio/io.h"
#include "testing.h"

/* Plain Gaussian elimination with partial pivoting: solves the n x n row-major system in place
 * (a reference independent of LAPACK). */
static void gauss_solve(int n, double *a, double *b) {
  for (int k = 0; k < n; k++) {
    int p = k;
    for (int i = k + 1; i < n; i++)
      if (fabs(a[i * n + k]) > fabs(a[p * n + k])) p = i;
    for (int j = 0; j < n; j++) {
      double t = a[k * n + j];
      a[k * n + j] = a[p * n + j];
      a[p * n + j] = t;
    }
    double t = b[k];
    b[k] = b[p];
    b[p] = t;
    for (int i = k + 1; i < n; i++) {
      double f = a[i * n + k] / a[k * n + k];
      for (int j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
      b[i] -= f * b[k];
    }
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = b[i];
    for (int j = i + 1; j < n; j++) s -= a[i * n + j] * b[j];
    b[i] = s / a[i * n + i];
  }
}

/* Inverse of a 3x3 matrix by cofactors. */
static void inverse3(const double m[9], double inv[9]) {
  double c[9];
  c[0] = m[4] * m[8] - m[5] * m[7];
  c[1] = -(m[3] * m[8] - m[5] * m[6]);
  c[2] = m[3] * m[7] - m[4] * m[6];
  c[3] = -(m[1] * m[8] - m[2] * m[7]);
  c[4] = m[0] * m[8] - m[2] * m[6];
  c[5] = -(m[0] * m[7] - m[1] * m[6]);
  c[6] = m[1] * m[5] - m[2] * m[4];
  c[7] = -(m[0] * m[5] - m[2] * m[3]);
  c[8] = m[0] * m[4] - m[1] * m[3];
  double det = m[0] * c[0] + m[1] * c[1] + m[2] * c[2];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) inv[i * 3 + j] = c[j * 3 + i] / det; /* adjugate = cofactors transposed */
}

static void test_miller_blair(regio_ctx_t *ctx) {
  const double Z[4] = {150, 500, 200, 100}, x[2] = {1000, 2000};
  const double W[2] = {300, 400}, C[2] = {100, 200}, E[2] = {10, 30};
  const char *codes[2] = {"agriculture", "manufacturing"};
  regio_io_table_t *t = NULL;
  regio_io_national_t *r = NULL;
  REQUIRE(regio_io_table_create(2, codes, Z, x, W, E, C, ctx, &t) == REGIO_OK);
  regio_io_national_opts_t o = {1, 0};
  REQUIRE(regio_io_national_compute(t, &o, ctx, &r) == REGIO_OK);

  /* published L (Miller & Blair, ch. 2), 8-9 significant digits */
  CHECK_NEAR(r->L[0], 1.25412541, 1e-8);
  CHECK_NEAR(r->L[1], 0.330033, 1e-6);
  CHECK_NEAR(r->L[2], 0.2640264, 1e-7);
  CHECK_NEAR(r->L[3], 1.12211221, 1e-8);
  /* closed form: A = [[.15,.25],[.2,.05]], det(I - A) = 0.7575, L = adj / det */
  const double det = 0.85 * 0.95 - 0.25 * 0.2;
  const double L[4] = {0.95 / det, 0.25 / det, 0.2 / det, 0.85 / det};
  for (int k = 0; k < 4; k++) CHECK_NEAR(r->L[k], L[k], 1e-14);
  CHECK_NEAR(r->A[0], 0.15, 1e-15);
  CHECK_NEAR(r->A[1], 0.25, 1e-15);
  CHECK_NEAR(r->A[2], 0.2, 1e-15);
  CHECK_NEAR(r->A[3], 0.05, 1e-15);
  CHECK_NEAR(r->output_multiplier[0], L[0] + L[2], 1e-14);
  CHECK_NEAR(r->output_multiplier[1], L[1] + L[3], 1e-14);
  /* Ghosh: G = (I - B)^-1 with B = x^-1 Z = [[.15,.5],[.1,.05]], by its own closed form */
  const double detb = 0.85 * 0.95 - 0.5 * 0.1;
  const double G[4] = {0.95 / detb, 0.5 / detb, 0.1 / detb, 0.85 / detb};
  for (int k = 0; k < 4; k++) CHECK_NEAR(r->G[k], G[k], 1e-14);
  CHECK_NEAR(r->forward_total[0], G[0] + G[1], 1e-14);
  CHECK_NEAR(r->forward_total[1], G[2] + G[3], 1e-14);
  /* Chenery-Watanabe: column sums of A, row sums of B (not of A) */
  CHECK_NEAR(r->cw_backward[0], 0.35, 1e-15);
  CHECK_NEAR(r->cw_backward[1], 0.30, 1e-15);
  CHECK_NEAR(r->cw_forward[0], 0.65, 1e-15);
  CHECK_NEAR(r->cw_forward[1], 0.15, 1e-15);
  /* Rasmussen: multipliers (1.15, 1.10)/det, row sums of L (1.2, 1.05)/det, both over their mean */
  CHECK_NEAR(r->backward_linkage[0], 1.15 / 1.125, 1e-14);
  CHECK_NEAR(r->backward_linkage[1], 1.10 / 1.125, 1e-14);
  CHECK_NEAR(r->forward_linkage[0], 1.2 / 1.125, 1e-14);
  CHECK_NEAR(r->forward_linkage[1], 1.05 / 1.125, 1e-14);
  CHECK_INT(r->key_sector_class[0], REGIO_IO_KEY);
  CHECK_INT(r->key_sector_class[1], REGIO_IO_WEAK);
  /* extraction by hand: f = (I - A) x = (350, 1700); without sector 1, x2 = 1700 / 0.95 */
  CHECK_NEAR(r->extraction_loss[0], 3000 - 1700 / 0.95, 1e-12);
  CHECK_NEAR(r->extraction_loss[1], 3000 - 350 / 0.85, 1e-12);
  /* Type I: w = (0.3, 0.2), (w L)_j / w_j; e = (0.01, 0.015) */
  CHECK_NEAR(r->income_multiplier[0], (0.3 * L[0] + 0.2 * L[2]) / 0.3, 1e-14);
  CHECK_NEAR(r->income_multiplier[1], (0.3 * L[1] + 0.2 * L[3]) / 0.2, 1e-14);
  CHECK_NEAR(r->employment_multiplier[0], (0.01 * L[0] + 0.015 * L[2]) / 0.01, 1e-14);
  CHECK_NEAR(r->employment_multiplier[1], (0.01 * L[1] + 0.015 * L[3]) / 0.015, 1e-14);
  CHECK(r->value_added_multiplier == NULL);
  /* Type II: closed with households, inverse by cofactors */
  const double M3[9] = {1 - 0.15, -0.25, -100.0 / 700, -0.2, 1 - 0.05, -200.0 / 700, -0.3, -0.2, 1};
  double Li[9];
  inverse3(M3, Li);
  REQUIRE(r->type2_output_multiplier && r->type2_income_multiplier && r->type2_employment_multiplier);
  for (int j = 0; j < 2; j++) {
    const double wj = j ? 0.2 : 0.3, ej = j ? 0.015 : 0.01;
    CHECK_NEAR(r->type2_output_multiplier[j], Li[0 * 3 + j] + Li[1 * 3 + j], 1e-14);
    CHECK_NEAR(r->type2_income_multiplier[j], Li[2 * 3 + j] / wj, 1e-14);
    CHECK_NEAR(r->type2_employment_multiplier[j], (0.01 * Li[0 * 3 + j] + 0.015 * Li[1 * 3 + j]) / ej, 1e-14);
    CHECK(r->type2_income_multiplier[j] > r->income_multiplier[j]);
  }
  CHECK(r->rcond > 0.1 && r->rcond <= 1);
  regio_io_national_destroy(&r);
  CHECK(r == NULL);
  regio_io_national_destroy(&r); /* NULL is fine */

  /* sensitivity from the Ghosh inverse on request */
  o.full_inverse = 0;
  o.sensitivity_from_ghosh = 1;
  REQUIRE(regio_io_national_compute(t, &o, ctx, &r) == REGIO_OK);
  CHECK(r->L == NULL && r->G == NULL);
  double mean = (G[0] + G[1] + G[2] + G[3]) / 2;
  CHECK_NEAR(r->forward_linkage[0], (G[0] + G[1]) / mean, 1e-14);
  CHECK_NEAR(r->forward_linkage[1], (G[2] + G[3]) / mean, 1e-14);
  CHECK_NEAR(r->extraction_loss[0], 3000 - 1700 / 0.95, 1e-12);
  regio_io_national_destroy(&r);
  regio_io_table_destroy(&t);
  CHECK(t == NULL);
}

/* A deterministic n-sector table with realistic coefficients (column sums 0.2..0.7). */
static void generated_table(int n, unsigned seed, double *Z, double *x) {
  unsigned s = seed;
  for (int j = 0; j < n; j++) x[j] = 100 + (double)((s = s * 1103515245u + 12345u) >> 16 & 1023);
  for (int j = 0; j < n; j++) {
    double col = 0;
    for (int i = 0; i < n; i++) {
      s = s * 1103515245u + 12345u;
      double u = (double)(s >> 16 & 32767) / 32768.0;
      Z[i * n + j] = u < 0.3 ? 0 : u;
      col += Z[i * n + j];
    }
    double target = 0.2 + 0.5 * (double)j / n;
    for (int i = 0; i < n; i++) Z[i * n + j] *= col > 0 ? target * x[j] / col : 0;
  }
}

static void test_identities(regio_ctx_t *ctx) {
  enum { n = 7 };
  double Z[n * n], x[n];
  generated_table(n, 42, Z, x);
  x[3] = 0; /* a zero-output sector: its column of A is zero */
  for (int i = 0; i < n; i++) Z[i * n + 3] = 0;
  for (int j = 0; j < n; j++) Z[3 * n + j] = 0;
  regio_io_table_t *t = NULL;
  regio_io_national_t *r = NULL;
  REQUIRE(regio_io_table_create(n, NULL, Z, x, NULL, NULL, NULL, ctx, &t) == REGIO_OK);
  regio_io_national_opts_t o = {1, 0};
  REQUIRE(regio_io_national_compute(t, &o, ctx, &r) == REGIO_OK);
  CHECK_INT(r->n_zero_output, 1);
  CHECK_INT(r->zero_output[3], 1);
  for (int i = 0; i < n; i++) CHECK(r->A[i * n + 3] == 0);
  CHECK(isnan(r->forward_total[3]));
  CHECK(r->income_multiplier == NULL && r->type2_output_multiplier == NULL);
  double total = 0;
  for (int j = 0; j < n; j++) total += x[j];
  for (int j = 0; j < n; j++) {
    /* column sums of L from the transposed solve = those of the full inverse */
    double col = 0, row = 0, grow = 0;
    for (int i = 0; i < n; i++) col += r->L[i * n + j];
    CHECK_NEAR(r->output_multiplier[j], col, 1e-13);
    for (int k = 0; k < n; k++) row += r->L[j * n + k];
    (void)row;
    /* G = x^-1 L x and its row sums */
    if (x[j] > 0) {
      for (int k = 0; k < n; k++) {
        CHECK_NEAR(r->G[j * n + k], r->L[j * n + k] * x[k] / x[j], 1e-14);
        grow += r->G[j * n + k];
      }
      CHECK_NEAR(r->forward_total[j], grow, 1e-13);
    }
    /* L (I - A) = I */
    for (int k = 0; k < n; k++) {
      double s = 0;
      for (int m = 0; m < n; m++) s += r->L[j * n + m] * ((m == k) - r->A[m * n + k]);
      CHECK_NEAR(s, j == k ? 1.0 : 0.0, 1e-13);
    }
    /* extraction against a re-solve without sector j, by Gaussian elimination */
    double f[n], sub[n * n], rhs[n];
    for (int i = 0; i < n; i++) {
      f[i] = x[i];
      for (int k = 0; k < n; k++) f[i] -= r->A[i * n + k] * x[k];
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (i == j) continue;
      int c = 0;
      for (int k = 0; k < n; k++) {
        if (k == j) continue;
        sub[m * (n - 1) + c] = (i == k) - r->A[i * n + k];
        c++;
      }
      rhs[m++] = f[i];
    }
    gauss_solve(n - 1, sub, rhs);
    double left = 0;
    for (int i = 0; i < n - 1; i++) left += rhs[i];
    CHECK_NEAR(r->extraction_loss[j], total - left, 1e-10);
  }
  regio_io_national_destroy(&r);
  regio_io_table_destroy(&t);
}

static void test_errors(regio_ctx_t *ctx) {
  const char *codes[2] = {"agriculture", "manufacturing"};
  regio_io_table_t *t = NULL;
  regio_io_national_t *r = NULL;
  /* a column of A summing to 1.05 */
  const double Z1[4] = {150, 500, 900, 100}, x1[2] = {1000, 2000};
  REQUIRE(regio_io_table_create(2, codes, Z1, x1, NULL, NULL, NULL, ctx, &t) == REGIO_OK);
  CHECK_INT(regio_io_national_compute(t, NULL, ctx, &r), REGIO_ERR_NUMERIC);
  CHECK(r == NULL);
  CHECK_CONTAINS(regio_ctx_message(ctx), "'agriculture'");
  CHECK_CONTAINS(regio_ctx_message(ctx), ">= 1");
  regio_io_table_destroy(&t);
  /* column sums below 1 (negative flows) but I - A singular: rows proportional */
  const double Z2[4] = {2, 1, -1.5, -0.5}, x2[2] = {1, 1};
  REQUIRE(regio_io_table_create(2, codes, Z2, x2, NULL, NULL, NULL, ctx, &t) == REGIO_OK);
  CHECK_INT(regio_io_national_compute(t, NULL, ctx, &r), REGIO_ERR_NUMERIC);
  CHECK_CONTAINS(regio_ctx_message(ctx), "singular");
  CHECK_CONTAINS(regio_ctx_message(ctx), "sector '");
  regio_io_table_destroy(&t);
  /* near-singular */
  const double Z3[4] = {2, 1, -1.5, -0.5 + 1e-15}, x3[2] = {1, 1};
  REQUIRE(regio_io_table_create(2, codes, Z3, x3, NULL, NULL, NULL, ctx, &t) == REGIO_OK);
  CHECK_INT(regio_io_national_compute(t, NULL, ctx, &r), REGIO_ERR_NUMERIC);
  CHECK_CONTAINS(regio_ctx_message(ctx), "singular");
  regio_io_table_destroy(&t);
  /* negative output */
  const double x4[2] = {1000, -5};
  REQUIRE(regio_io_table_create(2, codes, Z1, x4, NULL, NULL, NULL, ctx, &t) == REGIO_OK);
  CHECK_INT(regio_io_national_compute(t, NULL, ctx, &r), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "'manufacturing'");
  regio_io_table_destroy(&t);
}

static void test_read(regio_ctx_t *ctx) {
  /* BOM, CRLF, quotes with a comma, label column not first, a TOTAL row and column, NA cells that
   * are not used */
  const char *csv =
      "\xef\xbb\xbfid,label,a,\"b,c\",TOTAL,hh,out\r\n"
      "1,a,150,500,650,40,1000\r\n"
      "2,\"b,c\",200,100,300,60,2000\r\n"
      "3,TOTAL,350,600,NA,NA,NA\r\n"
      "\r\n"
      "4,wages,300,400,NA,,\r\n"
      "5,gos,100,200,,,\r\n"
      "6,output,1000,2000,NA,NA,NA\r\n";
  const char *path = test_path("table.csv");
  test_write_text(path, csv);
  regio_io_read_opts_t o = {0};
  o.label_col = "label";
  o.output_row = "output";
  o.n_sectors = 2;
  o.compensation_row = "wages";
  const char *va[2] = {"wages", "gos"};
  o.value_added_rows = va;
  o.n_value_added_rows = 2;
  o.household_col = "hh";
  regio_io_table_t *t = NULL;
  REQUIRE(regio_io_table_read(path, &o, ctx, &t) == REGIO_OK);
  CHECK_INT(t->n, 2);
  CHECK_STR(t->sector_code[0], "a");
  CHECK_STR(t->sector_code[1], "b,c");
  CHECK(t->Z[0] == 150 && t->Z[1] == 500 && t->Z[2] == 200 && t->Z[3] == 100);
  CHECK(t->x[0] == 1000 && t->x[1] == 2000);
  CHECK(t->compensation[0] == 300 && t->compensation[1] == 400);
  CHECK(t->value_added[0] == 400 && t->value_added[1] == 600);
  CHECK(t->household[0] == 40 && t->household[1] == 60);
  CHECK_INT((int)strlen(t->sha256), 64);
  regio_io_table_destroy(&t);
  /* output as a column gives the same x */
  o.output_row = NULL;
  o.output_col = "out";
  REQUIRE(regio_io_table_read(path, &o, ctx, &t) == REGIO_OK);
  CHECK(t->x[0] == 1000 && t->x[1] == 2000);
  regio_io_table_destroy(&t);
  /* without the sector count, TOTAL joins the block and its NA is reported */
  o.n_sectors = 0;
  CHECK_INT(regio_io_table_read(path, &o, ctx, &t), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "table.csv:4: column 'TOTAL'");
  CHECK_CONTAINS(regio_ctx_message(ctx), "row 'TOTAL': \"NA\" is not a number");
  /* missing rows and columns, default label column (id: no match) */
  o.n_sectors = 2;
  o.output_col = "nope";
  CHECK_INT(regio_io_table_read(path, &o, ctx, &t), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "no output column 'nope'");
  o.output_col = NULL;
  o.output_row = "nope";
  CHECK_INT(regio_io_table_read(path, &o, ctx, &t), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "no output row 'nope' in column 'label'");
  o.output_row = "output";
  o.label_col = NULL;
  CHECK_INT(regio_io_table_read(path, &o, ctx, &t), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "no output row 'output' in column 'id'");
  CHECK_CONTAINS(regio_ctx_message(ctx), "--io-label-col");
  CHECK_INT(regio_io_table_read(test_path("missing.csv"), &o, ctx, &t), REGIO_ERR_IO);
  o.output_col = "out";
  CHECK_INT(regio_io_table_read(path, &o, ctx, &t), REGIO_ERR_USAGE);
  CHECK(t == NULL);
}

int main(void) {
  regio_ctx_t *ctx = NULL;
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_miller_blair(ctx);
  test_identities(ctx);
  test_errors(ctx);
  test_read(ctx);
  regio_ctx_destroy(&ctx);
  return test_summary("test_io");
}
