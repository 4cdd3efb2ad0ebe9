/* Unit tests of the per-thread partial aggregates (src/aggregate): the tuned helpers against plain
 * references (memcmp, a linear search, plain sums), the dictionaries and the cell table through
 * their growth, and the merge. */
#include "aggregate/tables_impl.h"
#include "testing.h"

static uint64_t lcg_state = 12345;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(lcg_state >> 33);
}

/* Exact-size heap copies, so that a read past either end is caught by AddressSanitizer/valgrind. */
static char *exact_copy(const char *text, size_t len) {
  char *copy = malloc(len ? len : 1);
  memcpy(copy, text, len);
  return copy;
}

static void test_bytes_equal_and_hash(void) {
  char a[64], b[64];
  for (int trial = 0; trial < 200000; trial++) {
    size_t len = lcg() % 41;
    for (size_t i = 0; i < len; i++) a[i] = b[i] = (char)('0' + lcg() % 3); /* few letters: many equal */
    if (len && lcg() % 2) b[lcg() % len] = (char)('0' + lcg() % 3);
    char *x = exact_copy(a, len), *y = exact_copy(b, len);
    int reference = memcmp(x, y, len) == 0;
    CHECK(regio_bytes_equal(x, y, len) == reference);
    if (reference) CHECK(regio_hash_code(x, len) == regio_hash_code(y, len));
    free(x);
    free(y);
  }
  /* the hash takes the length into account: "0" and "00" and "000" differ */
  CHECK(regio_hash_code("0", 1) != regio_hash_code("00", 2));
  CHECK(regio_hash_code("00", 2) != regio_hash_code("000", 3));
  CHECK(regio_hash_code("12345678", 8) != regio_hash_code("123456789", 9));
}

static void test_dictionary(void) {
  regio_partial_t p;
  CHECK(regio_partial_init(&p) == 0);
  /* 20,000 distinct codes of 1 to 12 characters, each interned three times in a shuffled order:
   * ids must be dense, in order of first appearance, and stable through the growth of the table */
  enum { N = 20000 };
  static char codes[N][16];
  static size_t lens[N];
  static int64_t first_id[N];
  for (int i = 0; i < N; i++) {
    lens[i] = (size_t)snprintf(codes[i], sizeof codes[i], "%d", i * 7919 % 1000003);
    first_id[i] = -1;
  }
  int64_t next = 0;
  for (int round = 0; round < 3 * N; round++) {
    int i = (int)(lcg() % N);
    int64_t id = regio_dict_intern_hashed(&p.districts, codes[i], lens[i], regio_hash_code(codes[i], lens[i]));
    if (first_id[i] < 0) {
      CHECK(id == next);
      first_id[i] = id;
      next++;
    } else {
      CHECK(id == first_id[i]);
    }
  }
  CHECK((int64_t)p.districts.count == next);
  /* every entry holds its code */
  for (int i = 0; i < N; i++) {
    if (first_id[i] < 0) continue;
    const regio_dict_entry_t *e = &p.districts.entries[first_id[i]];
    CHECK(e->len == lens[i] && memcmp(p.districts.arena + e->offset, codes[i], lens[i]) == 0);
  }
  regio_partial_free(&p);
}

/* The short-code index in front of a dictionary: the ids it gives are the dictionary's own (a
 * second dictionary, interned through the plain path in the same order, is the reference), for
 * codes of 1 to 7 bytes (decimal and hexadecimal numbers: "10" is two codes); and it stops taking
 * codes at its size limit, after which lookups still give the right ids. */
