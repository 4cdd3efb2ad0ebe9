/* The run context: threads, progress, last error. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regio/dist.h"
#include "regio/error.h"

#define REGIO_MESSAGE_MAX 2048

struct regio_ctx {
  int threads;
  regio_dist_t *dist;
  regio_progress_fn progress;
  void *progress_user;
  regio_err_t code;
  char message[REGIO_MESSAGE_MAX];
  char origin[256];
};

const char *regio_err_string(regio_err_t code) {
  switch (code) {
#define REGIO_X_CASE(name, value, text) \
  case name: return text;
    REGIO_ERRORS(REGIO_X_CASE)
#undef REGIO_X_CASE
  }
  return "unknown error";
}

regio_err_t regio_ctx_create(regio_ctx_t **out) {
  regio_ctx_t *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return REGIO_ERR_NOMEM;
  ctx->threads = omp_get_max_threads(); /* OMP_NUM_THREADS, else the cores this process may use */
  if (ctx->threads < 1) ctx->threads = 1;
  *out = ctx;
  return REGIO_OK;
}

void regio_ctx_destroy(regio_ctx_t **ctx) {
  if (!ctx || !*ctx) return;
  free(*ctx);
  *ctx = NULL;
}

void regio_ctx_set_threads(regio_ctx_t *ctx, int n) {
  ctx->threads = n > 0 ? n : omp_get_max_threads();
  if (ctx->threads < 1) ctx->threads = 1;
}

int regio_ctx_threads(const regio_ctx_t *ctx) {
  return ctx->threads;
}

void regio_ctx_set_progress(regio_ctx_t *ctx, regio_progress_fn fn, void *user) {
  ctx->progress = fn;
  ctx->progress_user = user;
}

void regio_ctx_progress(regio_ctx_t *ctx, const char *phase, double fraction) {
  if (ctx && ctx->progress) ctx->progress(ctx->progress_user, phase, fraction);
}

const char *regio_ctx_message(const regio_ctx_t *ctx) {
  return ctx->message;
}
const char *regio_ctx_origin(const regio_ctx_t *ctx) {
  return ctx->origin;
}
regio_err_t regio_ctx_code(const regio_ctx_t *ctx) {
  return ctx->code;
}

regio_err_t regio_ctx_verror(regio_ctx_t *ctx, regio_err_t code, const char *src_file, int src_line, const char *func,
                             const char *fmt, va_list ap) {
  if (!ctx) return code;
  ctx->code = code;
  vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
  const char *base = strrchr(src_file, '/');
  snprintf(ctx->origin, sizeof ctx->origin, "%s:%d (%s)", base ? base + 1 : src_file, src_line, func);
  return code;
}

regio_err_t regio_ctx_error(regio_ctx_t *ctx, regio_err_t code, const char *src_file, int src_line, const char *func,
                            const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  regio_ctx_verror(ctx, code, src_file, src_line, func, fmt, ap);
  va_end(ap);
  return code;
}

void regio_ctx_error_prefix(regio_ctx_t *ctx, const char *fmt, ...) {
  if (!ctx) return;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char joined[REGIO_MESSAGE_MAX];
  if (snprintf(joined, sizeof joined, "%s: %s", prefix, ctx->message) >= (int)sizeof joined)
    joined[sizeof joined - 1] = '\0'; /* a truncated message is still better than none */
  memcpy(ctx->message, joined, sizeof joined);
}

void regio_ctx_clear(regio_ctx_t *ctx) {
  ctx->code = REGIO_OK;
  ctx->message[0] = '\0';
  ctx->origin[0] = '\0';
}

void regio_ctx_set_dist(regio_ctx_t *ctx, regio_dist_t *d) {
  ctx->dist = d;
}
regio_dist_t *regio_ctx_dist(const regio_ctx_t *ctx) {
  return ctx ? ctx->dist : NULL;
}
