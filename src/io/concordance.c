/* From establishment sectors to IO sectors: the concordance file and the district x IO-sector
 * employment matrix that the regionalization starts from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv_impl.h"
#include "regio/io.h"

void regio_io_sector_map_destroy(regio_io_sector_map_t **map) {
  if (!map || !*map) return;
  regio_io_sector_map_t *m = *map;
  for (int i = 0; i < m->n; i++) {
    free(m->sector[i]);
    free(m->io_sector[i]);
  }
  free(m->sector);
  free(m->io_sector);
  free(m->line);
  free(m->path);
  free(m);
  *map = NULL;
}

void regio_io_district_codes_free(char **codes, int n) {
  if (!codes) return;
  for (int i = 0; i < n; i++) free(codes[i]);
  free(codes);
}

regio_err_t regio_io_sector_map_read(const char *path, regio_ctx_t *ctx, regio_io_sector_map_t **out) {
  REGIO_CHECK(ctx, path && out, REGIO_ERR_USAGE, "no sector map file given");
  *out = NULL;
  FILE *f = fopen(path, "r");
  REGIO_CHECK(ctx, f, REGIO_ERR_IO, "cannot open the sector map '%s': %s", path, strerror(errno));
  regio_err_t err = REGIO_OK;
  regio_io_sector_map_t *m = calloc(1, sizeof *m);
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  if (!m || !(m->path = strdup(path))) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the sector map");
    goto cleanup;
  }
  ssize_t len;
  int lineno = 0, header = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    const char *nul = memchr(line, '\0', (size_t)len);
    if (nul) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: byte %d of the line is a NUL byte (a binary file?)", path, lineno,
                        (int)(nul - line) + 1);
      goto cleanup;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    char *text = line;
    if (lineno == 1 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
      text += 3;
    if (!*text) continue;
    char shown[160]; /* the line as read, for a message (splitting cuts it) */
    regio_csv_quote_for_message(text, strlen(text), shown, sizeof shown);
    char *fields[2];
    int k = regio_csv_split_fields(text, fields, 2);
    if (!header) {
      header = 1;
      if (k >= 1 && strcmp(fields[0], "sector") == 0) continue;
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: the sector map needs a header line 'sector,io_sector'", path,
                        lineno);
      goto cleanup;
    }
    if (k != 2 || !*fields[0] || !*fields[1]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                        "%s:%d: expected two non-empty fields 'sector,io_sector' (io_sector '-' excludes the sector), "
                        "got \"%s\"",
                        path, lineno, shown);
      goto cleanup;
    }
    for (int i = 0; i < m->n; i++)
      if (strcmp(m->sector[i], fields[0]) == 0) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: sector '%s' is listed twice (first on line %d)", path, lineno,
                          fields[0], m->line[i]);
        goto cleanup;
      }
    if ((size_t)m->n == alloc) {
      alloc = alloc ? 2 * alloc : 64;
      char **s = realloc(m->sector, alloc * sizeof *s);
      if (s) m->sector = s;
      char **io = realloc(m->io_sector, alloc * sizeof *io);
      if (io) m->io_sector = io;
      int *l = realloc(m->line, alloc * sizeof *l);
      if (l) m->line = l;
      if (!s || !io || !l) {
        err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the sector map");
        goto cleanup;
      }
    }
    m->sector[m->n] = strdup(fields[0]);
    m->io_sector[m->n] = strdup(fields[1]);
    m->line[m->n] = lineno;
    m->n++;
    if (!m->sector[m->n - 1] || !m->io_sector[m->n - 1]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the sector map");
      goto cleanup;
    }
  }
  if (ferror(f)) {
    err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot read the sector map '%s': %s", path, strerror(errno));
    goto cleanup;
  }
  if (m->n == 0) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "the sector map '%s' has no entries", path);
    goto cleanup;
  }
  *out = m;
  m = NULL;
cleanup:
  free(line);
  fclose(f);
  regio_io_sector_map_destroy(&m);
  return err;
}

/* A code with its length and where it came from, for the sorted lookups below. */
typedef struct keyed {
  const char *s;
  size_t len;
  int index;
} keyed_t;