static void test_short_index(void) {
  regio_partial_t p, ref;
  CHECK(regio_partial_init(&p) == 0 && regio_partial_init(&ref) == 0);
  enum { N = 1200000 }; /* past the index's limit of REGIO_IDCACHE_MAX_SLOTS / 2 codes */
  CHECK(N > REGIO_IDCACHE_MAX_SLOTS / 2);
  char buf[16] = {0};
  size_t mismatches = 0;
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < N; i++) {
      int k = round ? (int)(lcg() % N) : i;
      size_t len = (size_t)snprintf(buf, sizeof buf, k % 3 ? "%d" : "%x", k); /* 1 to 7 bytes */
      memset(buf + len, 'x', 8);                                              /* bytes after the code must not matter */
      char *code = exact_copy(buf, len + 8);
      int64_t id = regio_dict_intern_short(&p.districts, &p.district_short, regio_short_key(code, len), code, len);
      int64_t want = regio_dict_intern_hashed(&ref.districts, code, len, regio_hash_code(code, len));
      mismatches += id != want;
      free(code);
    }
  }
  CHECKF(mismatches == 0, "%zu ids differ from the plain dictionary's", mismatches);
  CHECK(p.districts.count == ref.districts.count);
  CHECKF(p.district_short.count <= REGIO_IDCACHE_MAX_SLOTS / 2 && p.district_short.count < p.districts.count,
         "the index holds %zu codes of %zu", p.district_short.count, p.districts.count);
  size_t found = 0; /* every code the index took is found there, with its id */
  for (size_t id = 0; id < ref.districts.count; id++) {
    const regio_dict_entry_t *e = &ref.districts.entries[id];
    char word[16] = {0};
    memcpy(word, ref.districts.arena + e->offset, e->len);
    int64_t got = regio_idcache_get(&p.district_short, regio_short_key(word, e->len));
    CHECK(got == -1 || got == (int64_t)id);
    found += got == (int64_t)id;
  }
  CHECKF(found == p.district_short.count && found > REGIO_IDCACHE_MAX_SLOTS / 4, "%zu of the index's %zu codes found",
         found, p.district_short.count);
  const char one[8] = "1", one_nul[8] = "1"; /* 8 readable bytes each; the length is in the key */
  CHECK(regio_short_key(one, 1) != regio_short_key(one_nul, 2));
  regio_partial_free(&p);
  regio_partial_free(&ref);
}

/* The cells of a table against plain sums [D x S]: every present cell once, with its sums, and
 * nothing else; returns the number of mismatches. */
static size_t cells_mismatches(const regio_cells_t *c, const int64_t *want_emp, const int64_t *want_est, size_t D,
                               size_t S) {
  size_t occupied = 0, bad = 0, expected = 0;
  char *seen = calloc(D * S, 1);
  regio_cells_iter_t it = regio_cells_iter(c);
  regio_cell_t cell;
  while (regio_cells_next(&it, &cell)) {
    size_t d = regio_cell_district(cell.key), s = regio_cell_sector(cell.key);
    if (d >= D || s >= S || seen[d * S + s]) {
      bad++;
      continue;
    }
    seen[d * S + s] = 1;
    occupied++;
    bad += cell.employment != want_emp[d * S + s] || cell.establishments != want_est[d * S + s];
  }
  for (size_t i = 0; i < D * S; i++) expected += (want_emp[i] | want_est[i]) != 0;
  free(seen);
  CHECKF(occupied == expected, "%zu cells, expected %zu", occupied, expected);
  CHECKF(occupied == c->count, "%zu cells, count says %zu", occupied, c->count);
  return bad;
}

/* Adds n rows over d_lo..d_hi x s_lo..s_hi (skewed) to p and to the plain sums. */
static void add_rows(regio_partial_t *p, int64_t *want_emp, int64_t *want_est, size_t S, int n, uint32_t d_lo,
                     uint32_t d_n, uint32_t s_lo, uint32_t s_n) {
  for (int i = 0; i < n; i++) {
    uint32_t d = d_lo + lcg() % d_n, s = (lcg() % s_n) * (lcg() % 2) + lcg() % 3; /* skewed */
    s = s_lo + s % s_n;
    int64_t emp = lcg() % 100000, est = 1 + lcg() % 3;
    want_emp[d * S + s] += emp;
    want_est[d * S + s] += est;
    CHECK(regio_cells_add(&p->cells, regio_cell_key(d, s), emp, est) == 0);
  }
}

static const int64_t *cell_sums(const regio_cells_t *c, uint32_t d, uint32_t s) {
  static int64_t sums[2];
  regio_cells_iter_t it = regio_cells_iter(c);
  regio_cell_t cell;
  while (regio_cells_next(&it, &cell))
    if (cell.key == regio_cell_key(d, s)) {
      sums[0] = cell.employment;
      sums[1] = cell.establishments;
      return sums;
    }
  return NULL;
}

