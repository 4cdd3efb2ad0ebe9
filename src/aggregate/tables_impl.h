/* Internal: the per-thread partial aggregates that the reader fills, row by row.
 *
 * Each reading thread owns one regio_partial_t: code dictionaries (district and sector strings ->
 * dense local ids) and a cell table keyed by (local district id, local sector id) holding exact
 * integer sums. Nothing is shared between threads while reading; regio_partials_merge() turns the
 * partials into the sorted, global aggregate. Integer sums make the merged result independent of
 * how rows were spread over threads. */
#ifndef REGIO_AGGREGATE_TABLES_IMPL_H
#define REGIO_AGGREGATE_TABLES_IMPL_H

#include <stdint.h>
#include <string.h>

#include "regio/ingest.h"

typedef struct regio_dict_entry {
  uint64_t hash;
  uint32_t offset; /* into the arena */
  uint32_t len;
} regio_dict_entry_t;

/* A slot of the dictionary's hash index: the full hash and where the code is, so that a lookup
 * touches the slot and the code's bytes, nothing else. */
typedef struct regio_dict_slot {
  uint64_t hash;
  uint32_t id_plus_one; /* 0 = empty */
  uint32_t offset;      /* of the code in the arena; the byte before it holds its length */
} regio_dict_slot_t;

/* Open-addressing string dictionary: code -> id (ids are dense, in order of first appearance). */
typedef struct regio_dict {
  regio_dict_slot_t *slots;
  size_t mask; /* slot count - 1 (power of two) */
  regio_dict_entry_t *entries;
  size_t count, entries_cap;
  char *arena;
  size_t arena_len, arena_cap;
} regio_dict_t;

/* An index of a dictionary's short codes (regio_short_key -> id), in front of it: a lookup is
 * one probe that compares one word, where the dictionary's compares its hash and then the code's
 * bytes in its arena (a second cache line). It holds the codes the reader looked up through it,
 * and stops taking new ones at REGIO_IDCACHE_MAX_SLOTS / 2 (a lookup that misses goes to the
 * dictionary, so the ids are the dictionary's either way). */
typedef struct regio_idcache_slot {
  uint64_t key; /* 0 = empty */
  uint64_t id;
} regio_idcache_slot_t;
typedef struct regio_idcache {
  regio_idcache_slot_t *slots; /* NULL until the first insertion */
  size_t mask, count;
  int shift; /* 64 - log2(slot count) */
} regio_idcache_t;

/* One cell: key, employment and establishments side by side, so that a row touches one cache
 * line of the table, not three. */
typedef struct regio_cell {
  uint64_t key; /* regio_cell_key(district id, sector id); REGIO_CELL_EMPTY = empty */
  int64_t employment;
  int64_t establishments;
} regio_cell_t;

/* The cell table of one thread. It starts as an open-addressing hash table with linear probing
 * (slots), which suits sparse tables. When it would grow past the size of a dense [districts x
 * sectors] matrix of the ids seen so far, it becomes that matrix (dense != NULL: a row of
 * sector_cap cells per local district id). A dense cell is one 64-bit word holding both sums
 * (REGIO_CELL_PACK: employment in the high 44 bits, establishments in the low 20), so the matrix
 * takes 8 bytes a cell instead of a 24-byte slot at most 3/4 full, needs no probing, and touches a
 * sixth of the memory at random: on the 3,500 x 1,200 `narrow` table, 34 MB per thread instead of
 * 201 MB. A row that would carry a field of a word over moves the word's sums to the spill, a
 * small hash table of full 64-bit sums (and adds itself there when it is too large for a word), so
 * that every sum stays exact. A dense table whose ids grow much sparser than its rows (say, rows
 * sorted by district) goes back to a hash table. Either way, count is the number of cells holding
 * a row's values; a cell whose rows added (0, 0) is not one (the merge adds nothing for it either
 * way). */
typedef struct regio_cells {
  regio_cell_t *slots; /* hash form; zero-initialised; mmap'd when large */
  size_t mask, count;
  uint32_t max_district, max_sector; /* the largest ids added (cells present only) */
  uint64_t *dense;                   /* dense form: [district_cap x sector_cap] packed sums, or NULL */
  size_t district_cap, sector_cap;
  regio_cell_t *spill; /* dense form: the sums that left their word (hash, key REGIO_CELL_EMPTY: free) */
  size_t spill_mask, spill_count;
  size_t dense_allowance; /* bytes a dense table may touch however few its cells (0: none; see tables.c) */
} regio_cells_t;

