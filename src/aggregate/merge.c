/* Merging the per-thread partial aggregates into the global, sorted aggregate. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/tables_impl.h"
#include "core/cells_impl.h"
#include "regio/dist.h"
#include "regio/memory.h"

typedef struct code_ref {
  const char *text;
  uint32_t len;
} code_ref_t;

/* Bytewise order, a prefix before its extensions: the order of memcmp on NUL-padded slots. */
static int code_ref_cmp(const void *a, const void *b) {
  const code_ref_t *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->text, y->text, n);
  if (c) return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* The sorted, unique codes of refs[0, total) (reordered) into out, slots of width bytes. */
static regio_err_t codes_from_refs(code_ref_t *refs, size_t total, size_t width, regio_codes_t *out, regio_ctx_t *ctx) {
  qsort(refs, total, sizeof *refs, code_ref_cmp);
  size_t unique = 0;
  for (size_t i = 0; i < total; i++)
    if (unique == 0 || code_ref_cmp(&refs[unique - 1], &refs[i]) != 0) refs[unique++] = refs[i];
  REGIO_TRY(regio_codes_init(out, unique, width, ctx));
  for (size_t i = 0; i < unique; i++) memcpy(out->chars + i * width, refs[i].text, refs[i].len);
  return REGIO_OK;
}

/* Sorted union of the codes in all partials' dictionaries (select: 0 districts, 1 sectors). */
regio_err_t regio_partials_union_codes(regio_partial_t *const *partials, int n, int select, regio_codes_t *out,
                                       uint32_t **local_to_global, regio_ctx_t *ctx) {
  size_t total = 0;
  for (int t = 0; t < n; t++) total += select ? partials[t]->sectors.count : partials[t]->districts.count;
  code_ref_t *refs = malloc((total ? total : 1) * sizeof *refs);
  REGIO_CHECK(ctx, refs, REGIO_ERR_NOMEM, "out of memory merging %zu codes", total);
  size_t k = 0, width = 1;
  for (int t = 0; t < n; t++) {
    const regio_dict_t *d = select ? &partials[t]->sectors : &partials[t]->districts;
    for (size_t i = 0; i < d->count; i++) {
      refs[k].text = d->arena + d->entries[i].offset;
      refs[k].len = d->entries[i].len;
      if (refs[k].len > width) width = refs[k].len;
      k++;
    }
  }
  regio_err_t err = codes_from_refs(refs, total, width, out, ctx);
  free(refs);
  if (err) return err;

  for (int t = 0; t < n; t++) {
    const regio_dict_t *d = select ? &partials[t]->sectors : &partials[t]->districts;
    local_to_global[t] = malloc((d->count ? d->count : 1) * sizeof(uint32_t));
    REGIO_CHECK(ctx, local_to_global[t], REGIO_ERR_NOMEM, "out of memory merging codes");
    for (size_t i = 0; i < d->count; i++) {
      size_t g = regio_codes_find(out, d->arena + d->entries[i].offset, d->entries[i].len);
      REGIO_CHECK(ctx, g != (size_t)-1, REGIO_ERR_INTERNAL, "code lost while merging");
      local_to_global[t][i] = (uint32_t)g;
    }
  }
  return REGIO_OK;
}

/* The actor types of all partials: their sorted union, each district's employment by type. A
 * thread's partial may have types the others lack; more than REGIO_MAX_ACTORS in all is an error. */
static regio_err_t merge_actors(regio_partial_t *const *partials, int n, const uint32_t *const *district_map,
                                regio_aggregate_t *agg, regio_ctx_t *ctx) {
  code_ref_t *refs = malloc((size_t)(n ? n : 1) * REGIO_MAX_ACTORS * sizeof *refs);
  REGIO_CHECK(ctx, refs, REGIO_ERR_NOMEM, "out of memory merging actor types");
  regio_err_t err = REGIO_OK;
  int total = 0, unique = 0;
  for (int t = 0; t < n; t++)
    for (int a = 0; a < partials[t]->n_actors; a++) {
      refs[total].text = partials[t]->actor_code[a];
      refs[total].len = (uint32_t)partials[t]->actor_len[a];
      total++;
    }
  qsort(refs, (size_t)total, sizeof *refs, code_ref_cmp);
  for (int i = 0; i < total; i++)
    if (unique == 0 || code_ref_cmp(&refs[unique - 1], &refs[i]) != 0) refs[unique++] = refs[i];
  if (unique > REGIO_MAX_ACTORS) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "the actor column has more than %d distinct values (%.*s, %.*s, ...): it should name actor "
                      "types such as firm, university, research, government, civil society",
                      REGIO_MAX_ACTORS, (int)refs[0].len, refs[0].text, (int)refs[1].len, refs[1].text);
    goto cleanup;
  }
  size_t D = agg->districts.count;
  agg->actor_codes = calloc((size_t)(unique ? unique : 1), sizeof *agg->actor_codes);
  agg->district_actor_employment = calloc(D * (size_t)(unique ? unique : 1), sizeof(int64_t));
  if (!agg->actor_codes || !agg->district_actor_employment) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging actor types");
    goto cleanup;
  }
  agg->n_actors = unique;
  for (int a = 0; a < unique; a++) {
    agg->actor_codes[a] = strndup(refs[a].text, refs[a].len);
    if (!agg->actor_codes[a]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging actor types");
      goto cleanup;
    }
  }
  for (int t = 0; t < n; t++) {
    const regio_partial_t *p = partials[t];
    int map[REGIO_MAX_ACTORS];
    for (int a = 0; a < p->n_actors; a++) {
      code_ref_t key = {p->actor_code[a], (uint32_t)p->actor_len[a]};
      const code_ref_t *hit = bsearch(&key, refs, (size_t)unique, sizeof *refs, code_ref_cmp);
      if (!hit) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "actor type lost while merging");
        goto cleanup;
      }
      map[a] = (int)(hit - refs);
    }
    for (size_t i = 0; i < p->districts.count && i < p->district_actor_cap; i++)
      for (int a = 0; a < p->n_actors; a++)
        agg->district_actor_employment[(size_t)district_map[t][i] * (size_t)unique + (size_t)map[a]] +=
            p->district_actor[i * REGIO_MAX_ACTORS + (size_t)a];
  }