static void test_cells_against_sums(void) {
  /* 3 million additions over 600 x 900 possible cells (beyond the initial table size): every cell
   * must hold the plain sum kept beside it. The table is dense by then (540,000 possible cells, most
   * of them present); new districts and sectors beyond its rows and row width come after it is. */
  enum { D = 1300, S = 1200 };
  int64_t *want_emp = calloc(D * S, sizeof *want_emp), *want_est = calloc(D * S, sizeof *want_est);
  regio_partial_t p;
  CHECK(regio_partial_init(&p) == 0);
  add_rows(&p, want_emp, want_est, S, 3000000, 0, 600, 0, 900);
  CHECK(p.cells.dense != NULL);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (dense)");
  size_t width = p.cells.sector_cap, rows = p.cells.district_cap;
  add_rows(&p, want_emp, want_est, S, 200000, 0, 600, 900, 300);  /* wider rows */
  add_rows(&p, want_emp, want_est, S, 200000, 600, 700, 0, 1200); /* more rows */
  CHECK(p.cells.dense != NULL && p.cells.sector_cap > width && p.cells.district_cap > rows);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (grown)");
  /* overflow marks the cell (establishments < 0) for the merge to report, it does not wrap */
  CHECK(regio_cells_add(&p.cells, regio_cell_key(1, 1), INT64_MAX, 0) == 0);
  CHECK(cell_sums(&p.cells, 1, 1) && cell_sums(&p.cells, 1, 1)[1] < 0);
  CHECK(regio_cells_add(&p.cells, regio_cell_key(1, 1), 5, 1) == 0);
  CHECK(cell_sums(&p.cells, 1, 1)[1] < 0); /* and stays marked */
  regio_partial_free(&p);
  free(want_emp);
  free(want_est);
}

/* Adds one row to the table and to the plain sums. */
static void add_one(regio_partial_t *p, int64_t *want_emp, int64_t *want_est, size_t S, uint32_t d, uint32_t s,
                    int64_t emp, int64_t est) {
  want_emp[d * S + s] += emp;
  want_est[d * S + s] += est;
  CHECK(regio_cells_add(&p->cells, regio_cell_key(d, s), emp, est) == 0);
}

static void test_cells_spill(void) {
  /* A dense cell is one word (employment << 20 | establishments). Sums that would carry a field
   * over, and rows too large for a word, go to the spill: every sum must stay the plain sum,
   * through a wider table and back to a hash table. */
  enum { D = 40000, S = 200 };
  const int64_t est_cap = (int64_t)1 << REGIO_CELL_PACK, emp_cap = (int64_t)1 << (64 - REGIO_CELL_PACK);
  int64_t *want_emp = calloc((size_t)D * S, sizeof *want_emp), *want_est = calloc((size_t)D * S, sizeof *want_est);
  regio_partial_t p;
  CHECK(regio_partial_init(&p) == 0);
  add_rows(&p, want_emp, want_est, S, 600000, 0, 500, 0, 150); /* dense: 500 x 150 */
  CHECK(p.cells.dense != NULL && p.cells.spill_count == 0);
  for (int k = 0; k < 3; k++) add_one(&p, want_emp, want_est, S, 3, 4, 10, est_cap / 2); /* establishments carry */
  for (int k = 0; k < 3; k++) add_one(&p, want_emp, want_est, S, 5, 6, emp_cap / 2, 1);  /* employment carries */
  add_one(&p, want_emp, want_est, S, 7, 8, emp_cap, 2);                                  /* a row too large */
  add_one(&p, want_emp, want_est, S, 9, 10, 5, est_cap);                                 /* the same */
  add_one(&p, want_emp, want_est, S, 499, 149, emp_cap + 1, est_cap + 1);                /* a new cell too large */
  add_one(&p, want_emp, want_est, S, 498, 148, 1, 1);
  for (int k = 0; k < 5; k++) { /* small rows after the spill: in the word again */
    add_one(&p, want_emp, want_est, S, 3, 4, 1000, 1);
    add_one(&p, want_emp, want_est, S, 7, 8, 1000, 1);
    add_one(&p, want_emp, want_est, S, 499, 149, 1000, 1);
  }
  CHECK(p.cells.dense != NULL && p.cells.spill_count >= 5);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (spilled)");
  size_t width = p.cells.sector_cap;
  add_rows(&p, want_emp, want_est, S, 20000, 0, 500, 150, 50); /* wider rows: laid out again */
  CHECK(p.cells.dense != NULL && p.cells.sector_cap > width);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (wider)");
  for (uint32_t d = 500; d < D; d++) /* sparse districts: back to a hash table */
    add_one(&p, want_emp, want_est, S, d, d % S, 7000, 1);
  CHECK(p.cells.dense == NULL);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (hash)");
  regio_partial_free(&p);

  /* a cell whose word and spill together pass the int64 range is marked, as a hash cell is */
  CHECK(regio_partial_init(&p) == 0);
  memset(want_emp, 0, (size_t)D * S * sizeof *want_emp);
  memset(want_est, 0, (size_t)D * S * sizeof *want_est);
  add_rows(&p, want_emp, want_est, S, 600000, 0, 500, 0, 150);
  CHECK(p.cells.dense != NULL);
  CHECK(regio_cells_add(&p.cells, regio_cell_key(2, 2), INT64_MAX - 5, 0) == 0);
  CHECK(cell_sums(&p.cells, 2, 2) && cell_sums(&p.cells, 2, 2)[1] < 0);
  CHECK(regio_cells_add(&p.cells, regio_cell_key(2, 2), 1, 1) == 0);
  CHECK(cell_sums(&p.cells, 2, 2)[1] < 0);
  regio_partial_free(&p);
  free(want_emp);
  free(want_est);
}

