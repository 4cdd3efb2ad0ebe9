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

static regio_cell_t *cells_map(size_t n_slots) {
  size_t bytes = n_slots * sizeof(regio_cell_t);
  if (bytes < MAP_THRESHOLD) return calloc(n_slots, sizeof(regio_cell_t));
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

static void cells_unmap(regio_cell_t *slots, size_t n_slots) {
  if (!slots) return;
  size_t bytes = n_slots * sizeof(regio_cell_t);
  if (bytes < MAP_THRESHOLD)
    free(slots);
  else
    munmap(slots, bytes);
}

static int cells_alloc(regio_cells_t *c, size_t n_slots) {
  c->slots = cells_map(n_slots);
  if (!c->slots) return -1;
  c->mask = n_slots - 1;
  c->count = 0;
  return 0;
}

int regio_cells_grow(regio_cells_t *c) {
  regio_cells_t bigger;
  if (cells_alloc(&bigger, (c->mask + 1) * 2) != 0) return -1;
  for (size_t i = 0; i <= c->mask; i++) {
    const regio_cell_t *cell = &c->slots[i];
    if (cell->key == REGIO_CELL_EMPTY) continue;
    size_t slot = (size_t)regio_cell_hash(cell->key) & bigger.mask;
    while (bigger.slots[slot].key != REGIO_CELL_EMPTY) slot = (slot + 1) & bigger.mask;
    bigger.slots[slot] = *cell;
    bigger.count++;
  }
  cells_unmap(c->slots, c->mask + 1);
  *c = bigger;
  return 0;
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
  if (p->cells.slots) cells_unmap(p->cells.slots, p->cells.mask + 1);
  free(p->sector_size_squares);
  free(p->district_micro);
  free(p->district_actor);
  memset(p, 0, sizeof *p);
}
