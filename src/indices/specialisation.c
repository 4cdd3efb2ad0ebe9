/* Specialisation of districts (Krugman, Hoover, Herfindahl, relative Theil, Duranton-Puga) and the
 * symmetric location quotient; formulas and conventions in include/regio/indices.h and
 * docs/SCHEMA.md. Each district's values depend only on its row and the national totals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log_impl.h"
#include "indices/indices_impl.h"
#include "regio/indices.h"

/* The Theil index's sum of share log LQ is taken a chunk of cells at a time (regio_log_dot: its own
 * fixed order inside a chunk), the chunks' sums in order. */
enum { THEIL_CHUNK = 256 };

void regio_lq_symmetric(const double *lq, size_t n, double *out) {
  /* LQ 0 (an empty cell, most of them): (0 - 1) / (0 + 1) = -1 exactly, without the division */
  for (size_t i = 0; i < n; i++) out[i] = isnan(lq[i]) ? NAN : lq[i] == 0.0 ? -1.0 : (lq[i] - 1.0) / (lq[i] + 1.0);
}

void regio_specialisation_row(const int64_t *employment_row, const double *lq_row, int64_t district_total,
                              int64_t national_total, const double *national_shares, size_t n_sectors,
                              size_t n_active_sectors, double lq_threshold, int64_t min_milli,
                              regio_specialisation_row_t *out) {
  if (district_total <= 0 || national_total <= 0) {
    out->krugman = out->hoover = out->hhi = out->hhi_normalised = out->theil = NAN;
    out->max_lq = out->relative_diversity = NAN;
    out->max_lq_sector = -1;
    out->n_specialised = 0;
    return;
  }
  const double district = (double)district_total;
  double krugman = 0.0, hhi = 0.0, theil = 0.0, max_lq = -INFINITY;
  double theil_share[THEIL_CHUNK], theil_lq[THEIL_CHUNK];
  size_t n_theil = 0;
  int64_t max_sector = -1, n_specialised = 0;
  for (size_t s = 0; s < n_sectors; s++) {
    /* 0 / E_d = +0 exactly: no division for an empty cell (most of them) */
    const double local_share = employment_row[s] ? (double)employment_row[s] / district : 0.0;
    const double national_share = national_shares[s];
    krugman += fabs(local_share - national_share);
    hhi += local_share * local_share;
    /* 0 ln 0 = 0; E_ds > 0 implies E_s > 0, so the LQ is a positive number here */
    if (employment_row[s] > 0) { /* the terms in chunks, as the kernel sums them */
      theil_share[n_theil] = local_share;
      theil_lq[n_theil++] = lq_row[s];
      if (n_theil == THEIL_CHUNK) {
        theil += regio_log_dot_reference(theil_share, theil_lq, n_theil);
        n_theil = 0;
      }
    }
    if (!isnan(lq_row[s])) {
      if (lq_row[s] > max_lq) {
        max_lq = lq_row[s];
        max_sector = (int64_t)s;
      }
      if (lq_row[s] >= lq_threshold && employment_row[s] >= min_milli) n_specialised++;
    }
  }
  if (n_theil) theil += regio_log_dot_reference(theil_share, theil_lq, n_theil);
  out->krugman = krugman;
  out->hoover = 0.5 * krugman;
  out->hhi = hhi;
  if (n_active_sectors > 1) {
    const double inv_n = 1.0 / (double)n_active_sectors;
    out->hhi_normalised = (hhi - inv_n) / (1.0 - inv_n);
  } else {
    out->hhi_normalised = NAN;
  }
  out->theil = theil;
  out->max_lq = max_sector >= 0 ? max_lq : NAN;
  out->max_lq_sector = max_sector;
  out->relative_diversity = 1.0 / krugman; /* +inf when the district mirrors the nation */
  out->n_specialised = n_specialised;
}