/* What the dense tables of all the threads of a process may touch together however few their
 * cells, by default (regio_ingest_opts_t.dense_bytes; each thread's table gets its share): a small
 * district x sector space is then laid out dense at the table's first growth, instead of after
 * some 400,000 cells in the hash form, whose rows cost 2-3 times as much (`narrow`: 3,500 x 1,200
 * ids, 41 MB a thread with room for a quarter more sectors). */
#define REGIO_CELLS_DENSE_ALLOWANCE ((size_t)128 << 20)

/* A dense cell's word: employment (milli) << REGIO_CELL_PACK | establishments. */
#define REGIO_CELL_PACK 20
#define REGIO_CELL_PACK_MASK ((UINT64_C(1) << REGIO_CELL_PACK) - 1)

/* Keys are stored plus one, so that an all-zero (lazily mapped) table is empty. */
#define REGIO_CELL_EMPTY 0
typedef struct regio_partial {
  regio_dict_t districts;
  regio_dict_t sectors;
  regio_idcache_t district_short, sector_short; /* the dictionaries' short-code indexes */
  regio_cells_t cells;
  int failed; /* out of memory or overflow inside the tables */
  /* Establishment sizes, kept when each row is one establishment (track_sizes): per local sector
   * id the sum of squared employment (milli^2, exact in 128 bits; wraps only when the national
   * total itself overflows int64, which the indices stage rejects), per local district id the
   * number of micro establishments (fewer than REGIO_MICRO_EMPLOYEES employees). */
  int track_sizes;
  regio_u128_t *sector_size_squares;
  size_t sector_size_squares_cap;
  int64_t *district_micro;
  size_t district_micro_cap;
  /* Actor types (--actor-col): the distinct values in the order first seen, and per local
   * district id the employment of each ([district x REGIO_MAX_ACTORS], milli). */
  int n_actors;
  char actor_code[REGIO_MAX_ACTORS][REGIO_CODE_MAX + 1];
  size_t actor_len[REGIO_MAX_ACTORS];
  /* The byte offset in the current file where each type was first seen (INT64_MIN: in an
   * earlier file), and the first type beyond REGIO_MAX_ACTORS with its offset (INT64_MAX: none),
   * so that the reader can name the type that is one too many in file order, whatever the
   * thread count. */
  int64_t actor_first[REGIO_MAX_ACTORS];
  char actor_over_code[REGIO_CODE_MAX + 1];
  size_t actor_over_len;
  int64_t actor_over_offset;
  int64_t *district_actor;
  size_t district_actor_cap; /* districts covered */
} regio_partial_t;

int regio_partial_init(regio_partial_t *p);
void regio_partial_free(regio_partial_t *p);

/* Slow paths (growth); return 0 on success, -1 out of memory. */
int regio_dict_grow(regio_dict_t *d);
int regio_dict_push(regio_dict_t *d, uint64_t hash, const char *code, size_t len, size_t slot);
int regio_partial_grow_sizes(regio_partial_t *p);

/* Records one establishment's size (track_sizes only); returns 0, or -1 out of memory. */
static inline int regio_partial_add_size(regio_partial_t *p, uint32_t district, uint32_t sector, int64_t employment) {
  if (sector >= p->sector_size_squares_cap || district >= p->district_micro_cap)
    if (regio_partial_grow_sizes(p) != 0) return -1;
  p->sector_size_squares[sector] += (regio_u128_t)(uint64_t)employment * (uint64_t)employment;
  p->district_micro[district] += employment < (int64_t)REGIO_MICRO_EMPLOYEES * REGIO_MILLI;
  return 0;
}

int regio_partial_grow_actors(regio_partial_t *p);

/* The local id of an actor type, added when new (first seen at byte offset of the current file);
 * -1 when there would be more than REGIO_MAX_ACTORS: the type is then kept as the overflow (the
 * caller stops and the reader reports it). len <= REGIO_CODE_MAX. */