cleanup:
  free(refs);
  return err;
}

/* A cell of a partial on its way to its district's row: its global sector and sums. */
enum { MERGE_AHEAD = 16 };
typedef struct staged_cell {
  uint32_t sector;
  int64_t employment, establishments;
} staged_cell_t;

/* What a thread of the merge adds into: the row of the district it is at (employment, dense over
 * the global sectors), the sectors' establishments (its own), and the first overflows. */
typedef struct merge_sums {
  int64_t *row;
  int64_t *sector_est;
  unsigned char *sector_over;
  size_t bad_cell, bad_district;
} merge_sums_t;

/* Adds a cell's sums into district g's row and establishments; sums beyond the fixed-point range
 * are noted as regio_partials_merge describes. */
static inline void merge_add(regio_aggregate_t *agg, size_t S, merge_sums_t *m, size_t g, size_t s, int64_t employment,
                             int64_t establishments) {
  if (establishments < 0 || __builtin_add_overflow(m->row[s], employment, &m->row[s])) {
    if (g * S + s < m->bad_cell) m->bad_cell = g * S + s;
    return;
  }
  if (__builtin_add_overflow(agg->district_establishments[g], establishments, &agg->district_establishments[g]) &&
      g < m->bad_district)
    m->bad_district = g;
  if (__builtin_add_overflow(m->sector_est[s], establishments, &m->sector_est[s]))
    __atomic_store_n(&m->sector_over[s], 1, __ATOMIC_RELAXED);
}

/* The next cell of a partial to stage: every cell of a hash table, a dense table's spilled cells
 * whose word is 0 (its others are added row by row). */
static inline int staged_next(regio_cells_iter_t *it, regio_cell_t *out) {
  const regio_cells_t *c = it->c;
  if (!c->dense) return regio_cells_next(it, out);
  while (c->spill && it->i <= c->spill_mask) {
    const regio_cell_t *cell = &c->spill[it->i++];
    if (regio_cells_spilled_alone(c, cell)) {
      *out = *cell;
      return 1;
    }
  }
  return 0;
}

static int cmp_u32(const void *a, const void *b) {
  const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* A thread's cells of the districts it owns, in (district, sector) order: sectors, values. */
typedef struct merge_out {
  uint32_t *sector;
  int64_t *value;
  size_t n, cap;
  size_t first_district; /* of the thread's part */
} merge_out_t;

/* Room for `more` cells after the n there are. 0, or -1 out of memory. */
static int merge_out_room(merge_out_t *o, size_t more) {
  if (o->n + more <= o->cap) return 0;
  size_t cap = 2 * o->cap > o->n + more ? 2 * o->cap : o->n + more;
  uint32_t *s = realloc(o->sector, cap * sizeof *s);
  if (!s) return -1;
  o->sector = s;
  int64_t *v = realloc(o->value, cap * sizeof *v);
  if (!v) return -1;
  o->value = v;
  o->cap = cap;
  return 0;
}

/* The non-zero entries of the district's row as cells, in sector order, the row zeroed behind
 * them: the sectors touched (sorted here) when few, else a scan of the whole row. Returns the
 * cells added, or SIZE_MAX out of memory. */
static size_t merge_emit(merge_out_t *o, int64_t *row, size_t S, uint32_t *touched, size_t n_touched) {
  const size_t before = o->n;
  if (touched) {
    if (n_touched <= 16) {
      for (size_t i = 1; i < n_touched; i++) {
        const uint32_t v = touched[i];
        size_t k = i;
        for (; k > 0 && touched[k - 1] > v; k--) touched[k] = touched[k - 1];
        touched[k] = v;
      }
    } else {
      qsort(touched, n_touched, sizeof *touched, cmp_u32);
    }
    if (merge_out_room(o, n_touched)) return SIZE_MAX;
    for (size_t i = 0; i < n_touched; i++) {
      const uint32_t s = touched[i];
      if (row[s]) {
        o->sector[o->n] = s;
        o->value[o->n++] = row[s];
        row[s] = 0;
      }
    }
    return o->n - before;
  }
  if (merge_out_room(o, S)) return SIZE_MAX;
  size_t s = 0;
  for (; s + 8 <= S; s += 8) {
    unsigned mask = regio_nonzero_mask8(row + s);
    while (mask) {
      const unsigned j = (unsigned)__builtin_ctz(mask);
      mask &= mask - 1;
      o->sector[o->n] = (uint32_t)(s + j);
      o->value[o->n++] = row[s + j];
      row[s + j] = 0;
    }
  }
  for (; s < S; s++)
    if (row[s]) {
      o->sector[o->n] = (uint32_t)s;
      o->value[o->n++] = row[s];
      row[s] = 0;
    }
  return o->n - before;
}

/* The error for sums beyond the fixed-point range, naming the first overflowing cell (index
 * d * S + s), else district, else sector (SIZE_MAX: none), by their codes; REGIO_OK when none. */
static regio_err_t overflow_error(const regio_codes_t *districts, const regio_codes_t *sectors, size_t bad_cell,
                                  size_t bad_district, size_t bad_sector, regio_ctx_t *ctx) {
  if (bad_cell != SIZE_MAX) {
    const size_t d = bad_cell / sectors->count, s = bad_cell % sectors->count;
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                       "the employment or establishments of district %.*s in sector %.*s sum to more than the 64-bit "
                       "fixed-point range holds (%.3f employees)",
                       (int)regio_codes_len(districts, d), regio_codes_at(districts, d),
                       (int)regio_codes_len(sectors, s), regio_codes_at(sectors, s), (double)INT64_MAX / REGIO_MILLI);
  }
  if (bad_district != SIZE_MAX)
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the establishments of district %.*s sum beyond the 64-bit range",
                       (int)regio_codes_len(districts, bad_district), regio_codes_at(districts, bad_district));
  if (bad_sector != SIZE_MAX)
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the establishments of sector %.*s sum beyond the 64-bit range",
                       (int)regio_codes_len(sectors, bad_sector), regio_codes_at(sectors, bad_sector));
  return REGIO_OK;
}

