/* regio: error codes and the run context.
 *
 * Every fallible regio function returns regio_err_t (0 = success) and, on failure, leaves a
 * human-readable message in the context that names the input (file, line, column, offending text).
 * The numeric value of each code is also the exit code of the `regio` program. */
#ifndef REGIO_ERROR_H
#define REGIO_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One list for codes, exit codes and messages, so they cannot drift apart.
 * X(name, value, short description) */
#define REGIO_ERRORS(X)                                                            \
  X(REGIO_OK, 0, "success")                                                        \
  X(REGIO_ERR_USAGE, 2, "usage error (bad option, option value or configuration)") \
  X(REGIO_ERR_INPUT, 3, "bad input data")                                          \
  X(REGIO_ERR_NUMERIC, 4, "numerical error")                                       \
  X(REGIO_ERR_IO, 5, "file system or output error")                                \
  X(REGIO_ERR_NOMEM, 6, "out of memory")                                           \
  X(REGIO_ERR_INTERNAL, 7, "internal error (a bug in regio: please report it)")

typedef enum regio_err {
#define REGIO_X_ENUM(name, value, text) name = value,
  REGIO_ERRORS(REGIO_X_ENUM)
#undef REGIO_X_ENUM
} regio_err_t;

/* Short description of an error code ("bad input data"); never NULL. */
const char *regio_err_string(regio_err_t code);

/* The run context: thread count, progress reporting and the last error. Not shared between
 * concurrent runs; one context per run. */
typedef struct regio_ctx regio_ctx_t;

/* Progress callback: phase name and fraction done in [0, 1]; called from the calling thread only. */
typedef void (*regio_progress_fn)(void *user, const char *phase, double fraction);

regio_err_t regio_ctx_create(regio_ctx_t **out);
void regio_ctx_destroy(regio_ctx_t **ctx);

/* Threads used by parallel phases; n <= 0 means all available cores. */
void regio_ctx_set_threads(regio_ctx_t *ctx, int n);
int regio_ctx_threads(const regio_ctx_t *ctx);

void regio_ctx_set_progress(regio_ctx_t *ctx, regio_progress_fn fn, void *user);
void regio_ctx_progress(regio_ctx_t *ctx, const char *phase, double fraction);

/* The message of the last error recorded in ctx ("" when none). */
const char *regio_ctx_message(const regio_ctx_t *ctx);
/* Where the last error was raised in regio's source: "file.c:123 (function)". */
const char *regio_ctx_origin(const regio_ctx_t *ctx);
regio_err_t regio_ctx_code(const regio_ctx_t *ctx);

/* Records an error (message formatted printf-style) and returns code. Later errors overwrite
 * earlier ones except when `keep_first` semantics are needed; see regio_ctx_error_prefix. */
regio_err_t regio_ctx_error(regio_ctx_t *ctx, regio_err_t code, const char *src_file, int src_line, const char *func,
                            const char *fmt, ...) __attribute__((format(printf, 6, 7)));
regio_err_t regio_ctx_verror(regio_ctx_t *ctx, regio_err_t code, const char *src_file, int src_line, const char *func,
                             const char *fmt, va_list ap);
/* Prepends "text: " to the current message (adds context on the way up). */
void regio_ctx_error_prefix(regio_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void regio_ctx_clear(regio_ctx_t *ctx);

/* Usage check that stays on in release builds: returns the error from the enclosing function. */
#define REGIO_CHECK(ctx, cond, code, ...)                                                          \
  do {                                                                                             \
    if (!(cond)) return regio_ctx_error((ctx), (code), __FILE__, __LINE__, __func__, __VA_ARGS__); \
  } while (0)

#define REGIO_ERROR(ctx, code, ...) regio_ctx_error((ctx), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Propagates a non-zero regio_err_t. */
#define REGIO_TRY(expr)                                    \
  do {                                                     \
    regio_err_t regio_try_err_ = (expr);                   \
    if (regio_try_err_ != REGIO_OK) return regio_try_err_; \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