static void test_cells_allowance(void) {
  /* 2,000 x 600 ids (a dense table of 11 MB, more than twice a hash table of 49,152 cells): without
   * an allowance the table stays a hash table at its first growth; with one of 20 MB it is laid out
   * dense there, with room for a quarter more sectors, so that sectors met later need no new
   * layout. Every sum stays the plain sum, also when the ids outgrow the allowance and
   * the table goes back to a hash table. */
  enum { D = 4100, S = 1100 };
  int64_t *want_emp = calloc((size_t)D * S, sizeof *want_emp), *want_est = calloc((size_t)D * S, sizeof *want_est);
  for (int allowance = 0; allowance < 2; allowance++) {
    memset(want_emp, 0, (size_t)D * S * sizeof *want_emp);
    memset(want_est, 0, (size_t)D * S * sizeof *want_est);
    regio_partial_t p;
    CHECK(regio_partial_init(&p) == 0);
    p.cells.dense_allowance = allowance ? (size_t)20 << 20 : 0;
    /* the largest ids first, then random cells up to the first growth and a little past it */
    add_one(&p, want_emp, want_est, S, 1999, 599, 1000, 1);
    while (p.cells.count <= 49152) add_one(&p, want_emp, want_est, S, lcg() % 2000, lcg() % 600, 2000, 1);
    if (allowance) {
      CHECKF(p.cells.dense != NULL && p.cells.sector_cap >= 750 && p.cells.sector_cap < 900 &&
                 p.cells.district_cap >= 4000,
             "with an allowance: dense %d, %zu x %zu", p.cells.dense != NULL, p.cells.district_cap, p.cells.sector_cap);
      const size_t width = p.cells.sector_cap;
      add_rows(&p, want_emp, want_est, S, 100000, 0, 2000, 600, 150); /* sectors 600 to 749 */
      CHECK(p.cells.dense != NULL && p.cells.sector_cap == width);
      /* a sector beyond the row: laid out again, wider, still dense within the allowance (2,000 x
       * 1,168 x 8 bytes: more than twice a hash table of these cells) */
      add_one(&p, want_emp, want_est, S, 5, 1030, 3000, 1);
      CHECKF(p.cells.dense != NULL && p.cells.sector_cap > width, "a wider row: dense %d, width %zu",
             p.cells.dense != NULL, p.cells.sector_cap);
    } else {
      CHECKF(p.cells.dense == NULL, "without an allowance: dense at %zu cells", p.cells.count);
      add_rows(&p, want_emp, want_est, S, 100000, 0, 2000, 600, 150);
    }
    CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "allowance %d: cells differ from the plain sums",
           allowance);
    /* districts up to 4,100, a cell each: beyond the rows laid out and the allowance */
    for (uint32_t d = 2000; d < D; d++) add_one(&p, want_emp, want_est, S, d, d % 600, 7000, 1);
    CHECK(p.cells.dense == NULL);
    CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0,
           "allowance %d: cells differ from the plain sums (back to a hash table)", allowance);
    CHECK(p.cells.dense_allowance == (allowance ? (size_t)20 << 20 : 0)); /* kept through every layout */
    regio_partial_free(&p);
  }
  free(want_emp);
  free(want_est);
}

