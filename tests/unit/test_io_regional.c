/* Unit tests of the regionalization (regio_io_regional_compute) on a 2-sector table worked by
 * hand: the location quotients written out for each district and the 2x2 inverse in closed form,
 * never the code under test. */
#include "regio/io.h"
#include "testing.h"

#define CLOSE(got, want, tol)                                                                                \
  CHECKF(fabs((got) - (want)) <= (tol) * (fabs(want) > 1 ? fabs(want) : 1), "%.17g vs %.17g", (double)(got), \
         (double)(want))

/* Column sums (output multipliers) and row sums of (I - a)^-1 for a 2x2 a, in closed form. */
static void leontief2(const double a[4], double colsum[2], double rowsum[2]) {
  double m00 = 1 - a[0], m01 = -a[1], m10 = -a[2], m11 = 1 - a[3];
  double det = m00 * m11 - m01 * m10;
  double l00 = m11 / det, l01 = -m01 / det, l10 = -m10 / det, l11 = m00 / det;
  colsum[0] = l00 + l10;
  colsum[1] = l01 + l11;
  rowsum[0] = l00 + l01;
  rowsum[1] = l10 + l11;
}

/* Miller & Blair's 2-sector table: A = [[0.15, 0.25], [0.2, 0.05]], x = [1000, 2000]; sector
 * employment 100 and 50 (coefficients 0.1 and 0.025). Districts: [30, 10], [20, 40], [0, 0]; the
 * nation [50, 50], TNE = 100. District 1: TRE = 40, SLQ = [1.5, 0.5],
 * lambda* = log2(1.4)^0.25 = 0.8347010186384519. */