static inline int regio_partial_actor(regio_partial_t *p, const char *code, size_t len, int64_t offset) {
  for (int a = 0; a < p->n_actors; a++)
    if (p->actor_len[a] == len && memcmp(p->actor_code[a], code, len) == 0) return a;
  if (p->n_actors == REGIO_MAX_ACTORS) {
    if (offset < p->actor_over_offset) {
      memcpy(p->actor_over_code, code, len);
      p->actor_over_code[len] = '\0';
      p->actor_over_len = len;
      p->actor_over_offset = offset;
    }
    return -1;
  }
  memcpy(p->actor_code[p->n_actors], code, len);
  p->actor_code[p->n_actors][len] = '\0';
  p->actor_len[p->n_actors] = len;
  p->actor_first[p->n_actors] = offset;
  return p->n_actors++;
}

/* Adds a row's employment to its district and actor type; returns 0, or -1 out of memory. The
 * sums cannot overflow where the district's total does not (checked by the indices stage). */
static inline int regio_partial_add_actor(regio_partial_t *p, uint32_t district, int actor, int64_t employment) {
  if (district >= p->district_actor_cap && regio_partial_grow_actors(p) != 0) return -1;
  p->district_actor[(size_t)district * REGIO_MAX_ACTORS + (size_t)actor] += employment;
  return 0;
}

/* A fast hash for short codes (<= REGIO_CODE_MAX bytes). Words are read with overlapping loads
 * that stay inside the code, never with a byte-wise copy into a word, which would stall on
 * store forwarding. */
static inline uint64_t regio_hash_mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

static inline uint64_t regio_hash_code(const char *s, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xff51afd7ed558ccdull);
  if (len >= 8) {
    size_t i = 0;
    uint64_t w;
    for (; i + 8 < len; i += 8) {
      memcpy(&w, s + i, 8);
      h = regio_hash_mix(h, w);
    }
    memcpy(&w, s + len - 8, 8); /* the last (possibly overlapping) word */
    h = regio_hash_mix(h, w);
  } else if (len >= 4) {
    uint32_t lo, hi;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + len - 4, 4);
    h = regio_hash_mix(h, (uint64_t)hi << 32 | lo);
  } else if (len > 0) {
    const unsigned char *u = (const unsigned char *)s;
    h = regio_hash_mix(h, (uint64_t)u[0] << 16 | (uint64_t)u[len / 2] << 8 | u[len - 1]);
  }
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 32);
}

/* Equality of two short byte strings of length n without a library call: overlapping word loads
 * cover the typical code lengths (2 to 16 bytes). */
static inline int regio_bytes_equal(const char *a, const char *b, size_t n) {
  if (n >= 8) {
    if (n > 16) return memcmp(a, b, n) == 0;
    uint64_t a0, b0, a1, b1;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + n - 8, 8);
    memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    uint32_t a0, b0, a1, b1;
    memcpy(&a0, a, 4);
    memcpy(&b0, b, 4);
    memcpy(&a1, a + n - 4, 4);
    memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

/* Asks for the cache line of the slot where a code of hash h starts its search. The prefetch
 * helpers are always inlined: a function whose only effect is a prefetch looks free of side
 * effects to GCC, which then drops calls to it when it does not inline it. */
__attribute__((always_inline)) static inline void regio_dict_prefetch(const regio_dict_t *d, uint64_t h) {
  __builtin_prefetch(&d->slots[(size_t)h & d->mask], 0, 3);
}

/* Returns the id of code, whose hash is h = regio_hash_code(code, len), adding it when new; -1
 * when out of memory. */
static inline int64_t regio_dict_intern_hashed(regio_dict_t *d, const char *code, size_t len, uint64_t h) {
  size_t slot = (size_t)h & d->mask;
  for (;;) {
    const regio_dict_slot_t *e = &d->slots[slot];
    if (e->id_plus_one == 0) break;
    if (e->hash == h && (unsigned char)d->arena[e->offset - 1] == len &&
        regio_bytes_equal(d->arena + e->offset, code, len))
      return e->id_plus_one - 1;
    slot = (slot + 1) & d->mask;
  }
  if (regio_dict_push(d, h, code, len, slot) != 0) return -1;
  return (int64_t)d->count - 1;
}

/* A code of 1 to 7 bytes as one exact 64-bit key: its bytes (little-endian, the rest zero) and
 * its length in the top byte, so that two codes have the same key only when they are equal, and no
 * key is 0. The caller guarantees 8 readable bytes at s (the bytes past the code are masked). */
#define REGIO_SHORT_CODE_MAX 7
static inline uint64_t regio_short_key(const char *s, size_t len) {
  /* the code's bytes kept and its length set in one AND and one OR (len < 8) */
  static const uint64_t keep[8] = {0,          0xff,         0xffff,         0xffffff,
                                   0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff};
  static const uint64_t length[8] = {0,
                                     UINT64_C(1) << 56,
                                     UINT64_C(2) << 56,
                                     UINT64_C(3) << 56,
                                     UINT64_C(4) << 56,
                                     UINT64_C(5) << 56,
                                     UINT64_C(6) << 56,
                                     UINT64_C(7) << 56};
  uint64_t w;
  memcpy(&w, s, 8);
  return (w & keep[len & 7]) | length[len & 7];
}

#define REGIO_IDCACHE_MAX_SLOTS ((size_t)1 << 21)

static inline size_t regio_idcache_slot(const regio_idcache_t *c, uint64_t key) {
  return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> c->shift);
}