void regio_specialisation_cells(const uint32_t *sector, const int64_t *value, size_t n_cells, int64_t district_total,
                                int64_t national_total, const int64_t *sector_totals, const double *national_shares,
                                size_t n_sectors, __int128 abs_sector_total, size_t n_nonzero_shares,
                                size_t n_active_sectors, double lq_threshold, int64_t min_milli,
                                regio_specialisation_row_t *out) {
  if (district_total <= 0 || national_total <= 0) {
    out->krugman = out->hoover = out->hhi = out->hhi_normalised = out->theil = NAN;
    out->max_lq = out->relative_diversity = NAN;
    out->max_lq_sector = -1;
    out->n_specialised = 0;
    return;
  }
  const double district = (double)district_total;
  double krugman = 0.0, hhi = 0.0, theil = 0.0, max_lq = -INFINITY;
  int64_t max_sector = -1, n_specialised = 0;
  size_t nonzero_with_share = 0, n_theil = 0;
  __int128 abs_in_cells = 0; /* sum of |E_s| over the cells */
  double theil_share[THEIL_CHUNK], theil_lq[THEIL_CHUNK];
  for (size_t k = 0; k < n_cells; k++) {
    const int64_t e = value[k];
    if (e == 0) continue; /* an empty cell given explicitly: as one not given */
    const size_t s = sector[k];
    const double local_share = (double)e / district, national_share = national_shares[s];
    krugman += fabs(local_share - national_share);
    abs_in_cells += sector_totals[s] < 0 ? -(__int128)sector_totals[s] : (__int128)sector_totals[s];
    hhi += local_share * local_share;
    /* regio_lq_row's value: NaN where E_s = 0 (p_s = 0 exactly: |E_s| >= 1 milli cannot underflow) */
    const double lq = national_share == 0.0 ? NAN : local_share / national_share;
    nonzero_with_share += national_share != 0.0;
    if (e > 0) {
      theil_share[n_theil] = local_share;
      theil_lq[n_theil++] = lq;
      if (n_theil == THEIL_CHUNK) {
        if (n_theil) theil += regio_log_dot(theil_share, theil_lq, n_theil);
        n_theil = 0;
      }
    }
    /* (a NaN LQ passes neither comparison) */
    if (lq > max_lq) {
      max_lq = lq;
      max_sector = (int64_t)s;
    }
    n_specialised += (lq >= lq_threshold) & (e >= min_milli); /* without a branch: it passes at random */
  }
  if (n_theil) theil += regio_log_dot(theil_share, theil_lq, n_theil);
  /* the empty cells: |0 - p_s| = |E_s| / E each, taken at once from the exact integer sum */
  krugman += (double)(abs_sector_total - abs_in_cells) / (double)national_total;
  /* the empty cells' LQ of 0, as in the reference: the first of them (with p_s != 0) is the maximum
   * when no other LQ is above 0 (a non-empty cell's LQ is never 0, so there are no ties to break),
   * and each one counts when 0 passes the thresholds */
  if (max_sector < 0 || 0.0 > max_lq) {
    size_t k = 0;
    for (size_t s = 0; s < n_sectors; s++) {
      while (k < n_cells && (sector[k] < s || value[k] == 0)) k++;
      if (k < n_cells && sector[k] == s) continue; /* a non-empty cell */
      if (national_shares[s] != 0.0) {
        max_lq = 0.0;
        max_sector = (int64_t)s;
        break;
      }
    }
  }
  if (0.0 >= lq_threshold && 0 >= min_milli) n_specialised += (int64_t)(n_nonzero_shares - nonzero_with_share);
  out->krugman = krugman;
  out->hoover = 0.5 * krugman;
  out->hhi = hhi;
  if (n_active_sectors > 1) {
    const double inv_n = 1.0 / (double)n_active_sectors;
    out->hhi_normalised = (hhi - inv_n) / (1.0 - inv_n);
  } else {
    out->hhi_normalised = NAN;
  }
  out->theil = theil;
  out->max_lq = max_sector >= 0 ? max_lq : NAN;
  out->max_lq_sector = max_sector;
  out->relative_diversity = 1.0 / krugman;
  out->n_specialised = n_specialised;
}