regio_err_t regio_partials_merge(regio_partial_t *const *partials, int n, regio_aggregate_t *agg, regio_ctx_t *ctx) {
  regio_err_t err = REGIO_OK;
  uint32_t **district_map = calloc((size_t)n, sizeof *district_map);
  uint32_t **sector_map = calloc((size_t)n, sizeof *sector_map);
  if (!district_map || !sector_map) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging partial aggregates");
    goto done;
  }
  if ((err = regio_partials_union_codes(partials, n, 0, &agg->districts, district_map, ctx))) goto done;
  if ((err = regio_partials_union_codes(partials, n, 1, &agg->sectors, sector_map, ctx))) goto done;

  size_t D = agg->districts.count, S = agg->sectors.count;
  if (S && D > SIZE_MAX / S) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%zu districts x %zu sectors: more cells than this machine indexes", D, S);
    goto done;
  }
  const int parts = n > 0 ? n : 1;
  /* A partial whose cells are a dense table is added row by row (its row of each district found
   * through the inverse of its district map; a word's spilled sums looked up with it); the other
   * partials' cells, and a dense table's spilled cells whose word is 0, are staged by district
   * first (their order is the hash table's). */
  uint32_t **row_of = calloc((size_t)parts, sizeof *row_of);
  size_t staged_cells = 0, all_cells = 0;
  if (!row_of) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging partial aggregates");
    goto done;
  }
  for (int t = 0; t < n; t++) {
    const regio_cells_t *c = &partials[t]->cells;
    all_cells += c->count;
    if (!c->dense) {
      staged_cells += c->count;
      continue;
    }
    for (size_t i = 0; c->spill && i <= c->spill_mask; i++) staged_cells += regio_cells_spilled_alone(c, &c->spill[i]);
    row_of[t] = malloc((D ? D : 1) * sizeof *row_of[t]);
    if (!row_of[t]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging partial aggregates");
      goto merged;
    }
    memset(row_of[t], 0xff, D * sizeof *row_of[t]); /* UINT32_MAX: no row */
    const size_t rows = c->count ? (size_t)c->max_district + 1 : 0;
    for (size_t i = 0; i < rows; i++) row_of[t][district_map[t][i]] = (uint32_t)i;
  }
  {
    /* the staged cells (24 bytes), every cell's sector and value in a thread's part and then in
     * the aggregate (12 bytes, twice), the districts' starts and where each partial's go, and a
     * row of sums per thread */
    char what[160];
    snprintf(what, sizeof what, "merging the cells of %zu districts x %zu sectors", D, S);
    const uint64_t bytes = (uint64_t)staged_cells * sizeof(staged_cell_t) + (uint64_t)all_cells * 24 +
                           (uint64_t)(D + 1) * 16 * (uint64_t)(parts + 1) + (uint64_t)parts * S * 16;
    if ((err = regio_memory_check(ctx, bytes, what))) goto merged;
  }
  agg->cell_start = calloc(D + 1, sizeof *agg->cell_start);
  agg->district_establishments = calloc(D ? D : 1, sizeof(int64_t));
  agg->sector_establishments = calloc(S ? S : 1, sizeof(int64_t));
  if (!agg->cell_start || !agg->district_establishments || !agg->sector_establishments) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of %zu districts x %zu sectors", D, S);
    goto merged;
  }
  if (n > 0 && partials[0]->track_sizes) {
    agg->sector_size_squares = calloc(S ? S : 1, sizeof *agg->sector_size_squares);
    agg->district_micro_establishments = calloc(D ? D : 1, sizeof(int64_t));
    if (!agg->sector_size_squares || !agg->district_micro_establishments) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging establishment sizes");
      goto merged;
    }
    for (int t = 0; t < n; t++) {
      const regio_partial_t *p = partials[t];
      /* ids beyond an array's end never received a row (the arrays grow before each use) */
      for (size_t i = 0; i < p->sectors.count && i < p->sector_size_squares_cap; i++)
        agg->sector_size_squares[sector_map[t][i]] += p->sector_size_squares[i];
      for (size_t i = 0; i < p->districts.count && i < p->district_micro_cap; i++)
        agg->district_micro_establishments[district_map[t][i]] += p->district_micro[i];
    }
  }
  {
    int any_actors = 0;
    for (int t = 0; t < n; t++) any_actors |= partials[t]->n_actors > 0;
    if (any_actors && (err = merge_actors(partials, n, (const uint32_t *const *)district_map, agg, ctx))) goto merged;
  }
  /* The cells, on n threads. The cells of the partials that are not merged by rows are first
   * put in (district, partial) order, a counting sort in which each partial's table is read
   * twice, by one thread: its cells counted by district, then placed (pos[t][g]: where partial t's
   * cells of district g go next). Then each thread takes a contiguous part of the sorted districts
   * and, district by district, adds every partial's cells of it into a row of sums (a cell and a
   * district's establishments are summed by one thread, in partial order; each thread sums the
   * sectors' establishments apart, added up after), then takes the row's non-zero entries as the
   * district's cells. The parts are laid end to end: the cells are in (district, sector) order
   * whatever the thread count. Sums beyond the fixed-point range: every overflowing cell, district
   * and sector is found (the loops go on), and the first in sorted order is named, so the message
   * does not depend on the thread count or the order of the rows (the values are non-negative: a
   * sum overflows somewhere on the way exactly when its total does). */
  size_t bad_cell = SIZE_MAX, bad_district = SIZE_MAX, bad_sector = SIZE_MAX;
  int64_t *sector_parts = calloc((size_t)parts * (S ? S : 1), sizeof *sector_parts);
  unsigned char *sector_over = calloc(S ? S : 1, 1);
  merge_out_t *outs = calloc((size_t)parts, sizeof *outs);
  size_t **pos = calloc((size_t)parts, sizeof *pos), *first = calloc(D + 1, sizeof *first);
  staged_cell_t *staged = malloc((staged_cells ? staged_cells : 1) * sizeof *staged);
  regio_advise_huge(staged, staged_cells * sizeof *staged);
  int failed = !sector_parts || !sector_over || !outs || !pos || !first || !staged;
  for (int t = 0; t < n && !failed; t++)
    if (!(pos[t] = calloc(D ? D : 1, sizeof *pos[t]))) failed = 1;
  if (!failed) {
#pragma omp parallel num_threads(parts) reduction(min : bad_cell, bad_district)
    {
      const int me = omp_get_thread_num(), nt = omp_get_num_threads();
#pragma omp for schedule(static, 1)
      for (int t = 0; t < n; t++) {
        regio_cells_iter_t it = regio_cells_iter(&partials[t]->cells);
        regio_cell_t cell;
        while (staged_next(&it, &cell)) pos[t][district_map[t][regio_cell_district(cell.key)]]++;
      } /* implicit barrier */
#pragma omp single
      { /* the counts -> where each district's cells start, and each partial's among them */
        size_t at = 0;
        for (size_t g = 0; g < D; g++) {
          first[g] = at;
          for (int t = 0; t < n; t++) {
            const size_t k = pos[t][g];
            pos[t][g] = at;
            at += k;
          }
        }
        first[D] = at;
      } /* implicit barrier */
#pragma omp for schedule(static, 1)
      for (int t = 0; t < n; t++) {
        regio_cells_iter_t it = regio_cells_iter(&partials[t]->cells);
        /* each cell placed MERGE_AHEAD cells after its place was prefetched (a hashed partial's
         * cells come in no useful order: `us-tract`, a cache miss each) */
        struct {
          size_t g;
          staged_cell_t cell;
        } queue[MERGE_AHEAD];
        size_t next = 0, queued = 0, *at = pos[t];
        regio_cell_t cell;
        while (staged_next(&it, &cell)) {
          const size_t g = district_map[t][regio_cell_district(cell.key)];
          __builtin_prefetch(&staged[at[g]], 1, 3);
          if (queued == MERGE_AHEAD)
            staged[at[queue[next].g]++] = queue[next].cell;
          else
            queued++;
          queue[next].g = g;
          queue[next].cell =
              (staged_cell_t){sector_map[t][regio_cell_sector(cell.key)], cell.employment, cell.establishments};
          next = (next + 1) % MERGE_AHEAD;
        }
        for (size_t k = 0; k < queued; k++) { /* the last ones, oldest first */
          const size_t q = (next + MERGE_AHEAD - queued + k) % MERGE_AHEAD;
          staged[at[queue[q].g]++] = queue[q].cell;
        }
        /* a hash table's cells are all staged: its memory is not held beside the cells to come
         * (`us-tract`, 2 threads: the peak 403 -> 350 MB of anonymous memory) */
        if (!partials[t]->cells.dense) regio_cells_drop(&partials[t]->cells);
      } /* implicit barrier */
      const size_t g0 = D * (size_t)me / (size_t)nt, g1 = D * (size_t)(me + 1) / (size_t)nt;
      merge_sums_t m = {calloc(S ? S : 1, sizeof(int64_t)), &sector_parts[(size_t)me * S], sector_over, SIZE_MAX,
                        SIZE_MAX};
      merge_out_t *o = &outs[me];
      o->first_district = g0;
      size_t most = 0; /* the most staged cells of one district */
      for (size_t g = g0; g < g1; g++) most = first[g + 1] - first[g] > most ? first[g + 1] - first[g] : most;
      uint32_t *touched = malloc((most ? most : 1) * sizeof *touched);
      int mine_failed = !m.row || !touched;
      for (size_t g = g0; g < g1 && !mine_failed; g++) {
        int by_rows = 0; /* a dense partial's row added: the whole row is scanned for the cells */
        for (int t = 0; t < n; t++) {
          if (!row_of[t] || row_of[t][g] == UINT32_MAX) continue;
          const regio_cells_t *c = &partials[t]->cells;
          const size_t i = row_of[t][g], cols = (size_t)c->max_sector + 1;
          const uint64_t *row = &c->dense[i * c->sector_cap];
          for (size_t s = 0; s < cols; s++) {
            if (!row[s]) continue;
            if (c->spill_count) {
              const regio_cell_t whole = regio_cells_dense_sums(c, i, s, row[s]);
              merge_add(agg, S, &m, g, sector_map[t][s], whole.employment, whole.establishments);
            } else {
              merge_add(agg, S, &m, g, sector_map[t][s], (int64_t)(row[s] >> REGIO_CELL_PACK),
                        (int64_t)(row[s] & REGIO_CELL_PACK_MASK));
            }
          }
          by_rows = 1;
        }
        const size_t a = first[g], b = first[g + 1];
        for (size_t k = a; k < b; k++) {
          merge_add(agg, S, &m, g, staged[k].sector, staged[k].employment, staged[k].establishments);
          touched[k - a] = staged[k].sector;
        }
        /* few cells against the sectors: only the sectors touched are looked at */
        const int few = !by_rows && (b - a) * 32 < S;
        const size_t added = merge_emit(o, m.row, S, few ? touched : NULL, b - a);
        if (added == SIZE_MAX) {
          mine_failed = 1;
          break;
        }
        agg->cell_start[g + 1] = added; /* the count, for now */
      }
      if (mine_failed) {
#pragma omp atomic write
        failed = 1;
      }
      bad_cell = m.bad_cell;
      bad_district = m.bad_district;
      free(m.row);
      free(touched);
    }
  }
  for (int t = 0; pos && t < parts; t++) free(pos[t]);
  free(pos);
  free(first);
  free(staged);
  /* the parts end to end, in the first part's arrays grown in place (glibc moves a large block's
   * pages with mremap rather than copying them): only the other parts' cells are held twice at
   * once (10.5 GB `narrow`, 2 threads: the peak 167 -> 144 MB of anonymous memory) */
  if (!failed) {
    for (size_t d = 0; d < D; d++) agg->cell_start[d + 1] += agg->cell_start[d];
    const size_t nnz = agg->cell_start[D];
    merge_out_t *head = &outs[0];
    if (agg->cell_start[head->first_district] == 0) { /* the first part starts the cells */
      uint32_t *sector = realloc(head->sector, (nnz ? nnz : 1) * sizeof *sector);
      if (sector) head->sector = sector;
      int64_t *value = sector ? realloc(head->value, (nnz ? nnz : 1) * sizeof *value) : NULL;
      if (value) head->value = value;
      if (sector && value) {
        agg->cell_sector = sector;
        agg->cell_employment = value;
        *head = (merge_out_t){NULL, NULL, 0, 0, head->first_district}; /* in place already */
      }
    } else {
      agg->cell_sector = malloc((nnz ? nnz : 1) * sizeof *agg->cell_sector);
      agg->cell_employment = malloc((nnz ? nnz : 1) * sizeof *agg->cell_employment);
    }
    failed = !agg->cell_sector || !agg->cell_employment;
  }
  if (!failed) {
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int t = 0; t < parts; t++) {
      const size_t at = agg->cell_start[outs[t].first_district];
      if (outs[t].n) {
        memcpy(agg->cell_sector + at, outs[t].sector, outs[t].n * sizeof *agg->cell_sector);
        memcpy(agg->cell_employment + at, outs[t].value, outs[t].n * sizeof *agg->cell_employment);
      }
    }
  }
  for (int t = 0; outs && t < parts; t++) {
    free(outs[t].sector);
    free(outs[t].value);
  }
  free(outs);
  if (failed) {
    free(sector_parts);
    free(sector_over);
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging partial aggregates");
    goto merged;
  }
  for (int part = 0; part < parts; part++)
    for (size_t s = 0; s < S; s++)
      if (__builtin_add_overflow(agg->sector_establishments[s], sector_parts[(size_t)part * S + s],
                                 &agg->sector_establishments[s]))
        sector_over[s] = 1;
  for (size_t s = 0; s < S && bad_sector == SIZE_MAX; s++)
    if (sector_over[s]) bad_sector = s;
  free(sector_parts);
  free(sector_over);
  err = overflow_error(&agg->districts, &agg->sectors, bad_cell, bad_district, bad_sector, ctx);