static void test_cells_sparse(void) {
  /* few cells over many ids (one cell per district, sector ids up to 100,000): the table stays a
   * hash table; a dense table whose ids turn sparse (rows sorted by district, each with few
   * sectors) goes back to a hash table, keeping every sum */
  regio_partial_t p;
  CHECK(regio_partial_init(&p) == 0);
  for (uint32_t d = 0; d < 300000; d++) CHECK(regio_cells_add(&p.cells, regio_cell_key(d, d % 100000), 1000, 1) == 0);
  CHECK(p.cells.dense == NULL && p.cells.count == 300000);
  regio_partial_free(&p);

  enum { D = 40000, S = 300 };
  int64_t *want_emp = calloc((size_t)D * S, sizeof *want_emp), *want_est = calloc((size_t)D * S, sizeof *want_est);
  CHECK(regio_partial_init(&p) == 0);
  add_rows(&p, want_emp, want_est, S, 600000, 0, 400, 0, 300); /* dense: 400 x 300 */
  CHECK(p.cells.dense != NULL);
  for (uint32_t d = 400; d < D; d++) { /* then districts with 2 sectors each */
    for (int k = 0; k < 2; k++) {
      uint32_t s = lcg() % S;
      want_emp[(size_t)d * S + s] += 7000;
      want_est[(size_t)d * S + s] += 1;
      CHECK(regio_cells_add(&p.cells, regio_cell_key(d, s), 7000, 1) == 0);
    }
  }
  CHECK(p.cells.dense == NULL);
  CHECKF(cells_mismatches(&p.cells, want_emp, want_est, D, S) == 0, "cells differ from the plain sums (sparse)");
  regio_partial_free(&p);
  free(want_emp);
  free(want_est);
}

/* The merge gives the matrix as its non-zero cells: each district's in strictly ascending sector
 * order, none 0, the starts from 0 and never falling, no dense matrix beside them. */
static int cells_well_formed(const regio_aggregate_t *agg) {
  const size_t D = agg->districts.count, S = agg->sectors.count;
  if (agg->employment || !agg->cell_start || agg->cell_start[0] != 0) return 0;
  for (size_t d = 0; d < D; d++) {
    if (agg->cell_start[d + 1] < agg->cell_start[d]) return 0;
    for (size_t k = agg->cell_start[d]; k < agg->cell_start[d + 1]; k++)
      if (agg->cell_sector[k] >= S || agg->cell_employment[k] == 0 ||
          (k > agg->cell_start[d] && agg->cell_sector[k - 1] >= agg->cell_sector[k]))
        return 0;
  }
  return 1;
}

static void free_aggregate(regio_aggregate_t *agg) {
  regio_codes_free(&agg->districts);
  regio_codes_free(&agg->sectors);
  free(agg->cell_start);
  free(agg->cell_sector);
  free(agg->cell_employment);
  free(agg->employment);
  free(agg->district_establishments);
  free(agg->sector_establishments);
  memset(agg, 0, sizeof *agg);
}