/* The id of key, or -1 when absent. */
static inline int64_t regio_idcache_get(const regio_idcache_t *c, uint64_t key) {
  if (!c->slots) return -1;
  for (size_t i = regio_idcache_slot(c, key);; i = (i + 1) & c->mask) {
    if (c->slots[i].key == key) return (int64_t)c->slots[i].id;
    if (c->slots[i].key == 0) return -1;
  }
}

/* Asks for the cache line of key's first slot, ahead of regio_idcache_get (always inlined: see
 * regio_dict_prefetch). */
__attribute__((always_inline)) static inline void regio_idcache_prefetch(const regio_idcache_t *c, uint64_t key) {
  if (c->slots) __builtin_prefetch(&c->slots[regio_idcache_slot(c, key)], 0, 3);
}

/* Adds key -> id (key absent); growing as needed. Returns 0, or -1 out of memory. When the index
 * is full the key is not added (and 0 returned): later lookups of it go to the dictionary. */
int regio_idcache_put(regio_idcache_t *c, uint64_t key, uint64_t id);
void regio_idcache_free(regio_idcache_t *c);

/* The id of a short code (key = regio_short_key(code, len)) in d, added to d when new; the index
 * learns it. -1 when out of memory. */
static inline int64_t regio_dict_intern_short(regio_dict_t *d, regio_idcache_t *c, uint64_t key, const char *code,
                                              size_t len) {
  int64_t id = regio_idcache_get(c, key);
  if (id >= 0) return id;
  id = regio_dict_intern_hashed(d, code, len, regio_hash_code(code, len));
  if (id < 0 || regio_idcache_put(c, key, (uint64_t)id) != 0) return -1;
  return id;
}

static inline uint64_t regio_cell_hash(uint64_t key) {
  key *= 0x9E3779B97F4A7C15ull;
  return key ^ (key >> 31);
}

static inline uint64_t regio_cell_key(uint32_t district, uint32_t sector) {
  return ((uint64_t)district << 32 | sector) + 1; /* district ids stay below 2^32 - 1 */
}
static inline uint32_t regio_cell_district(uint64_t key) {
  return (uint32_t)((key - 1) >> 32);
}
static inline uint32_t regio_cell_sector(uint64_t key) {
  return (uint32_t)((key - 1) & 0xffffffffu);
}

/* Asks for the cache line of the cell of (district, sector), ahead of regio_cells_add. */
__attribute__((always_inline)) static inline void regio_cells_prefetch_ids(const regio_cells_t *c, uint32_t district,
                                                                           uint32_t sector) {
  if (c->dense) {
    if (district < c->district_cap && sector < c->sector_cap)
      __builtin_prefetch(&c->dense[(size_t)district * c->sector_cap + sector], 1, 3);
    return;
  }
  __builtin_prefetch(&c->slots[(size_t)regio_cell_hash(regio_cell_key(district, sector)) & c->mask], 1, 3);
}

/* Slow paths of regio_cells_add: a cell beyond the dense table's rows or columns, a new cell that
 * fills the hash table, a row that does not fit in its dense word. Return as regio_cells_add. */
/* Releases the table's memory: no cells left (slots and dense NULL). */
void regio_cells_drop(regio_cells_t *c);
int regio_cells_add_outside(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments);
int regio_cells_add_growing(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments);
int regio_cells_add_spilling(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments);