merged:
  for (int t = 0; t < n; t++) free(row_of[t]);
  free(row_of);
done:
  for (int t = 0; t < n; t++) {
    if (district_map) free(district_map[t]);
    if (sector_map) free(sector_map[t]);
  }
  free(district_map);
  free(sector_map);
  return err;
}

/* ---------------------------------------------------------------------------------------------
 * The distributed mode: every rank's partials -> the aggregate of the block of districts each rank
 * owns. Codes become global (each rank's sorted codes gathered and merged), districts are cut into
 * contiguous blocks balanced by their non-empty cells, and every cell travels once, to the rank
 * that owns its district (one personalised all-to-all exchange). National per-sector totals are
 * exact integer reductions. */

/* One record of the exchange: a cell (sector < REGIO_RECORD_MICRO - REGIO_MAX_ACTORS), a
 * district's micro establishments (sector = REGIO_RECORD_MICRO) or a district's employment of one
 * actor type (sector = REGIO_RECORD_ACTOR + type). */
typedef struct exchange_record {
  uint32_t district, sector;
  int64_t employment, establishments;
} exchange_record_t;

#define REGIO_RECORD_MICRO UINT32_MAX
#define REGIO_RECORD_ACTOR (UINT32_MAX - 1 - REGIO_MAX_ACTORS)