static void test_two_sectors(regio_ctx_t *ctx) {
  const double Z[4] = {150, 500, 200, 100}, x[2] = {1000, 2000}, emp[2] = {100, 50};
  const double A[4] = {0.15, 0.25, 0.2, 0.05};
  const double district_emp[6] = {30, 10, 20, 40, 0, 0};
  regio_io_table_t *t = NULL;
  regio_io_national_t *nat = NULL;
  REQUIRE(regio_io_table_create(2, NULL, Z, x, NULL, emp, NULL, ctx, &t) == REGIO_OK);
  REQUIRE(regio_io_national_compute(t, NULL, ctx, &nat) == REGIO_OK);
  const double lambda1 = 0.8347010186384519;
  /* district 2: TRE = 60, SLQ = [(20/60)/0.5, (40/60)/0.5] = [2/3, 4/3], lambda* = log2(1.6)^0.25 */
  const double lambda2 = pow(log2(1.6), 0.25);
  const double s2[2] = {2.0 / 3.0, 4.0 / 3.0};

  for (int m = REGIO_IO_SLQ; m <= REGIO_IO_AFLQ; m++) {
    double q1[4], q2[4];
    switch (m) {
      case REGIO_IO_SLQ:
        q1[0] = q1[1] = 1.5;
        q1[2] = q1[3] = 0.5;
        q2[0] = q2[1] = s2[0];
        q2[2] = q2[3] = s2[1];
        break;
      case REGIO_IO_CILQ:
        q1[0] = 1.5, q1[1] = 3, q1[2] = 1.0 / 3.0, q1[3] = 0.5;
        q2[0] = s2[0], q2[1] = 0.5, q2[2] = 2, q2[3] = s2[1];
        break;
      case REGIO_IO_FLQ:
        q1[0] = lambda1 * 1.5, q1[1] = lambda1 * 3, q1[2] = lambda1 / 3.0, q1[3] = lambda1 * 0.5;
        q2[0] = lambda2 * s2[0], q2[1] = lambda2 * 0.5, q2[2] = lambda2 * 2, q2[3] = lambda2 * s2[1];
        break;
      default: /* AFLQ: FLQ times log2(1 + SLQ_j) in the columns of buyers with SLQ_j > 1 */
        q1[0] = lambda1 * 1.5 * log2(2.5), q1[1] = lambda1 * 3, q1[2] = lambda1 / 3.0 * log2(2.5),
        q1[3] = lambda1 * 0.5;
        q2[0] = lambda2 * s2[0], q2[1] = lambda2 * 0.5 * log2(1 + s2[1]), q2[2] = lambda2 * 2,
        q2[3] = lambda2 * s2[1] * log2(1 + s2[1]);
        break;
    }
    regio_io_regional_opts_t o = regio_io_regional_opts_default();
    o.method = (regio_io_regional_method_t)m;
    regio_io_regional_t *r = NULL;
    regio_ctx_set_threads(ctx, 1);
    CHECK_INT(regio_io_regional_compute(t, nat, 3, district_emp, &o, ctx, &r), REGIO_OK);
    if (!r) continue;
    const double *qs[2] = {q1, q2};
    for (int d = 0; d < 2; d++) {
      double ar[4], cs[2], rs[2];
      for (int k = 0; k < 4; k++) ar[k] = A[k] * (qs[d][k] < 1 ? qs[d][k] : 1);
      leontief2(ar, cs, rs);
      double mc = (cs[0] + cs[1]) / 2, mr = (rs[0] + rs[1]) / 2;
      for (int j = 0; j < 2; j++) {
        CLOSE(r->output_multiplier[d * 2 + j], cs[j], 1e-13);
        CLOSE(r->backward_linkage[d * 2 + j], cs[j] / mc, 1e-13);
        CLOSE(r->forward_linkage[d * 2 + j], rs[j] / mr, 1e-13);
      }
      /* employment multiplier (e L)_j / e_j with e = [0.1, 0.025] */
      double m00 = 1 - ar[0], m01 = -ar[1], m10 = -ar[2], m11 = 1 - ar[3];
      double det = m00 * m11 - m01 * m10;
      double l00 = m11 / det, l01 = -m01 / det, l10 = -m10 / det, l11 = m00 / det;
      REQUIRE(r->employment_multiplier != NULL);
      CLOSE(r->employment_multiplier[d * 2 + 0], (0.1 * l00 + 0.025 * l10) / 0.1, 1e-13);
      CLOSE(r->employment_multiplier[d * 2 + 1], (0.1 * l01 + 0.025 * l11) / 0.025, 1e-13);
    }
    if (m == REGIO_IO_FLQ) {
      /* the worked example, district 1: a^r = [[0.15, 0.25], [0.2 lambda/3, 0.05 lambda/2]] =
       * [[0.15, 0.25], [0.0556467, 0.0208675]] (both first-row quotients exceed 1); multipliers
       * and row sums of its inverse to 9 decimals (worked separately) */
      CLOSE(r->output_multiplier[0], 1.264468805, 1e-9);
      CLOSE(r->output_multiplier[1], 1.344166633, 1e-9);
      CLOSE(r->forward_linkage[0], 1.501962599 / ((1.501962599 + 1.106672838) / 2), 1e-9);
    }
    /* district 3 has no employment: NaN results */
    CHECK_INT(r->empty_district[2], 1);
    CHECK_INT(r->n_empty_districts, 1);
    for (int j = 0; j < 2; j++) CHECK(isnan(r->output_multiplier[4 + j]) && isnan(r->forward_linkage[4 + j]));
    if (m == REGIO_IO_FLQ || m == REGIO_IO_AFLQ)
      CLOSE(r->lambda[0], lambda1, 1e-15);
    else
      CHECK(isnan(r->lambda[0]));

    /* the same for any thread count, bit for bit */
    regio_io_regional_t *r3 = NULL;
    regio_ctx_set_threads(ctx, 3);
    CHECK_INT(regio_io_regional_compute(t, nat, 3, district_emp, &o, ctx, &r3), REGIO_OK);
    if (r3) {
      CHECK(memcmp(r->output_multiplier, r3->output_multiplier, 6 * sizeof(double)) == 0);
      CHECK(memcmp(r->forward_linkage, r3->forward_linkage, 6 * sizeof(double)) == 0);
    }
    regio_io_regional_destroy(&r3);
    regio_io_regional_destroy(&r);
    CHECK(r == NULL);
  }

  /* a district without a sector: the row of that sector is zero (it supplies nothing), the
   * column of the missing buyer keeps the national coefficient (CILQ = +inf capped at 1) */
  {
    const double emp2[4] = {10, 0, 10, 20};
    regio_io_regional_opts_t o = {REGIO_IO_CILQ, 0.25};
    regio_io_regional_t *r = NULL;
    CHECK_INT(regio_io_regional_compute(t, nat, 2, emp2, &o, ctx, &r), REGIO_OK);
    if (r) {
      /* district 1: SLQ_1 = 1 / (20/40) = 2, SLQ_2 = 0: a^r = [[0.15 (min(2,1)), 0.25 (inf)], [0, 0]] */
      double ar[4] = {0.15, 0.25, 0, 0}, cs[2], rs[2];
      leontief2(ar, cs, rs);
      CLOSE(r->output_multiplier[0], cs[0], 1e-13);
      CLOSE(r->output_multiplier[1], cs[1], 1e-13);
    }
    regio_io_regional_destroy(&r);
  }

  /* errors */
  {
    regio_io_regional_t *r = NULL;
    const double bad[2] = {-1, 3}, none[2] = {0, 0};
    CHECK_INT(regio_io_regional_compute(t, nat, 1, bad, NULL, ctx, &r), REGIO_ERR_INPUT);
    CHECK_CONTAINS(regio_ctx_message(ctx), "district 1 in IO sector '1'");
    CHECK_INT(regio_io_regional_compute(t, nat, 1, none, NULL, ctx, &r), REGIO_ERR_INPUT);
    regio_io_regional_opts_t o = {REGIO_IO_FLQ, -1};
    CHECK_INT(regio_io_regional_compute(t, nat, 1, district_emp, &o, ctx, &r), REGIO_ERR_USAGE);
    CHECK(r == NULL);
  }
  CHECK_INT(regio_io_regional_method_parse("AFLQ"), REGIO_IO_AFLQ);
  CHECK_INT(regio_io_regional_method_parse("lq"), 0);
  CHECK_STR(regio_io_regional_method_name(REGIO_IO_CILQ), "CILQ");
  regio_io_national_destroy(&nat);
  regio_io_table_destroy(&t);
}