static void test_merge(void) {
  /* two partials that saw the same codes in different orders: the merge sorts the codes and adds
   * the cells */
  regio_partial_t a, b;
  CHECK(regio_partial_init(&a) == 0 && regio_partial_init(&b) == 0);
  const char *districts[] = {"B", "A", "AA"}, *sectors[] = {"2", "10"};
  /* a: B/2 = 5, A/10 = 1 ; b (ids in another order): A/10 = 2, AA/2 = 7, B/2 = 1 */
  int64_t a_b = regio_dict_intern_hashed(&a.districts, "B", 1, regio_hash_code("B", 1));
  int64_t a_a = regio_dict_intern_hashed(&a.districts, "A", 1, regio_hash_code("A", 1));
  int64_t a_2 = regio_dict_intern_hashed(&a.sectors, "2", 1, regio_hash_code("2", 1));
  int64_t a_10 = regio_dict_intern_hashed(&a.sectors, "10", 2, regio_hash_code("10", 2));
  CHECK(regio_cells_add(&a.cells, regio_cell_key((uint32_t)a_b, (uint32_t)a_2), 5000, 1) == 0);
  CHECK(regio_cells_add(&a.cells, regio_cell_key((uint32_t)a_a, (uint32_t)a_10), 1000, 1) == 0);
  int64_t b_a = regio_dict_intern_hashed(&b.districts, "A", 1, regio_hash_code("A", 1));
  int64_t b_aa = regio_dict_intern_hashed(&b.districts, "AA", 2, regio_hash_code("AA", 2));
  int64_t b_b = regio_dict_intern_hashed(&b.districts, "B", 1, regio_hash_code("B", 1));
  int64_t b_10 = regio_dict_intern_hashed(&b.sectors, "10", 2, regio_hash_code("10", 2));
  int64_t b_2 = regio_dict_intern_hashed(&b.sectors, "2", 1, regio_hash_code("2", 1));
  CHECK(regio_cells_add(&b.cells, regio_cell_key((uint32_t)b_a, (uint32_t)b_10), 2000, 1) == 0);
  CHECK(regio_cells_add(&b.cells, regio_cell_key((uint32_t)b_aa, (uint32_t)b_2), 7000, 2) == 0);
  CHECK(regio_cells_add(&b.cells, regio_cell_key((uint32_t)b_b, (uint32_t)b_2), 1000, 1) == 0);
  (void)districts;
  (void)sectors;
  regio_partial_t *both[] = {&a, &b};
  regio_aggregate_t agg;
  memset(&agg, 0, sizeof agg);
  regio_ctx_t *ctx = NULL;
  CHECK(regio_ctx_create(&ctx) == REGIO_OK);
  CHECK(regio_partials_merge(both, 2, &agg, ctx) == REGIO_OK);
  /* sorted bytewise, a prefix first: districts A, AA, B; sectors 10, 2 */
  CHECK(agg.districts.count == 3 && agg.sectors.count == 2);
  CHECK(strcmp(regio_codes_at(&agg.districts, 0), "A") == 0);
  CHECK(strncmp(regio_codes_at(&agg.districts, 1), "AA", 2) == 0);
  CHECK(strcmp(regio_codes_at(&agg.districts, 2), "B") == 0);
  CHECK(strncmp(regio_codes_at(&agg.sectors, 0), "10", 2) == 0 && strcmp(regio_codes_at(&agg.sectors, 1), "2") == 0);
  /* [A, AA, B] x [10, 2] in thousandths: A/10 = 1000 + 2000, AA/2 = 7000, B/2 = 5000 + 1000 */
  const int64_t want[6] = {3000, 0, 0, 7000, 0, 6000};
  CHECK(cells_well_formed(&agg));
  for (int i = 0; i < 6; i++)
    CHECKF(regio_aggregate_cell(&agg, (size_t)i / 2, (size_t)i % 2) == want[i], "cell %d: %lld", i,
           (long long)regio_aggregate_cell(&agg, (size_t)i / 2, (size_t)i % 2));
  CHECK(agg.cell_start[3] == 3); /* A/10, AA/2, B/2: the empty cells are not kept */
  CHECK(agg.district_establishments[0] == 2 && agg.district_establishments[1] == 2 &&
        agg.district_establishments[2] == 2);
  CHECK(agg.sector_establishments[0] == 2 && agg.sector_establishments[1] == 4);
  free_aggregate(&agg);
  regio_ctx_destroy(&ctx);
  regio_partial_free(&a);
  regio_partial_free(&b);
}

/* Interns "D%05d" and "S%03d" codes into a partial; returns their local ids. */
static uint32_t intern_district(regio_partial_t *p, int d) {
  char code[16];
  int len = snprintf(code, sizeof code, "D%05d", d);
  return (uint32_t)regio_dict_intern_hashed(&p->districts, code, (size_t)len, regio_hash_code(code, (size_t)len));
}
static uint32_t intern_sector(regio_partial_t *p, int s) {
  char code[16];
  int len = snprintf(code, sizeof code, "S%03d", s);
  return (uint32_t)regio_dict_intern_hashed(&p->sectors, code, (size_t)len, regio_hash_code(code, (size_t)len));
}