/* The sorted union of every rank's sorted codes. Collective. */
static regio_err_t gather_codes(regio_dist_t *dist, const regio_codes_t *local, regio_codes_t *global,
                                regio_ctx_t *ctx) {
  const size_t bytes = 8 + local->count * local->width;
  const uint64_t width = local->width;
  char *send = malloc(bytes);
  /* without memory for its codes this rank still takes part in the gather (with no codes) and
   * returns its error, which the caller agrees before its next collective call */
  const regio_err_t failed = send ? REGIO_OK : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory gathering codes");
  if (send) {
    memcpy(send, &width, 8);
    if (local->count) memcpy(send + 8, local->chars, local->count * local->width);
  }
  char *all = NULL;
  size_t *counts = NULL, *displs = NULL;
  code_ref_t *refs = NULL;
  regio_err_t err = regio_dist_allgatherv(dist, send ? send : (const char *)&width, send ? bytes : 8, (void **)&all,
                                          &counts, &displs, ctx);
  free(send);
  if (err) return err;
  if ((err = failed)) goto done;
  const int P = regio_dist_size(dist);
  size_t total = 0;
  for (int r = 0; r < P; r++) {
    uint64_t w;
    memcpy(&w, all + displs[r], 8);
    total += (counts[r] - 8) / (w ? w : 1);
  }
  refs = malloc((total ? total : 1) * sizeof *refs);
  if (!refs) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging %zu codes", total);
    goto done;
  }
  size_t k = 0, max_width = 1;
  for (int r = 0; r < P; r++) {
    uint64_t w;
    memcpy(&w, all + displs[r], 8);
    const size_t n = (counts[r] - 8) / (w ? w : 1);
    for (size_t i = 0; i < n; i++) {
      const char *text = all + displs[r] + 8 + i * w;
      const char *nul = memchr(text, '\0', w);
      refs[k].text = text;
      refs[k].len = (uint32_t)(nul ? (size_t)(nul - text) : w);
      if (refs[k].len > max_width) max_width = refs[k].len;
      k++;
    }
  }
  err = codes_from_refs(refs, total, max_width, global, ctx);
done:
  free(refs);
  free(all);
  free(counts);
  free(displs);
  return err;
}

/* Where each rank's block of districts starts (first[P] = D): cumulative weights (non-empty cells
 * plus one per district) cut into P nearly equal parts, a cut falling only between districts whose
 * codes differ in their first align_prefix bytes (0: anywhere). */
