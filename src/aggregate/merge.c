/* Merging the per-thread partial aggregates into the global, sorted aggregate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/tables_impl.h"
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

/* Sorted union of the codes in all partials' dictionaries (select: 0 districts, 1 sectors). */
static regio_err_t union_codes(regio_partial_t *const *partials, int n, int select, regio_codes_t *out,
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
  qsort(refs, total, sizeof *refs, code_ref_cmp);
  size_t unique = 0;
  for (size_t i = 0; i < total; i++)
    if (unique == 0 || code_ref_cmp(&refs[unique - 1], &refs[i]) != 0) refs[unique++] = refs[i];
  regio_err_t err = regio_codes_init(out, unique, width, ctx);
  if (err) {
    free(refs);
    return err;
  }
  for (size_t i = 0; i < unique; i++) memcpy(out->chars + i * width, refs[i].text, refs[i].len);
  free(refs);

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

regio_err_t regio_partials_merge(regio_partial_t *const *partials, int n, regio_aggregate_t *agg, regio_ctx_t *ctx) {
  regio_err_t err = REGIO_OK;
  uint32_t **district_map = calloc((size_t)n, sizeof *district_map);
  uint32_t **sector_map = calloc((size_t)n, sizeof *sector_map);
  if (!district_map || !sector_map) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging partial aggregates");
    goto done;
  }
  if ((err = union_codes(partials, n, 0, &agg->districts, district_map, ctx))) goto done;
  if ((err = union_codes(partials, n, 1, &agg->sectors, sector_map, ctx))) goto done;

  size_t D = agg->districts.count, S = agg->sectors.count;
  if (S && D > SIZE_MAX / sizeof(int64_t) / S) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%zu districts x %zu sectors do not fit in memory", D, S);
    goto done;
  }
  size_t cells = D * S;
  {
    char what[160];
    snprintf(what, sizeof what, "the employment matrix of %zu districts x %zu sectors", D, S);
    if ((err = regio_memory_check(ctx, (uint64_t)cells * sizeof(int64_t), what))) goto done;
  }
  agg->employment = calloc(cells ? cells : 1, sizeof(int64_t));
  agg->district_establishments = calloc(D ? D : 1, sizeof(int64_t));
  agg->sector_establishments = calloc(S ? S : 1, sizeof(int64_t));
  if (!agg->employment || !agg->district_establishments || !agg->sector_establishments) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the %zu x %zu employment matrix (%.1f MiB)", D, S,
                      (double)D * (double)S * 8.0 / 1048576.0);
    goto done;
  }
  if (n > 0 && partials[0]->track_sizes) {
    agg->sector_size_squares = calloc(S ? S : 1, sizeof *agg->sector_size_squares);
    agg->district_micro_establishments = calloc(D ? D : 1, sizeof(int64_t));
    if (!agg->sector_size_squares || !agg->district_micro_establishments) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory merging establishment sizes");
      goto done;
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
    if (any_actors && (err = merge_actors(partials, n, (const uint32_t *const *)district_map, agg, ctx))) goto done;
  }
  /* Sums beyond the fixed-point range: every overflowing cell, district and sector is found (the
   * loop goes on), and the first in sorted order is named, so the message does not depend on the
   * thread count or the order of the rows. */
  size_t bad_cell = SIZE_MAX, bad_district = SIZE_MAX, bad_sector = SIZE_MAX;
  for (int t = 0; t < n; t++) {
    const regio_cells_t *c = &partials[t]->cells;
    for (size_t i = 0; i <= c->mask; i++) {
      const regio_cell_t *cell = &c->slots[i];
      uint64_t key = cell->key;
      if (key == REGIO_CELL_EMPTY) continue;
      size_t d = district_map[t][regio_cell_district(key)], s = sector_map[t][regio_cell_sector(key)];
      if (cell->establishments < 0 ||
          __builtin_add_overflow(agg->employment[d * S + s], cell->employment, &agg->employment[d * S + s])) {
        if (d * S + s < bad_cell) bad_cell = d * S + s;
        continue;
      }
      if (__builtin_add_overflow(agg->district_establishments[d], cell->establishments,
                                 &agg->district_establishments[d]) &&
          d < bad_district)
        bad_district = d;
      if (__builtin_add_overflow(agg->sector_establishments[s], cell->establishments, &agg->sector_establishments[s]) &&
          s < bad_sector)
        bad_sector = s;
    }
  }
  if (bad_cell != SIZE_MAX) {
    size_t d = bad_cell / S, s = bad_cell % S;
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "the employment or establishments of district %.*s in sector %.*s sum to more than the 64-bit "
                      "fixed-point range holds (%.3f employees)",
                      (int)regio_codes_len(&agg->districts, d), regio_codes_at(&agg->districts, d),
                      (int)regio_codes_len(&agg->sectors, s), regio_codes_at(&agg->sectors, s),
                      (double)INT64_MAX / REGIO_MILLI);
  } else if (bad_district != SIZE_MAX) {
    err =
        REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the establishments of district %.*s sum beyond the 64-bit range",
                    (int)regio_codes_len(&agg->districts, bad_district), regio_codes_at(&agg->districts, bad_district));
  } else if (bad_sector != SIZE_MAX) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the establishments of sector %.*s sum beyond the 64-bit range",
                      (int)regio_codes_len(&agg->sectors, bad_sector), regio_codes_at(&agg->sectors, bad_sector));
  }
done:
  for (int t = 0; t < n; t++) {
    if (district_map) free(district_map[t]);
    if (sector_map) free(sector_map[t]);
  }
  free(district_map);
  free(sector_map);
  return err;
}
