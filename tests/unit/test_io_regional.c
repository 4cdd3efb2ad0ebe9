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
    regio_io_regional_opts_t o = {REGIO_IO_CILQ, 0.25, REGIO_IO_SOLVER_ITERATIVE, 0, 0};
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
    regio_io_regional_opts_t o = {REGIO_IO_FLQ, -1, REGIO_IO_SOLVER_ITERATIVE, 0, 0};
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

/* regio_io_sector_map_match against a brute-force search written here: 200 random maps of up to 300
 * entries (codes of 1 to 6 digits from a small alphabet, so prefixes nest; "-" entries; IO sectors
 * the table lacks) over tables that list some codes twice, and 400 codes of 1 to 8 digits each,
 * empty-slot-filling ones included. The longest listed prefix, the first table index. */
static void test_sector_map_match(regio_ctx_t *ctx) {
  enum { MAX_ENTRIES = 300, N_CODES = 400, N_IO = 40 };
  uint64_t state = 77;
#define NEXT() (state = state * 6364136223846793005ull + 1442695040888963407ull, state >> 33)
  static char sector_text[MAX_ENTRIES][8], io_text[MAX_ENTRIES][8], table_text[N_IO][8];
  char *sector_ptr[MAX_ENTRIES], *io_ptr[MAX_ENTRIES], *table_ptr[N_IO];
  int line[MAX_ENTRIES], io_of_entry[MAX_ENTRIES], entry_of_code[N_CODES];
  int bad = 0, matched = 0, unmatched = 0, minus = 0, missing = 0;
  for (int trial = 0; trial < 200; trial++) {
    regio_io_table_t table;
    memset(&table, 0, sizeof table);
    table.n = N_IO;
    table.sector_code = table_ptr;
    for (int j = 0; j < N_IO; j++) { /* IO0 .. IO29, then ten repeats */
      snprintf(table_text[j], sizeof table_text[j], "IO%d", j < 30 ? j : (int)(NEXT() % 30));
      table_ptr[j] = table_text[j];
    }
    regio_io_sector_map_t map = {0, sector_ptr, io_ptr, line, (char *)"map.csv"};
    const int want = 1 + (int)(NEXT() % MAX_ENTRIES);
    for (int tries = 0; map.n < want && tries < 10 * want; tries++) {
      const int len = 1 + (int)(NEXT() % 6);
      char code[8];
      for (int k = 0; k < len; k++) code[k] = (char)('1' + NEXT() % 3);
      code[len] = '\0';
      int dup = 0;
      for (int e = 0; e < map.n; e++) dup |= strcmp(sector_text[e], code) == 0;
      if (dup) continue; /* the reader refuses a sector listed twice */
      strcpy(sector_text[map.n], code);
      const unsigned kind = (unsigned)(NEXT() % 10);
      if (kind == 0)
        strcpy(io_text[map.n], "-");
      else
        snprintf(io_text[map.n], sizeof io_text[map.n], "IO%d", kind == 1 ? 99 : (int)(NEXT() % 30));
      sector_ptr[map.n] = sector_text[map.n];
      io_ptr[map.n] = io_text[map.n];
      line[map.n] = map.n + 2;
      map.n++;
    }
    regio_codes_t codes;
    REQUIRE(regio_codes_init(&codes, N_CODES, 8, ctx) == REGIO_OK);
    for (size_t k = 0; k < N_CODES; k++) {
      const int len = 1 + (int)(NEXT() % 8);
      for (int c = 0; c < len; c++) codes.chars[k * 8 + (size_t)c] = (char)('1' + NEXT() % 3);
    }
    CHECK_INT(regio_io_sector_map_match(&map, &table, &codes, io_of_entry, entry_of_code, ctx), REGIO_OK);
    for (int e = 0; e < map.n; e++) {
      int expect = strcmp(io_text[e], "-") == 0 ? -1 : -2;
      for (int j = N_IO - 1; j >= 0; j--)
        if (strcmp(io_text[e], table_text[j]) == 0) expect = j; /* the first index */
      bad += io_of_entry[e] != expect;
      minus += expect == -1;
      missing += expect == -2;
    }
    for (size_t k = 0; k < N_CODES; k++) {
      const char *code = regio_codes_at(&codes, k);
      const size_t len = regio_codes_len(&codes, k);
      int expect = -1;
      size_t best = 0;
      for (int e = 0; e < map.n; e++) {
        const size_t l = strlen(sector_text[e]);
        if (l <= len && l > best && memcmp(code, sector_text[e], l) == 0) best = l, expect = e;
      }
      bad += entry_of_code[k] != expect;
      matched += expect >= 0;
      unmatched += expect < 0;
    }
    regio_codes_free(&codes);
  }
#undef NEXT
  CHECKF(bad == 0, "%d entries or codes matched differently from the brute-force search", bad);
  CHECKF(matched > 1000 && unmatched > 1000 && minus > 100 && missing > 100,
         "the cases are all there (%d matched, %d unmatched codes, %d '-' entries, %d missing IO sectors)", matched,
         unmatched, minus, missing);
}