static void district_blocks(const int64_t *weight, const regio_codes_t *codes, int P, int align_prefix, size_t *first) {
  const size_t D = codes->count;
  __int128 total = 0, cumulative = 0;
  for (size_t d = 0; d < D; d++) total += weight[d] + 1;
  size_t cmp = align_prefix > 0 ? (size_t)align_prefix : 0;
  if (cmp > codes->width) cmp = codes->width;
  int k = 1;
  first[0] = 0;
  for (size_t d = 0; d < D && k < P; d++) {
    cumulative += weight[d] + 1;
    while (k < P && cumulative * P >= total * k) {
      if (cmp && d + 1 < D && memcmp(regio_codes_at(codes, d), regio_codes_at(codes, d + 1), cmp) == 0) break;
      first[k++] = d + 1;
    }
  }
  while (k <= P) first[k++] = D;
}

/* Actor types: the sorted union over all ranks; more than REGIO_MAX_ACTORS is an error. */
static regio_err_t gather_actors(regio_dist_t *dist, regio_partial_t *const *partials, int n, regio_codes_t *actors,
                                 regio_ctx_t *ctx) {
  regio_codes_t local = {0, 0, NULL};
  int total = 0;
  for (int t = 0; t < n; t++) total += partials[t]->n_actors;
  code_ref_t refs[REGIO_MAX_ACTORS * 64 + 1];
  code_ref_t *list = total <= REGIO_MAX_ACTORS * 64 ? refs : malloc((size_t)total * sizeof *list);
  regio_err_t err = list ? REGIO_OK : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  int k = 0, unique = 0;
  for (int t = 0; list && t < n; t++)
    for (int a = 0; a < partials[t]->n_actors; a++)
      list[k++] = (code_ref_t){partials[t]->actor_code[a], (uint32_t)partials[t]->actor_len[a]};
  if (list) qsort(list, (size_t)k, sizeof *list, code_ref_cmp);
  for (int i = 0; i < k; i++)
    if (unique == 0 || code_ref_cmp(&list[unique - 1], &list[i]) != 0) list[unique++] = list[i];
  if (!err) err = regio_codes_init(&local, (size_t)unique, REGIO_CODE_MAX, ctx);
  for (int i = 0; !err && i < unique; i++) memcpy(local.chars + (size_t)i * REGIO_CODE_MAX, list[i].text, list[i].len);
  if (list != refs) free(list);
  /* every rank takes part in the gather, one that failed above with no codes: its error goes on to
   * the caller's agreement */
  const regio_codes_t none = {0, 0, NULL};
  const regio_err_t gathered = gather_codes(dist, err ? &none : &local, actors, ctx);
  if (!err) err = gathered;
  regio_codes_free(&local);
  if (!err && actors->count > REGIO_MAX_ACTORS)
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "the actor column has more than %d distinct values (%.*s, %.*s, ...): it should name actor "
                      "types such as firm, university, research, government, civil society",
                      REGIO_MAX_ACTORS, (int)regio_codes_len(actors, 0), regio_codes_at(actors, 0),
                      (int)regio_codes_len(actors, 1), regio_codes_at(actors, 1));
  return err;
}

/* Maps each partial's local ids (through the rank's union) to global ids, in place. */
static regio_err_t to_global_ids(const regio_codes_t *rank_codes, const regio_codes_t *global, uint32_t *const *map,
                                 regio_partial_t *const *partials, int n, int select, regio_ctx_t *ctx) {
  uint32_t *g = malloc((rank_codes->count ? rank_codes->count : 1) * sizeof *g);
  REGIO_CHECK(ctx, g, REGIO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < rank_codes->count; i++) {
    size_t at = regio_codes_find(global, regio_codes_at(rank_codes, i), regio_codes_len(rank_codes, i));
    if (at == (size_t)-1) {
      free(g);
      return REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "code lost while merging across ranks");
    }
    g[i] = (uint32_t)at;
  }
  for (int t = 0; t < n; t++) {
    size_t count = select ? partials[t]->sectors.count : partials[t]->districts.count;
    for (size_t i = 0; i < count; i++) map[t][i] = g[map[t][i]];
  }
  free(g);
  return REGIO_OK;
}