/* The spill's sums of key, or NULL. */
const regio_cell_t *regio_cells_spilled(const regio_cells_t *c, uint64_t key);

/* Adds to a cell's pair of sums. A sum beyond the fixed-point range marks the cell (establishments
 * < 0) and is reported by the merge, which names the same cell whatever the thread count and row
 * order: the values are non-negative, so a partial sum overflows only when the total does. */
static inline void regio_cell_sums_add(int64_t *employment_sum, int64_t *establishments_sum, int64_t employment,
                                       int64_t establishments) {
  if (*establishments_sum < 0) return;
  if (__builtin_add_overflow(*employment_sum, employment, employment_sum) ||
      __builtin_add_overflow(*establishments_sum, establishments, establishments_sum))
    *establishments_sum = -1;
}

/* Adds (employment, establishments) to the cell; returns 0, or -1 out of memory. */
static inline int regio_cells_add(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  if (c->dense) {
    size_t d = regio_cell_district(key), s = regio_cell_sector(key);
    if (d >= c->district_cap || s >= c->sector_cap) return regio_cells_add_outside(c, key, employment, establishments);
    uint64_t *cell = &c->dense[d * c->sector_cap + s];
    const uint64_t v = *cell, e = (uint64_t)employment, n = (uint64_t)establishments;
    /* the row fits in a word, its establishments do not carry into the employment, and the
     * employment does not carry out of the word (negative values are huge here: spilled) */
    if ((e >> (64 - REGIO_CELL_PACK) | n >> REGIO_CELL_PACK) != 0 ||
        (v & REGIO_CELL_PACK_MASK) + n > REGIO_CELL_PACK_MASK || v + (e << REGIO_CELL_PACK | n) < v)
      return regio_cells_add_spilling(c, key, employment, establishments);
    if (v == 0 && (e | n) != 0 && (c->spill_count == 0 || !regio_cells_spilled(c, key))) {
      c->count++;
      if (d > c->max_district) c->max_district = (uint32_t)d;
      if (s > c->max_sector) c->max_sector = (uint32_t)s;
    }
    *cell = v + (e << REGIO_CELL_PACK | n);
    return 0;
  }
  size_t slot = (size_t)regio_cell_hash(key) & c->mask;
  regio_cell_t *cell;
  for (;;) {
    cell = &c->slots[slot];
    if (cell->key == key) break;
    if (cell->key == REGIO_CELL_EMPTY) {
      if ((c->count + 1) * 4 > (c->mask + 1) * 3) return regio_cells_add_growing(c, key, employment, establishments);
      cell->key = key;
      c->count++;
      if (regio_cell_district(key) > c->max_district) c->max_district = regio_cell_district(key);
      if (regio_cell_sector(key) > c->max_sector) c->max_sector = regio_cell_sector(key);
      break;
    }
    slot = (slot + 1) & c->mask;
  }
  regio_cell_sums_add(&cell->employment, &cell->establishments, employment, establishments);
  return 0;
}

/* A dense table's cell (d, s) whose word is not 0: its whole sums, the word's and its spill's (an
 * overflow in the spill marks the cell as regio_cell_sums_add does). */
static inline regio_cell_t regio_cells_dense_sums(const regio_cells_t *c, size_t d, size_t s, uint64_t word) {
  const uint64_t key = regio_cell_key((uint32_t)d, (uint32_t)s);
  regio_cell_t out = {key, (int64_t)(word >> REGIO_CELL_PACK), (int64_t)(word & REGIO_CELL_PACK_MASK)};
  const regio_cell_t *more = c->spill_count ? regio_cells_spilled(c, key) : NULL;
  if (more) {
    if (more->establishments < 0)
      out.establishments = -1;
    else
      regio_cell_sums_add(&out.employment, &out.establishments, more->employment, more->establishments);
  }
  return out;
}

/* A slot of a dense table's spill that is a cell of its own: one whose word is 0 (or outside the
 * dense matrix) and whose sums are not both 0 (the others come with their word). */
static inline int regio_cells_spilled_alone(const regio_cells_t *c, const regio_cell_t *cell) {
  if (cell->key == REGIO_CELL_EMPTY || (cell->employment | cell->establishments) == 0) return 0;
  const size_t d = regio_cell_district(cell->key), s = regio_cell_sector(cell->key);
  return !(d < c->district_cap && s < c->sector_cap && c->dense[d * c->sector_cap + s] != 0);
}