static void free_specialisation(regio_specialisation_t *sp) {
  free(sp->krugman);
  free(sp->hoover);
  free(sp->hhi);
  free(sp->hhi_normalised);
  free(sp->theil);
  free(sp->max_lq);
  free(sp->max_lq_sector);
  free(sp->relative_diversity);
  free(sp->n_specialised);
}

regio_err_t regio_specialisation_compute(regio_result_t *res, regio_level_t *level, const regio_rows_t *rows,
                                         regio_ctx_t *ctx) {
  const size_t D = res->agg->districts.count, S = level->sectors.count;
  const size_t nD = D ? D : 1;
  regio_specialisation_t *sp = &level->specialisation;
  sp->krugman = malloc(nD * sizeof(double));
  sp->hoover = malloc(nD * sizeof(double));
  sp->hhi = malloc(nD * sizeof(double));
  sp->hhi_normalised = malloc(nD * sizeof(double));
  sp->theil = malloc(nD * sizeof(double));
  sp->max_lq = malloc(nD * sizeof(double));
  sp->max_lq_sector = malloc(nD * sizeof(int64_t));
  sp->relative_diversity = malloc(nD * sizeof(double));
  sp->n_specialised = malloc(nD * sizeof(int64_t));
  if (!sp->krugman || !sp->hoover || !sp->hhi || !sp->hhi_normalised || !sp->theil || !sp->max_lq ||
      !sp->max_lq_sector || !sp->relative_diversity || !sp->n_specialised)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the specialisation indices of level %s", level->name);
  level->lq_symmetric = 1; /* computed from the LQ where it is written */
  size_t n_active = 0, n_nonzero_shares = 0;
  __int128 abs_total = 0;
  /* E_s / E of every sector, once (the same rounding as per cell) */
  double *national_shares = malloc((S ? S : 1) * sizeof *national_shares);
  if (!national_shares)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the specialisation indices of level %s", level->name);
  for (size_t s = 0; s < S; s++) {
    const int64_t e = level->sector_employment[s];
    n_active += e > 0;
    national_shares[s] = (double)e / (double)res->total_employment;
    abs_total += e < 0 ? -(__int128)e : (__int128)e;
    n_nonzero_shares += national_shares[s] != 0.0;
  }
  const double threshold = res->specialised_lq;
  const int64_t min_milli = res->specialised_min_milli;
  const int T = regio_ctx_threads(ctx);
#pragma omp parallel for num_threads(T) schedule(static)
  for (size_t d = 0; d < D; d++) {
    regio_specialisation_row_t row;
    const size_t a = rows->start[d];
    regio_specialisation_cells(rows->sector + a, rows->value + a, rows->start[d + 1] - a, res->district_employment[d],
                               res->total_employment, level->sector_employment, national_shares, S, abs_total,
                               n_nonzero_shares, n_active, threshold, min_milli, &row);
    sp->krugman[d] = row.krugman;
    sp->hoover[d] = row.hoover;
    sp->hhi[d] = row.hhi;
    sp->hhi_normalised[d] = row.hhi_normalised;
    sp->theil[d] = row.theil;
    sp->max_lq[d] = row.max_lq;
    sp->max_lq_sector[d] = row.max_lq_sector;
    sp->relative_diversity[d] = row.relative_diversity;
    sp->n_specialised[d] = row.n_specialised;
  }
  free(national_shares);
  return REGIO_OK;
}

void regio_specialisation_free(regio_level_t *level) {
  free_specialisation(&level->specialisation);
  memset(&level->specialisation, 0, sizeof level->specialisation);
  level->lq_symmetric = 0;
}