static void test_merge_parts(void) {
  /* The merge runs on as many threads as partials, each adding the cells of the districts it owns
   * (a contiguous part of the sorted districts each). Three partials (a dense table, a hash table, a dense table with
   * spilled sums) over 700 districts, codes interned in different orders: every cell and every district's and sector's
   * establishments must be the plain sums. */
  enum { D = 700, S = 90, N = 3 };
  int64_t *want_emp = calloc((size_t)D * S, sizeof *want_emp), *want_est = calloc((size_t)D * S, sizeof *want_est);
  regio_partial_t parts[N];
  for (int t = 0; t < N; t++) CHECK(regio_partial_init(&parts[t]) == 0);
  for (int t = 0; t < N; t++) { /* codes first seen in a different order in each partial */
    for (int i = 0; i < D; i++) intern_district(&parts[t], t == 1 ? D - 1 - i : (i * 7 + t * 101) % D);
    for (int i = 0; i < S; i++) intern_sector(&parts[t], t == 2 ? S - 1 - i : (i * 11 + t) % S);
  }
  for (int row = 0; row < 900000; row++) {
    const int t = row % 5 == 0 ? 1 : (row % 2 ? 0 : 2); /* partial 1 gets fewer rows */
    int d = (int)(lcg() % D), s = (int)(lcg() % S);
    if (t == 1) d = (int)(lcg() % 40) * 17; /* few cells: stays a hash table */
    int64_t emp = lcg() % 50000, est = 1 + lcg() % 3;
    if (t == 2 && row % 1001 == 0) est = (int64_t)1 << 21; /* beyond a dense word: spilled */
    want_emp[(size_t)d * S + s] += emp;
    want_est[(size_t)d * S + s] += est;
    const uint32_t ld = intern_district(&parts[t], d), ls = intern_sector(&parts[t], s);
    CHECK(regio_cells_add(&parts[t].cells, regio_cell_key(ld, ls), emp, est) == 0);
  }
  CHECK(parts[0].cells.dense != NULL && parts[1].cells.dense == NULL && parts[2].cells.dense != NULL &&
        parts[2].cells.spill_count > 0);
  regio_partial_t *all[N] = {&parts[0], &parts[1], &parts[2]};
  regio_aggregate_t agg;
  memset(&agg, 0, sizeof agg);
  regio_ctx_t *ctx = NULL;
  CHECK(regio_ctx_create(&ctx) == REGIO_OK);
  CHECK(regio_partials_merge(all, N, &agg, ctx) == REGIO_OK);
  CHECK(agg.districts.count == D && agg.sectors.count == S);
  CHECK(cells_well_formed(&agg));
  size_t bad = 0;
  for (int d = 0; d < D; d++) {
    int64_t est = 0;
    for (int s = 0; s < S; s++) {
      bad += regio_aggregate_cell(&agg, (size_t)d, (size_t)s) != want_emp[(size_t)d * S + s];
      est += want_est[(size_t)d * S + s];
    }
    bad += agg.district_establishments[d] != est;
  }
  for (int s = 0; s < S; s++) {
    int64_t est = 0;
    for (int d = 0; d < D; d++) est += want_est[(size_t)d * S + s];
    bad += agg.sector_establishments[s] != est;
  }
  CHECKF(bad == 0, "%zu sums differ from the plain sums", bad);
  free_aggregate(&agg);
  for (int t = 0; t < N; t++) regio_partial_free(&parts[t]);

  /* a sector's establishments beyond the int64 range only once the threads' parts are added (the
   * two districts are in the parts of different threads): still found and named */
  CHECK(regio_partial_init(&parts[0]) == 0 && regio_partial_init(&parts[1]) == 0);
  for (int d = 0; d < 100; d++) intern_district(&parts[0], d); /* D00003 -> row 3, D00070 -> row 70 */
  const int64_t half = INT64_MAX / 2 + 10;
  CHECK(regio_cells_add(&parts[0].cells, regio_cell_key(intern_district(&parts[0], 3), intern_sector(&parts[0], 7)), 5,
                        half) == 0);
  CHECK(regio_cells_add(&parts[1].cells, regio_cell_key(intern_district(&parts[1], 70), intern_sector(&parts[1], 7)), 5,
                        half) == 0);
  /* (two threads take districts [0, 50) and [50, 100) of the 100) */
  regio_partial_t *two[2] = {&parts[0], &parts[1]};
  memset(&agg, 0, sizeof agg);
  CHECK(regio_partials_merge(two, 2, &agg, ctx) == REGIO_ERR_INPUT);
  CHECKF(strstr(regio_ctx_message(ctx), "establishments of sector S007") != NULL, "message: %s",
         regio_ctx_message(ctx));
  free_aggregate(&agg);
  regio_partial_free(&parts[0]);
  regio_partial_free(&parts[1]);
  regio_ctx_destroy(&ctx);
  free(want_emp);
  free(want_est);
}

int main(void) {
  test_bytes_equal_and_hash();
  test_dictionary();
  test_short_index();
  test_cells_against_sums();
  test_cells_spill();
  test_cells_sparse();
  test_cells_allowance();
  test_merge();
  test_merge_parts();
  return test_summary("test_aggregate");
}
