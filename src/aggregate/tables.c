/* Per-thread partial aggregates: growth paths. The hot paths are inline in tables_impl.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "aggregate/tables_impl.h"

enum { DICT_INITIAL_SLOTS = 1024, CELLS_INITIAL_SLOTS = 1 << 14 };

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
  uint32_t *slots = calloc(n_slots, sizeof *slots);
  if (!slots) return -1;
  for (size_t i = 0; i < d->count; i++) {
    size_t slot = (size_t)d->entries[i].hash & (n_slots - 1);
    while (slots[slot]) slot = (slot + 1) & (n_slots - 1);
    slots[slot] = (uint32_t)(i + 1);
  }
  free(d->slots);
  d->slots = slots;
  d->mask = n_slots - 1;
  return 0;
}

int regio_dict_push(regio_dict_t *d, uint64_t hash, const char *code, size_t len, size_t slot) {
  if (d->count >= UINT32_MAX - 1) return -1;
  if (d->arena_len + len > d->arena_cap) {
    size_t cap = d->arena_cap * 2 + len;
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
  memcpy(d->arena + d->arena_len, code, len);
  d->entries[d->count] = (regio_dict_entry_t){hash, (uint32_t)d->arena_len, (uint32_t)len};
  d->arena_len += len;
  d->slots[slot] = (uint32_t)(d->count + 1);
  d->count++;
  if (d->count * 2 > d->mask + 1) return regio_dict_grow(d);
  return 0;
}

/* Large tables are accessed at random: back them with huge pages where the kernel allows, which
 * removes most TLB misses. */
static void *table_alloc(size_t bytes) {
  const size_t huge = (size_t)2 << 20;
  if (bytes < huge) return malloc(bytes);
  void *p = NULL;
  if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge) != 0) return NULL;
  madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
  return p;
}

static int cells_alloc(regio_cells_t *c, size_t n_slots) {
  c->slots = table_alloc(n_slots * sizeof *c->slots);
  if (!c->slots) return -1;
  for (size_t i = 0; i < n_slots; i++) c->slots[i] = (regio_cell_t){REGIO_CELL_EMPTY, 0, 0};
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
  free(c->slots);
  *c = bigger;
  return 0;
}

int regio_partial_init(regio_partial_t *p) {
  memset(p, 0, sizeof *p);
  if (dict_init(&p->districts) != 0 || dict_init(&p->sectors) != 0 ||
      cells_alloc(&p->cells, CELLS_INITIAL_SLOTS) != 0) {
    regio_partial_free(p);
    return -1;
  }
  return 0;
}

void regio_partial_free(regio_partial_t *p) {
  dict_free(&p->districts);
  dict_free(&p->sectors);
  free(p->cells.slots);
  memset(p, 0, sizeof *p);
}