regio_err_t regio_partials_merge_dist(regio_partial_t *const *partials, int n, int align_prefix, regio_aggregate_t *agg,
                                      regio_ctx_t *ctx) {
  regio_dist_t *dist = regio_ctx_dist(ctx);
  const int P = regio_dist_size(dist), rank = regio_dist_rank(dist);
  regio_err_t err = REGIO_OK;
  regio_codes_t rank_districts = {0, 0, NULL}, rank_sectors = {0, 0, NULL}, districts = {0, 0, NULL},
                actors = {0, 0, NULL};
  uint32_t **district_map = calloc((size_t)n, sizeof *district_map);
  uint32_t **sector_map = calloc((size_t)n, sizeof *sector_map);
  int64_t *weight = NULL, *sector_establishments = NULL;
  size_t *first = malloc(((size_t)P + 1) * sizeof *first);
  size_t *send_bytes = calloc((size_t)P, sizeof *send_bytes), *fill = calloc((size_t)P, sizeof *fill);
  uint32_t *owner = NULL;
  exchange_record_t *send = NULL, *recv = NULL;
  size_t *recv_bytes = NULL;
  uint64_t *squares = NULL;
  size_t *record_start = NULL, *order = NULL;
  int64_t *row = NULL;
  unsigned char *sector_over = NULL;
  uint32_t *touched = NULL;
  merge_out_t cells = {NULL, NULL, 0, 0, 0};
  /* A step that can fail on one rank alone is agreed before the next collective call, so that all
   * ranks leave together (the end agrees once more: every rank gets there with the same error). */
  if (!district_map || !sector_map || !first || !send_bytes || !fill)
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging across ranks");
  /* global codes: the sectors become the aggregate's; the districts are cut into blocks */
  if (!err) err = regio_partials_union_codes(partials, n, 0, &rank_districts, district_map, ctx);
  if (!err) err = regio_partials_union_codes(partials, n, 1, &rank_sectors, sector_map, ctx);
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  err = gather_codes(dist, &rank_districts, &districts, ctx);
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  err = gather_codes(dist, &rank_sectors, &agg->sectors, ctx);
  if (!err) err = to_global_ids(&rank_districts, &districts, district_map, partials, n, 0, ctx);
  if (!err) err = to_global_ids(&rank_sectors, &agg->sectors, sector_map, partials, n, 1, ctx);
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  int any_actors = 0;
  for (int t = 0; t < n; t++) any_actors |= partials[t]->n_actors > 0;
  int64_t flag = any_actors;
  if ((err = regio_dist_allreduce_i64(dist, &flag, 1, REGIO_DIST_MAX, NULL, ctx))) goto done;
  if (flag) err = gather_actors(dist, partials, n, &actors, ctx);

  const size_t Dg = districts.count, S = agg->sectors.count;
  weight = calloc(Dg ? Dg : 1, sizeof *weight);
  owner = malloc((Dg ? Dg : 1) * sizeof *owner);
  if (!err && (!weight || !owner)) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for %zu districts", Dg);
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  for (int t = 0; t < n; t++) {
    regio_cells_iter_t it = regio_cells_iter(&partials[t]->cells);
    regio_cell_t cell;
    while (regio_cells_next(&it, &cell)) weight[district_map[t][regio_cell_district(cell.key)]]++;
  }
  if ((err = regio_dist_allreduce_i64(dist, weight, Dg, REGIO_DIST_SUM, NULL, ctx))) goto done;
  district_blocks(weight, &districts, P, align_prefix, first);
  for (int r = 0; r < P; r++)
    for (size_t d = first[r]; d < first[r + 1]; d++) owner[d] = (uint32_t)r;

  /* the records each rank sends: count, then fill in rank order */
  const int track = n > 0 && partials[0]->track_sizes;
  for (int pass = 0; pass < 2; pass++) {
    for (int t = 0; t < n; t++) {
      const regio_partial_t *p = partials[t];
      const uint32_t *dm = district_map[t], *sm = sector_map[t];
      regio_cells_iter_t it = regio_cells_iter(&p->cells);
      regio_cell_t c;
      while (regio_cells_next(&it, &c)) {
        const regio_cell_t *cell = &c;
        const uint32_t d = dm[regio_cell_district(cell->key)], r = owner[d];
        if (pass == 0)
          send_bytes[r] += sizeof(exchange_record_t);
        else
          send[fill[r]++] =
              (exchange_record_t){d, sm[regio_cell_sector(cell->key)], cell->employment, cell->establishments};
      }
      if (track)
        for (size_t i = 0; i < p->districts.count && i < p->district_micro_cap; i++) {
          if (!p->district_micro[i]) continue;
          const uint32_t d = dm[i], r = owner[d];
          if (pass == 0)
            send_bytes[r] += sizeof(exchange_record_t);
          else
            send[fill[r]++] = (exchange_record_t){d, REGIO_RECORD_MICRO, p->district_micro[i], 0};
        }
      for (size_t i = 0; i < p->districts.count && i < p->district_actor_cap; i++)
        for (int a = 0; a < p->n_actors; a++) {
          const int64_t e = p->district_actor[i * REGIO_MAX_ACTORS + (size_t)a];
          if (!e) continue;
          const uint32_t d = dm[i], r = owner[d];
          if (pass == 0) {
            send_bytes[r] += sizeof(exchange_record_t);
            continue;
          }
          size_t g = regio_codes_find(&actors, p->actor_code[a], p->actor_len[a]);
          send[fill[r]++] = (exchange_record_t){d, REGIO_RECORD_ACTOR + (uint32_t)g, e, 0};
        }
    }
    if (pass == 0) {
      size_t total = 0;
      for (int r = 0; r < P; r++) {
        fill[r] = total / sizeof(exchange_record_t);
        total += send_bytes[r];
      }
      send = malloc(total ? total : 1);
      if (!send) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for %zu bytes of partial aggregates", total);
      if ((err = regio_dist_agree(dist, err, ctx))) goto done;
    }
  }
  if ((err = regio_dist_alltoallv(dist, send, send_bytes, (void **)&recv, &recv_bytes, ctx))) goto done;
  free(send);
  send = NULL;

  /* this rank's block */
  const size_t d0 = first[rank], D = first[rank + 1] - d0;
  agg->district_offset = d0;
  agg->n_districts_global = Dg;
  err = regio_codes_init(&agg->districts, D, districts.width, ctx);
  if (!err && D) memcpy(agg->districts.chars, regio_codes_at(&districts, d0), D * districts.width);
  size_t n_records = 0;
  for (int r = 0; r < P; r++) n_records += recv_bytes[r] / sizeof(exchange_record_t);
  {
    /* the cells (at most one a record, 12 bytes), each record's place (8) and the starts of the
     * districts' records and cells (16 a district), a row of sums and its flags (9 a sector) */
    char what[200];
    snprintf(what, sizeof what, "this rank's cells of %zu districts x %zu sectors (%zu records)", D, S, n_records);
    const uint64_t bytes = (uint64_t)n_records * 20 + (uint64_t)(D + 1) * 16 + (uint64_t)S * 9;
    if (!err) err = regio_memory_check(ctx, bytes, what);
  }
  if (!err) {
    agg->cell_start = calloc(D + 1, sizeof *agg->cell_start);
    agg->district_establishments = calloc(D ? D : 1, sizeof(int64_t));
    agg->sector_establishments = calloc(S ? S : 1, sizeof(int64_t));
    sector_establishments = agg->sector_establishments;
    if (track) {
      agg->sector_size_squares = calloc(S ? S : 1, sizeof *agg->sector_size_squares);
      agg->district_micro_establishments = calloc(D ? D : 1, sizeof(int64_t));
    }
    if (flag) {
      agg->n_actors = (int)actors.count;
      agg->actor_codes = calloc(actors.count ? actors.count : 1, sizeof *agg->actor_codes);
      agg->district_actor_employment = calloc(D * actors.count > 0 ? D * actors.count : 1, sizeof(int64_t));
    }
    record_start = calloc(D + 1, sizeof *record_start);
    order = malloc((n_records ? n_records : 1) * sizeof *order);
    row = calloc(S ? S : 1, sizeof *row);
    sector_over = calloc(S ? S : 1, 1);
    if (!agg->cell_start || !agg->district_establishments || !agg->sector_establishments ||
        (track && (!agg->sector_size_squares || !agg->district_micro_establishments)) ||
        (flag && (!agg->actor_codes || !agg->district_actor_employment)) || !record_start || !order || !row ||
        !sector_over)
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of %zu districts x %zu sectors", D, S);
  }
  for (size_t a = 0; !err && flag && a < actors.count; a++)
    if (!(agg->actor_codes[a] = strndup(regio_codes_at(&actors, a), regio_codes_len(&actors, a))))
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  merge_sums_t m = {row, sector_establishments, sector_over, SIZE_MAX, SIZE_MAX};
  if (!err) {
    /* the micro and actor records added; the cells' records counted by district, then placed by
     * district in the order they came (a counting sort), so each district's row of sums is made
     * as in one process (merge_add, merge_emit) and gives its non-zero cells */
    for (size_t i = 0; i < n_records; i++) {
      const exchange_record_t *rec = &recv[i];
      const size_t d = rec->district - d0;
      if (rec->sector == REGIO_RECORD_MICRO)
        agg->district_micro_establishments[d] += rec->employment;
      else if (rec->sector >= REGIO_RECORD_ACTOR)
        agg->district_actor_employment[d * actors.count + (rec->sector - REGIO_RECORD_ACTOR)] += rec->employment;
      else
        record_start[d + 1]++;
    }
    size_t most = 0; /* the most records of one district */
    for (size_t d = 0; d < D; d++) {
      most = record_start[d + 1] > most ? record_start[d + 1] : most;
      record_start[d + 1] += record_start[d];
    }
    for (size_t i = 0; i < n_records; i++)
      if (recv[i].sector < REGIO_RECORD_ACTOR) order[record_start[recv[i].district - d0]++] = i; /* a cell */
    for (size_t d = D; d > 0; d--) record_start[d] = record_start[d - 1];                        /* the starts again */
    record_start[0] = 0;
    touched = malloc((most ? most : 1) * sizeof *touched);
    if (!touched) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  }
  for (size_t d = 0; !err && d < D; d++) {
    const size_t a = record_start[d], b = record_start[d + 1];
    for (size_t k = a; k < b; k++) {
      const exchange_record_t *rec = &recv[order[k]];
      merge_add(agg, S, &m, d, rec->sector, rec->employment, rec->establishments);
      touched[k - a] = rec->sector;
    }
    const size_t added = merge_emit(&cells, row, S, (b - a) * 32 < S ? touched : NULL, b - a);
    if (added == SIZE_MAX)
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the cells of %zu districts x %zu sectors", D, S);
    else
      agg->cell_start[d + 1] = agg->cell_start[d] + added;
  }
  if (!err && track && !(squares = calloc(2 * (S ? S : 1), sizeof *squares))) /* (for the reduction below) */
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  agg->cell_sector = cells.sector;
  agg->cell_employment = cells.value;
  cells = (merge_out_t){NULL, NULL, 0, 0, 0};
  for (size_t s = 0; s < S; s++)
    if (sector_over[s]) sector_establishments[s] = INT64_MAX; /* beyond the range: the reduction below overflows */
  /* sums beyond the fixed-point range: the first in sorted order over all ranks is named, as by
   * regio_partials_merge (the values are non-negative, so any order overflows alike) */
  int64_t bad[2] = {m.bad_cell == SIZE_MAX ? INT64_MAX : (int64_t)(d0 * S + m.bad_cell),      /* cell d * S + s */
                    m.bad_district == SIZE_MAX ? INT64_MAX : (int64_t)(d0 + m.bad_district)}; /* district */
  if ((err = regio_dist_allreduce_i64(dist, bad, 2, REGIO_DIST_MIN, NULL, ctx))) goto done;
  size_t bad_sector = SIZE_MAX;
  if ((err = regio_dist_allreduce_i64(dist, sector_establishments, S, REGIO_DIST_SUM, &bad_sector, ctx))) goto done;
  for (size_t s = 0; bad_sector == SIZE_MAX && s < S; s++)
    if (sector_establishments[s] == INT64_MAX) bad_sector = s;
  if (track) { /* the sums of squared sizes, national */
    for (int t = 0; t < n; t++) {
      const regio_partial_t *p = partials[t];
      for (size_t i = 0; i < p->sectors.count && i < p->sector_size_squares_cap; i++) {
        regio_u128_t *v = (regio_u128_t *)(void *)&squares[2 * sector_map[t][i]];
        regio_u128_t x;
        memcpy(&x, v, sizeof x);
        x += p->sector_size_squares[i];
        memcpy(v, &x, sizeof x);
      }
    }
    if ((err = regio_dist_allreduce_u128(dist, squares, S, ctx))) goto done;
    for (size_t s = 0; s < S; s++)
      agg->sector_size_squares[s] = ((regio_u128_t)squares[2 * s + 1] << 64) | squares[2 * s];
  }
  err = overflow_error(&districts, &agg->sectors, bad[0] == INT64_MAX ? SIZE_MAX : (size_t)bad[0],
                       bad[1] == INT64_MAX ? SIZE_MAX : (size_t)bad[1], bad_sector, ctx);
done:
  for (int t = 0; t < n; t++) {
    if (district_map) free(district_map[t]);
    if (sector_map) free(sector_map[t]);
  }
  free(district_map);
  free(sector_map);
  regio_codes_free(&rank_districts);
  regio_codes_free(&rank_sectors);
  regio_codes_free(&districts);
  regio_codes_free(&actors);
  free(weight);
  free(owner);
  free(first);
  free(send_bytes);
  free(fill);
  free(send);
  free(recv);
  free(recv_bytes);
  free(squares);
  free(record_start);
  free(order);
  free(row);
  free(sector_over);
  free(touched);
  free(cells.sector);
  free(cells.value);
  return regio_dist_agree(dist, err, ctx);
}