/* A deterministic pseudo-random number in [0, 1). */
static double uniform(uint64_t *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) * 0x1.0p-53;
}

/* The iterative solver (the default) against the LU reference on a random 60-sector table with a
 * third of the coefficients nonzero and 40 districts that lack many sectors (one district has no
 * employment, one has all sectors, one a single sector), for every method. The two are different
 * algorithms, so they agree to rounding (1e-13 relative), not bit for bit; a district whose
 * sweeps are capped at 1 falls back to LU and then equals the reference exactly. */
static void test_solvers_agree(regio_ctx_t *ctx) {
  enum { N = 60, D = 40 };
  static double Z[N * N], x[N], emp[N], district_emp[D * N];
  uint64_t st = 12345;
  for (int j = 0; j < N; j++) x[j] = 100 + 900 * uniform(&st);
  for (int j = 0; j < N; j++) {
    double col[N], sum = 0;
    for (int i = 0; i < N; i++) {
      col[i] = (i == j || uniform(&st) < 0.33) ? -log(1 - uniform(&st)) : 0;
      sum += col[i];
    }
    double share = 0.2 + 0.5 * uniform(&st); /* intermediate inputs / output of the buyer */
    for (int i = 0; i < N; i++) Z[i * N + j] = col[i] / sum * share * x[j];
    emp[j] = 1 + 50 * uniform(&st);
  }
  for (int d = 0; d < D; d++)
    for (int i = 0; i < N; i++) {
      double u = uniform(&st);
      district_emp[d * N + i] = (d == 1 || u < 0.45) ? floor(1 + 200 * uniform(&st) * uniform(&st)) : 0;
      if (d == 0 || (d == 2 && i != 7)) district_emp[d * N + i] = 0;
      if (d == 2 && i == 7) district_emp[d * N + i] = 5;
    }
  regio_io_table_t *t = NULL;
  regio_io_national_t *nat = NULL;
  REQUIRE(regio_io_table_create(N, NULL, Z, x, NULL, emp, NULL, ctx, &t) == REGIO_OK);
  REQUIRE(regio_io_national_compute(t, NULL, ctx, &nat) == REGIO_OK);
  for (int m = REGIO_IO_SLQ; m <= REGIO_IO_AFLQ; m++) {
    regio_io_regional_opts_t o = regio_io_regional_opts_default();
    o.method = (regio_io_regional_method_t)m;
    regio_io_regional_t *lu = NULL, *it = NULL, *it2 = NULL, *capped = NULL;
    regio_ctx_set_threads(ctx, 1);
    o.solver = REGIO_IO_SOLVER_LU;
    CHECK_INT(regio_io_regional_compute(t, nat, D, district_emp, &o, ctx, &lu), REGIO_OK);
    o.solver = REGIO_IO_SOLVER_ITERATIVE;
    CHECK_INT(regio_io_regional_compute(t, nat, D, district_emp, &o, ctx, &it), REGIO_OK);
    regio_ctx_set_threads(ctx, 2);
    CHECK_INT(regio_io_regional_compute(t, nat, D, district_emp, &o, ctx, &it2), REGIO_OK);
    o.max_sweeps = 1;
    CHECK_INT(regio_io_regional_compute(t, nat, D, district_emp, &o, ctx, &capped), REGIO_OK);
    if (!lu || !it || !it2 || !capped) break;
    double worst = 0;
    const double *pairs[3][2] = {{lu->output_multiplier, it->output_multiplier},
                                 {lu->forward_linkage, it->forward_linkage},
                                 {lu->employment_multiplier, it->employment_multiplier}};
    for (int k = 0; k < 3; k++)
      for (int e = N; e < D * N; e++) { /* district 0 has no employment: NaN in both */
        double a = pairs[k][0][e], b = pairs[k][1][e];
        double rel = fabs(a - b) / fabs(a);
        worst = rel > worst ? rel : worst;
      }
    CHECKF(worst <= 1e-13, "method %d: iterative vs LU relative difference %.3g", m, worst);
    CHECK(isnan(it->output_multiplier[0]) && it->empty_district[0] && it->solver_sweeps[0] == 0);
    int all_swept = 1;
    for (int d = 1; d < D; d++) {
      all_swept &= it->solver_sweeps[d] > 0;
      CHECK_INT(lu->solver_sweeps[d], 0);
    }
    CHECKF(all_swept && it->n_lu_fallbacks == 0, "method %d: %d LU fallbacks", m, it->n_lu_fallbacks);
    /* District 2 has sector 7 only, so A^r = e_7 r' with r the national row 7 (absent buyers keep
     * their coefficients; SLQ_7 = TNE / NE_7 > 1) except r_77 = a_77 min(Q_77, 1), and
     * L^r = I + e_7 r' / (1 - r_77): output multipliers 1 + r_j / (1 - r_77) (j != 7),
     * 1 / (1 - r_77) (j = 7); row sums 1, and 1 + sum_j r_j / (1 - r_77) for sector 7. */
    {
      double ne7 = 0, tne = 0, tre = district_emp[2 * N + 7];
      for (int d = 0; d < D; d++)
        for (int i = 0; i < N; i++) {
          tne += district_emp[d * N + i];
          if (i == 7) ne7 += district_emp[d * N + i];
        }
      double slq7 = tne / ne7, lambda = pow(log2(1 + tre / tne), 0.25), q77 = slq7;
      if (m == REGIO_IO_FLQ) q77 = lambda * slq7;
      if (m == REGIO_IO_AFLQ) q77 = lambda * slq7 * log2(1 + slq7);
      double r[N], rsum = 0;
      for (int j = 0; j < N; j++) r[j] = nat->A[7 * N + j];
      r[7] *= q77 < 1 ? q77 : 1;
      for (int j = 0; j < N; j++) rsum += r[j];
      double z7 = 1 + rsum / (1 - r[7]), zmean = (N - 1 + z7) / N;
      for (int j = 0; j < N; j++) {
        double want = j == 7 ? 1 / (1 - r[7]) : 1 + r[j] / (1 - r[7]);
        CLOSE(it->output_multiplier[2 * N + j], want, 1e-14);
        CLOSE(it->forward_linkage[2 * N + j], (j == 7 ? z7 : 1) / zmean, 1e-14);
      }
    }
    CHECK(memcmp(it->output_multiplier, it2->output_multiplier, (size_t)D * N * sizeof(double)) == 0);
    CHECK(memcmp(it->forward_linkage, it2->forward_linkage, (size_t)D * N * sizeof(double)) == 0);
    CHECK(memcmp(it->employment_multiplier, it2->employment_multiplier, (size_t)D * N * sizeof(double)) == 0);
    CHECK_INT(capped->n_lu_fallbacks, D - 1);
    CHECK(memcmp(capped->output_multiplier + N, lu->output_multiplier + N, (size_t)(D - 1) * N * sizeof(double)) == 0);
    CHECK(memcmp(capped->forward_linkage + N, lu->forward_linkage + N, (size_t)(D - 1) * N * sizeof(double)) == 0);
    CHECK(it->flops > 0 && lu->flops > it->flops);
    regio_io_regional_destroy(&lu);
    regio_io_regional_destroy(&it);
    regio_io_regional_destroy(&it2);
    regio_io_regional_destroy(&capped);
  }
  regio_ctx_set_threads(ctx, 1);
  CHECK_INT(regio_io_solver_parse("LU"), REGIO_IO_SOLVER_LU);
  CHECK_INT(regio_io_solver_parse("iterative"), REGIO_IO_SOLVER_ITERATIVE);
  CHECK_INT(regio_io_solver_parse("cg"), -1);
  regio_io_national_destroy(&nat);
  regio_io_table_destroy(&t);
}

int main(void) {
  regio_ctx_t *ctx = NULL;
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_two_sectors(ctx);
  test_sector_map(ctx);
  test_sector_map_match(ctx);
  test_solvers_agree(ctx);
  regio_ctx_destroy(&ctx);
  return test_summary("test_io_regional");
}