/* (bytes, length) order: a proper prefix first */
static int key_cmp(const char *a, size_t la, const char *b, size_t lb) {
  const int c = memcmp(a, b, la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

static int keyed_cmp(const void *pa, const void *pb) {
  const keyed_t *a = pa, *b = pb;
  const int c = key_cmp(a->s, a->len, b->s, b->len);
  return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* The first of sorted[0, n) equal to (s, len), the one of lowest index among equals; -1 if none. */
static int keyed_find(const keyed_t *sorted, int n, const char *s, size_t len) {
  int lo = 0, hi = n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (key_cmp(sorted[mid].s, sorted[mid].len, s, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && key_cmp(sorted[lo].s, sorted[lo].len, s, len) == 0 ? sorted[lo].index : -1;
}

regio_err_t regio_io_sector_map_match(const regio_io_sector_map_t *map, const regio_io_table_t *table,
                                      const regio_codes_t *codes, int *io_of_entry, int *entry_of_code,
                                      regio_ctx_t *ctx) {
  const int n = table->n, m = map->n;
  keyed_t *by_io = malloc((size_t)(n > 0 ? n : 1) * sizeof *by_io);
  keyed_t *by_sector = malloc((size_t)(m > 0 ? m : 1) * sizeof *by_sector);
  if (!by_io || !by_sector) {
    free(by_io);
    free(by_sector);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory matching the sector map");
  }
  for (int j = 0; j < n; j++) by_io[j] = (keyed_t){table->sector_code[j], strlen(table->sector_code[j]), j};
  qsort(by_io, (size_t)n, sizeof *by_io, keyed_cmp);
  size_t longest = 0;
  for (int e = 0; e < m; e++) {
    const char *io = map->io_sector[e];
    io_of_entry[e] = strcmp(io, "-") == 0 ? -1 : keyed_find(by_io, n, io, strlen(io));
    if (io_of_entry[e] < -1 || (io_of_entry[e] == -1 && strcmp(io, "-") != 0)) io_of_entry[e] = -2;
    by_sector[e] = (keyed_t){map->sector[e], strlen(map->sector[e]), e};
    if (by_sector[e].len > longest) longest = by_sector[e].len;
  }
  qsort(by_sector, (size_t)m, sizeof *by_sector, keyed_cmp);
  for (size_t k = 0; k < codes->count; k++) { /* the longest listed prefix: the longest first */
    const char *code = regio_codes_at(codes, k);
    const size_t len = regio_codes_len(codes, k);
    int found = -1;
    for (size_t l = len < longest ? len : longest; l >= 1 && found < 0; l--) found = keyed_find(by_sector, m, code, l);
    entry_of_code[k] = found;
  }
  free(by_io);
  free(by_sector);
  return REGIO_OK;
}

regio_err_t regio_io_district_employment(const regio_result_t *res, const regio_io_sector_map_t *map,
                                         const regio_io_table_t *table, int district_level, regio_ctx_t *ctx,
                                         int *n_districts, char ***district_code, double **employment,
                                         double *excluded) {
  REGIO_CHECK(ctx, res && res->n_levels >= 1 && map && table && n_districts && district_code && employment,
              REGIO_ERR_USAGE, "district employment by IO sector needs a result, a sector map and an IO table");
  REGIO_CHECK(ctx, district_level >= 0, REGIO_ERR_USAGE, "the district level must be >= 0 (it is %d)", district_level);
  *n_districts = 0;
  *district_code = NULL;
  *employment = NULL;
  if (excluded) *excluded = 0;
  const regio_level_t *lvl = &res->levels[res->n_levels - 1];
  const regio_codes_t *districts = &res->agg->districts;
  size_t D = districts->count, S = lvl->sectors.count, N = (size_t)table->n;
  int64_t excluded_milli = 0;

  regio_err_t err = REGIO_OK;
  int *io_of_entry = malloc((size_t)map->n * sizeof(int) + 1);
  int *entry_of_sector = malloc(S * sizeof(int) + 1);
  long *io_of_sector = malloc(S * sizeof(long) + 1);
  size_t *group = malloc(D * sizeof(size_t) + 1);
  char **codes = NULL;
  double *emp = NULL;
  int64_t *milli = NULL;
  size_t G = 0;
  if (!io_of_entry || !entry_of_sector || !io_of_sector || !group) goto nomem;

  /* each map entry's IO sector (-1 for "-"), each sector's entry */
  if ((err = regio_io_sector_map_match(map, table, &lvl->sectors, io_of_entry, entry_of_sector, ctx))) goto cleanup;
  for (int e = 0; e < map->n; e++)
    if (io_of_entry[e] == -2) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: IO sector '%s' (for sector '%s') is not in the IO table '%s'",
                        map->path, map->line[e], map->io_sector[e], map->sector[e], table->path ? table->path : "");
      goto cleanup;
    }
  /* each sector of the level: the IO sector of its longest listed prefix; -2 when unmapped */
  for (size_t s = 0; s < S; s++) {
    io_of_sector[s] = entry_of_sector[s] >= 0 ? io_of_entry[entry_of_sector[s]] : -2;
    if (io_of_sector[s] == -2 && lvl->sector_employment[s] != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                        "sector '%.*s' (level %s) has employment %.3f but no entry in the sector map '%s' (add a "
                        "line for it or a prefix of it; io_sector '-' excludes it on purpose)",
                        (int)regio_codes_len(&lvl->sectors, s), regio_codes_at(&lvl->sectors, s), lvl->name,
                        (double)lvl->sector_employment[s] / REGIO_MILLI, map->path);
      goto cleanup;
    }
  }
  /* district groups: codes are sorted, so equal prefixes are adjacent */
  for (size_t d = 0; d < D; d++) {
    if (d > 0) {
      const char *a = regio_codes_at(districts, d - 1), *b = regio_codes_at(districts, d);
      size_t la = regio_codes_len(districts, d - 1), lb = regio_codes_len(districts, d);
      int same = district_level > 0 && la >= (size_t)district_level && lb >= (size_t)district_level &&
                 memcmp(a, b, (size_t)district_level) == 0;
      if (!same) G++;
    }
    group[d] = G;
  }
  G = D ? G + 1 : 0;
  codes = calloc(G + 1, sizeof *codes);
  milli = calloc(G * N + 1, sizeof *milli);
  emp = malloc((G * N + 1) * sizeof *emp);
  if (!codes || !milli || !emp) goto nomem;
  for (size_t d = 0; d < D; d++) {
    size_t g = group[d];
    if (!codes[g]) {
      size_t len = regio_codes_len(districts, d);
      if (district_level > 0 && len > (size_t)district_level) len = (size_t)district_level;
      /* a code that fills its slot has no terminating NUL: copy exactly len bytes */
      codes[g] = malloc(len + 1);
      if (!codes[g]) goto nomem;
      memcpy(codes[g], regio_codes_at(districts, d), len);
      codes[g][len] = '\0';
    }
  }
  /* the sums of each group's rows on all threads (groups are runs of districts; integer sums,
   * exact in any order) */
#pragma omp parallel for num_threads(regio_ctx_threads(ctx)) schedule(static) reduction(+ : excluded_milli)
  for (size_t d = 0; d < D; d++) {
    if (d > 0 && group[d] == group[d - 1]) continue; /* the first district of each group adds them all */
    const size_t g = group[d];
    for (size_t r = d; r < D && group[r] == g; r++) {
      for (size_t k = lvl->cell_start[r]; k < lvl->cell_start[r + 1]; k++) {
        const size_t s = lvl->cell_sector[k];
        if (io_of_sector[s] >= 0)
          milli[g * N + (size_t)io_of_sector[s]] += lvl->cell_employment[k];
        else
          excluded_milli += lvl->cell_employment[k];
      }
    }
  }
  for (size_t k = 0; k < G * N; k++) emp[k] = (double)milli[k] / REGIO_MILLI;
  *n_districts = (int)G;
  *district_code = codes;
  *employment = emp;
  if (excluded) *excluded = (double)excluded_milli / REGIO_MILLI;
  codes = NULL;
  emp = NULL;
  goto cleanup;
nomem:
  err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the district employment by IO sector");
cleanup:
  free(io_of_entry);
  free(entry_of_sector);
  free(io_of_sector);
  free(group);
  free(milli);
  free(emp);
  regio_io_district_codes_free(codes, (int)G);
  return err;
}