/* The concordance file: BOM, CRLF, quotes, spaces, blank lines; and its errors. */
static void test_sector_map(regio_ctx_t *ctx) {
  const char *path = test_path("map.csv");
  test_write_text(path,
                  "\xEF\xBB\xBFsector,io_sector\r\n01,AGR\r\n\r\n\"56\", \"HOTEL, bars\"\r\n 5612 ,FOOD\r\n62,-\r\n");
  regio_io_sector_map_t *m = NULL;
  CHECK_INT(regio_io_sector_map_read(path, ctx, &m), REGIO_OK);
  if (m) {
    CHECK_INT(m->n, 4);
    CHECK_STR(m->sector[1], "56");
    CHECK_STR(m->io_sector[1], "HOTEL, bars");
    CHECK_STR(m->sector[2], "5612");
    CHECK_INT(m->line[2], 5);
    CHECK_STR(m->io_sector[3], "-");
  }
  regio_io_sector_map_destroy(&m);
  CHECK(m == NULL);
  test_write_text(path, "code,io\n01,AGR\n");
  CHECK_INT(regio_io_sector_map_read(path, ctx, &m), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "header line 'sector,io_sector'");
  test_write_text(path, "sector,io_sector\n01,AGR\n01,FOOD\n");
  CHECK_INT(regio_io_sector_map_read(path, ctx, &m), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), ":3: sector '01' is listed twice (first on line 2)");
  test_write_text(path, "sector,io_sector\n01\n");
  CHECK_INT(regio_io_sector_map_read(path, ctx, &m), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), ":2: expected two non-empty fields");
  test_write_text(path, "sector,io_sector\n");
  CHECK_INT(regio_io_sector_map_read(path, ctx, &m), REGIO_ERR_INPUT);
  CHECK_INT(regio_io_sector_map_read(test_path("missing.csv"), ctx, &m), REGIO_ERR_IO);
  CHECK(m == NULL);
}

int main(void) {
  regio_ctx_t *ctx = NULL;
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_two_sectors(ctx);
  test_sector_map(ctx);
  regio_ctx_destroy(&ctx);
  return test_summary("test_io_regional");
}