/* Visits the table's cells: regio_cells_iter_t it = regio_cells_iter(c); regio_cell_t cell;
 * while (regio_cells_next(&it, &cell)) ... Each present cell once, with its whole sums (a dense
 * word and its spill added; an overflow marks the cell as regio_cell_sums_add does), in an order
 * that depends on the table's form and history (merges do not depend on it: integer sums).
 * regio_cells_iter_range(c, map, lo, hi) visits only the cells whose district d has lo <= map[d] <
 * hi: a thread's share of a parallel merge. */
typedef struct regio_cells_iter {
  const regio_cells_t *c;
  size_t i, d, s;
  const uint32_t *map; /* NULL: every cell */
  uint32_t lo, hi;
} regio_cells_iter_t;

static inline regio_cells_iter_t regio_cells_iter(const regio_cells_t *c) {
  return (regio_cells_iter_t){c, 0, 0, 0, NULL, 0, 0};
}

static inline regio_cells_iter_t regio_cells_iter_range(const regio_cells_t *c, const uint32_t *map, uint32_t lo,
                                                        uint32_t hi) {
  return (regio_cells_iter_t){c, 0, 0, 0, map, lo, hi};
}

static inline int regio_cells_iter_skips(const regio_cells_iter_t *it, size_t d) {
  return it->map && (it->map[d] < it->lo || it->map[d] >= it->hi);
}

static inline int regio_cells_next(regio_cells_iter_t *it, regio_cell_t *out) {
  const regio_cells_t *c = it->c;
  if (c->dense) {
    const size_t rows = c->count ? (size_t)c->max_district + 1 : 0, cols = (size_t)c->max_sector + 1;
    while (it->d < rows) {
      if (it->s == 0 && regio_cells_iter_skips(it, it->d)) {
        it->d++;
        continue;
      }
      const uint64_t *row = &c->dense[it->d * c->sector_cap];
      while (it->s < cols) {
        const size_t s = it->s++;
        if (row[s] != 0) {
          *out = regio_cells_dense_sums(c, it->d, s, row[s]);
          return 1;
        }
      }
      it->s = 0;
      it->d++;
    }
    /* then the spilled cells whose word is empty (the others came with their word) */
    while (it->i <= c->spill_mask && c->spill) {
      const regio_cell_t *cell = &c->spill[it->i++];
      if (!regio_cells_spilled_alone(c, cell) || regio_cells_iter_skips(it, regio_cell_district(cell->key))) continue;
      *out = *cell;
      return 1;
    }
    return 0;
  }
  while (it->i <= c->mask) {
    const regio_cell_t *cell = &c->slots[it->i++];
    if (cell->key != REGIO_CELL_EMPTY && !regio_cells_iter_skips(it, regio_cell_district(cell->key))) {
      *out = *cell;
      return 1;
    }
  }
  return 0;
}

/* Sorted union of the codes in all partials' dictionaries (select: 0 districts, 1 sectors) into
 * out, and per partial the map from its local ids to the union's (local_to_global[t], malloc'ed). */
regio_err_t regio_partials_union_codes(regio_partial_t *const *partials, int n, int select, regio_codes_t *out,
                                       uint32_t **local_to_global, regio_ctx_t *ctx);

/* Distributed mode: the partials of this rank's threads, combined with every other rank's, into
 * the aggregate of the block of districts this rank owns (agg->district_offset, n_districts_global;
 * the sectors and the per-sector totals national). Collective. align_prefix: see
 * regio_ingest_opts_t.district_align_prefix. */
regio_err_t regio_partials_merge_dist(regio_partial_t *const *partials, int n_partials, int align_prefix,
                                      regio_aggregate_t *agg, regio_ctx_t *ctx);

/* Builds the global aggregate (sorted codes, the employment matrix's non-zero cells, establishment
 * totals) from the partials. A partial whose cells are a hash table has the table released once
 * its cells are staged (its cells then empty; the partial is still freed by regio_partial_free). */
regio_err_t regio_partials_merge(regio_partial_t *const *partials, int n_partials, regio_aggregate_t *agg,
                                 regio_ctx_t *ctx);

#endif
