/* Per-thread partial aggregates: growth paths. The hot paths are inline in tables_impl.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "aggregate/tables_impl.h"

enum { DICT_INITIAL_SLOTS = 1024 };

static int dict_init(regio_dict_t *d) {
  memset(d, 0, sizeof *d);
  d->slots = calloc(DICT_INITIAL_SLOTS, sizeof *d->slots);
  d->mask = DICT_INITIAL_SLOTS - 1;
  d->entries_cap = DICT_INITIAL_SLOTS / 2;
  d->entries = malloc(d->entries_cap * sizeof *d->entries);
  d->arena_cap = 16384;
  d->arena = malloc(d->arena_cap);
  return (d->slots && d->entries && d->arena) ? 0 : -1;
}

static void dict_free(regio_dict_t *d) {
  free(d->slots);
  free(d->entries);
  free(d->arena);
  memset(d, 0, sizeof *d);
}

int regio_dict_grow(regio_dict_t *d) {
  size_t n_slots = (d->mask + 1) * 2;
  regio_dict_slot_t *slots = calloc(n_slots, sizeof *slots);
  if (!slots) return -1;
  for (size_t i = 0; i < d->count; i++) {
    size_t slot = (size_t)d->entries[i].hash & (n_slots - 1);
    while (slots[slot].id_plus_one) slot = (slot + 1) & (n_slots - 1);
    slots[slot] = (regio_dict_slot_t){d->entries[i].hash, (uint32_t)(i + 1), d->entries[i].offset};
  }
  free(d->slots);
  d->slots = slots;
  d->mask = n_slots - 1;
  return 0;
}

int regio_dict_push(regio_dict_t *d, uint64_t hash, const char *code, size_t len, size_t slot) {
  if (d->count >= UINT32_MAX - 1 || len > 255 || d->arena_len + len + 1 > UINT32_MAX) return -1;
  if (d->arena_len + len + 1 > d->arena_cap) {
    size_t cap = d->arena_cap * 2 + len + 1;
    char *arena = realloc(d->arena, cap);
    if (!arena) return -1;
    d->arena = arena;
    d->arena_cap = cap;
  }
  if (d->count == d->entries_cap) {
    size_t cap = d->entries_cap * 2;
    regio_dict_entry_t *entries = realloc(d->entries, cap * sizeof *entries);
    if (!entries) return -1;
    d->entries = entries;
    d->entries_cap = cap;
  }
  d->arena[d->arena_len] = (char)(unsigned char)len; /* the length byte, then the code */
  uint32_t offset = (uint32_t)d->arena_len + 1;
  memcpy(d->arena + offset, code, len);
  d->entries[d->count] = (regio_dict_entry_t){hash, offset, (uint32_t)len};
  d->arena_len += len + 1;
  d->slots[slot] = (regio_dict_slot_t){hash, (uint32_t)(d->count + 1), offset};
  d->count++;
  if (d->count * 2 > d->mask + 1) return regio_dict_grow(d);
  return 0;
}

/* Cell tables are zero-filled (zero = empty slot). Large ones are mapped anonymously, so their
 * pages are zeroed lazily by the kernel, and backed by huge pages where allowed, which removes
 * most TLB misses of the random accesses. */
enum { CELLS_INITIAL_SLOTS_BIG = 1 << 16 };
static const size_t MAP_THRESHOLD = (size_t)2 << 20;

static void *cells_map(size_t bytes) {
  if (bytes < MAP_THRESHOLD) return calloc(1, bytes);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

static void cells_unmap(void *table, size_t bytes) {
  if (!table) return;
  if (bytes < MAP_THRESHOLD)
    free(table);
  else
    munmap(table, bytes);
}

/* Frees either form of c's table. */
static void cells_release(regio_cells_t *c) {
  if (c->dense)
    cells_unmap(c->dense, c->district_cap * c->sector_cap * sizeof(uint64_t));
  else
    cells_unmap(c->slots, (c->mask + 1) * sizeof(regio_cell_t));
  free(c->spill);
  c->spill = NULL;
  c->spill_mask = c->spill_count = 0;
}

void regio_cells_drop(regio_cells_t *c) {
  if (c->slots || c->dense) cells_release(c);
  memset(c, 0, sizeof *c);
}

static int cells_alloc(regio_cells_t *c, size_t n_slots) {
  c->slots = cells_map(n_slots * sizeof(regio_cell_t));
  if (!c->slots) return -1;
  c->mask = n_slots - 1;
  c->count = 0;
  return 0;
}

/* Inserts an existing cell's sums into a hash table with room for it (a grown or a new table). */
static void hash_put(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  size_t slot = (size_t)regio_cell_hash(key) & c->mask;
  while (c->slots[slot].key != REGIO_CELL_EMPTY) slot = (slot + 1) & c->mask;
  c->slots[slot] = (regio_cell_t){key, employment, establishments};
  c->count++;
}

/* The spill of a dense table: key's slot (holding key, or empty where it would go). */
static regio_cell_t *spill_slot(const regio_cells_t *c, uint64_t key) {
  size_t slot = (size_t)regio_cell_hash(key) & c->spill_mask;
  while (c->spill[slot].key != key && c->spill[slot].key != REGIO_CELL_EMPTY) slot = (slot + 1) & c->spill_mask;
  return &c->spill[slot];
}

const regio_cell_t *regio_cells_spilled(const regio_cells_t *c, uint64_t key) {
  if (!c->spill) return NULL;
  const regio_cell_t *cell = spill_slot(c, key);
  return cell->key == key ? cell : NULL;
}

/* Adds sums to key's cell in the spill (created, or grown to at most 3/4 full); 0, or -1 out of
 * memory. */
static int spill_add(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  if (!c->spill || (c->spill_count + 1) * 4 > (c->spill_mask + 1) * 3) {
    size_t n = c->spill ? 2 * (c->spill_mask + 1) : 64;
    regio_cell_t *old = c->spill;
    size_t old_n = c->spill ? c->spill_mask + 1 : 0;
    c->spill = calloc(n, sizeof *c->spill);
    if (!c->spill) {
      c->spill = old;
      return -1;
    }
    c->spill_mask = n - 1;
    for (size_t i = 0; i < old_n; i++)
      if (old[i].key != REGIO_CELL_EMPTY) *spill_slot(c, old[i].key) = old[i];
    free(old);
  }
  regio_cell_t *cell = spill_slot(c, key);
  if (cell->key == REGIO_CELL_EMPTY) {
    *cell = (regio_cell_t){key, 0, 0};
    c->spill_count++;
  }
  regio_cell_sums_add(&cell->employment, &cell->establishments, employment, establishments);
  return 0;
}

/* Puts sums into a dense table's cell: into its word when they fit, else into the spill. */
static int dense_put(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  uint64_t *word = &c->dense[(size_t)regio_cell_district(key) * c->sector_cap + regio_cell_sector(key)];
  const uint64_t e = (uint64_t)employment, n = (uint64_t)establishments;
  if (*word == 0 && (e >> (64 - REGIO_CELL_PACK) | n >> REGIO_CELL_PACK) == 0) {
    *word = e << REGIO_CELL_PACK | n;
    return 0;
  }
  return spill_add(c, key, employment, establishments);
}

int regio_cells_add_spilling(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  const size_t d = regio_cell_district(key), s = regio_cell_sector(key);
  uint64_t *word = &c->dense[d * c->sector_cap + s];
  if (*word == 0 && (employment | establishments) != 0 && !regio_cells_spilled(c, key)) { /* a new cell */
    c->count++;
    if (d > c->max_district) c->max_district = (uint32_t)d;
    if (s > c->max_sector) c->max_sector = (uint32_t)s;
  }
  if (*word != 0) { /* the word's sums move to the spill; the row goes in the word if it fits */
    if (spill_add(c, key, (int64_t)(*word >> REGIO_CELL_PACK), (int64_t)(*word & REGIO_CELL_PACK_MASK)) != 0) return -1;
    *word = 0;
  }
  return dense_put(c, key, employment, establishments);
}

static int hash_regrow(regio_cells_t *c, size_t n_slots) {
  regio_cells_t bigger = *c;
  bigger.spill = NULL; /* (the cells come with their spilled sums) */
  bigger.spill_mask = bigger.spill_count = 0;
  if (cells_alloc(&bigger, n_slots) != 0) return -1;
  regio_cells_iter_t it = regio_cells_iter(c);
  regio_cell_t cell;
  while (regio_cells_next(&it, &cell)) hash_put(&bigger, cell.key, cell.employment, cell.establishments);
  cells_release(c);
  bigger.dense = NULL;
  bigger.district_cap = bigger.sector_cap = 0;
  *c = bigger;
  return 0;
}

/* Row width of a dense table whose largest sector id is max_sector: room for an eighth more
 * sectors, rounded to whole 64-byte lines (8 cells). */
static size_t dense_width(size_t max_sector) {
  size_t n = max_sector + 1;
  return (n + n / 8 + 8 + 7) & ~(size_t)7;
}

/* The bytes a dense table of rows up to max_district touches, and those a hash table of count
 * cells would take after its next doubling (3/4 full at most). */
static size_t dense_touched(size_t max_district, size_t width) {
  return (max_district + 1) * width * sizeof(uint64_t);
}
static size_t hash_bytes(size_t count) {
  size_t n_slots = CELLS_INITIAL_SLOTS_BIG;
  while (count * 4 > n_slots * 3) n_slots *= 2;
  return n_slots * sizeof(regio_cell_t);
}

/* Makes c a dense table of district_cap rows of width sector_cap holding its cells (the rows
 * beyond the largest district id are reserved, not touched: the mapping's pages are zeroed by the
 * kernel on first use). */
static int to_dense(regio_cells_t *c, size_t district_cap, size_t sector_cap) {
  regio_cells_t next = {
      .max_district = c->max_district, .max_sector = c->max_sector, .dense_allowance = c->dense_allowance};
  next.dense = cells_map(district_cap * sector_cap * sizeof(uint64_t));
  if (!next.dense) return -1;
  next.district_cap = district_cap;
  next.sector_cap = sector_cap;
  regio_cells_iter_t it = regio_cells_iter(c);
  regio_cell_t cell;
  while (regio_cells_next(&it, &cell)) {
    if (dense_put(&next, cell.key, cell.employment, cell.establishments) != 0) {
      cells_release(&next);
      return -1;
    }
    next.count += (cell.employment | cell.establishments) != 0;
  }
  cells_release(c);
  *c = next;
  return 0;
}

/* The largest district and sector ids of c's cells and key's. */
static void largest_ids(const regio_cells_t *c, uint64_t key, size_t *max_district, size_t *max_sector) {
  *max_district = c->max_district > regio_cell_district(key) ? c->max_district : regio_cell_district(key);
  *max_sector = c->max_sector > regio_cell_sector(key) ? c->max_sector : regio_cell_sector(key);
}

/* The most a dense table may touch beside a hash table of hash_bytes: twice that, or the table's
 * allowance if larger. */
static size_t dense_allowed(const regio_cells_t *c, size_t hash_bytes) {
  return 2 * hash_bytes > c->dense_allowance ? 2 * hash_bytes : c->dense_allowance;
}

/* A new cell in a full hash table: the table doubles, or becomes dense when the dense matrix of
 * the ids seen so far would touch no more than twice the memory of the doubled table (at most 4/3
 * of the peak of the doubling itself, old and new slots together; a doubling fewer to rehash), or
 * no more than the table's allowance. */
int regio_cells_add_growing(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  size_t max_district, max_sector;
  largest_ids(c, key, &max_district, &max_sector);
  size_t width = dense_width(max_sector), doubled = (c->mask + 1) * 2;
  if (dense_touched(max_district, width) <= dense_allowed(c, doubled * sizeof(regio_cell_t))) {
    /* rows for twice the districts seen so far, and room for a quarter more sectors where the
     * allowance has it: sectors met later (the rare ones) then seldom need a new layout, which
     * costs as much as the first (its pages zeroed, the cells copied) */
    const size_t wider = dense_width(max_sector + max_sector / 4 + 1);
    if (dense_touched(max_district, wider) <= c->dense_allowance) width = wider;
    if (to_dense(c, 2 * (max_district + 1) + 64, width) != 0) return -1;
  } else if (hash_regrow(c, doubled) != 0) {
    return -1;
  }
  return regio_cells_add(c, key, employment, establishments);
}

/* A cell beyond the dense table's rows or row width: the table is laid out again, wider or with
 * more rows, or goes back to a hash table when its ids have become much sparser than its cells
 * (it would touch more than twice the memory of a hash table of the same cells, and more than its
 * allowance). */
int regio_cells_add_outside(regio_cells_t *c, uint64_t key, int64_t employment, int64_t establishments) {
  size_t max_district, max_sector;
  largest_ids(c, key, &max_district, &max_sector);
  size_t width = c->sector_cap;
  if (max_sector >= width) {
    width = dense_width(max_sector);
    if (width < c->sector_cap + c->sector_cap / 4) width = (c->sector_cap + c->sector_cap / 4 + 3) & ~(size_t)3;
  }
  size_t rows = c->district_cap;
  if (max_district >= rows) rows = 2 * (max_district + 1) + 64;
  int fail;
  if (dense_touched(max_district, width) > dense_allowed(c, hash_bytes(c->count + 1)))
    fail = hash_regrow(c, hash_bytes(2 * (c->count + 1)) / sizeof(regio_cell_t));
  else
    fail = to_dense(c, rows, width);
  if (fail) return -1;
  return regio_cells_add(c, key, employment, establishments);
}

/* Grows the size arrays to cover the dictionaries' ids (twice their count, so that growth is rare). */
int regio_partial_grow_sizes(regio_partial_t *p) {
  size_t sectors = 2 * p->sectors.count + 64, districts = 2 * p->districts.count + 64;
  if (sectors > p->sector_size_squares_cap) {
    regio_u128_t *grown = realloc(p->sector_size_squares, sectors * sizeof *grown);
    if (!grown) return -1;
    memset(grown + p->sector_size_squares_cap, 0, (sectors - p->sector_size_squares_cap) * sizeof *grown);
    p->sector_size_squares = grown;
    p->sector_size_squares_cap = sectors;
  }
  if (districts > p->district_micro_cap) {
    int64_t *grown = realloc(p->district_micro, districts * sizeof *grown);
    if (!grown) return -1;
    memset(grown + p->district_micro_cap, 0, (districts - p->district_micro_cap) * sizeof *grown);
    p->district_micro = grown;
    p->district_micro_cap = districts;
  }
  return 0;
}

int regio_partial_grow_actors(regio_partial_t *p) {
  size_t districts = 2 * p->districts.count + 64;
  if (districts <= p->district_actor_cap) return 0;
  int64_t *grown = realloc(p->district_actor, districts * REGIO_MAX_ACTORS * sizeof *grown);
  if (!grown) return -1;
  memset(grown + p->district_actor_cap * REGIO_MAX_ACTORS, 0,
         (districts - p->district_actor_cap) * REGIO_MAX_ACTORS * sizeof *grown);
  p->district_actor = grown;
  p->district_actor_cap = districts;
  return 0;
}

/* An index of up to REGIO_IDCACHE_SPARSE_SLOTS slots is kept at most a quarter full, a larger one
 * at most half full. A lookup whose code is not in its first slot costs a mispredicted branch
 * after a load from L2. `narrow`'s 3,500 districts, rows in random order (bench/lookups.c, the
 * same keys, hash and slots, the two lookups of a row): half full, 14% of the district lookups
 * went past the first slot and a row took 5.3-5.4 ns; a quarter full, 10% and 4.3-4.5 ns; the
 * first slot's load alone 2.0-2.3 ns. Larger indexes do not fit in L2 either way and are looked
 * up after a prefetch (the reader's staging). */
#define REGIO_IDCACHE_SPARSE_SLOTS ((size_t)1 << 16)

int regio_idcache_put(regio_idcache_t *c, uint64_t key, uint64_t id) {
  const size_t n_slots = c->slots ? c->mask + 1 : 0;
  if (!c->slots || (c->count + 1) * (n_slots <= REGIO_IDCACHE_SPARSE_SLOTS ? 4 : 2) > n_slots) {
    size_t n = c->slots ? (c->mask + 1) * 2 : 1024;
    if (n > REGIO_IDCACHE_MAX_SLOTS) return 0; /* full: the dictionary answers for the rest */
    regio_idcache_slot_t *slots = calloc(n, sizeof *slots);
    if (!slots) return -1;
    regio_idcache_t grown = {slots, n - 1, 0, 64 - __builtin_ctzll(n)};
    for (size_t i = 0; c->slots && i <= c->mask; i++) {
      if (c->slots[i].key == 0) continue;
      size_t j = regio_idcache_slot(&grown, c->slots[i].key);
      while (slots[j].key) j = (j + 1) & grown.mask;
      slots[j] = c->slots[i];
    }
    grown.count = c->count;
    free(c->slots);
    *c = grown;
  }
  size_t j = regio_idcache_slot(c, key);
  while (c->slots[j].key) j = (j + 1) & c->mask;
  c->slots[j] = (regio_idcache_slot_t){key, id};
  c->count++;
  return 0;
}

void regio_idcache_free(regio_idcache_t *c) {
  free(c->slots);
  memset(c, 0, sizeof *c);
}

int regio_partial_init(regio_partial_t *p) {
  memset(p, 0, sizeof *p);
  p->actor_over_offset = INT64_MAX;
  if (dict_init(&p->districts) != 0 || dict_init(&p->sectors) != 0 ||
      cells_alloc(&p->cells, CELLS_INITIAL_SLOTS_BIG) != 0) {
    regio_partial_free(p);
    return -1;
  }
  return 0;
}

void regio_partial_free(regio_partial_t *p) {
  dict_free(&p->districts);
  dict_free(&p->sectors);
  regio_idcache_free(&p->district_short);
  regio_idcache_free(&p->sector_short);
  if (p->cells.slots || p->cells.dense) cells_release(&p->cells);
  free(p->sector_size_squares);
  free(p->district_micro);
  free(p->district_actor);
  memset(p, 0, sizeof *p);
}
