/* regio: the distributed mode (MPI across processes, "ranks").
 *
 * Districts are the unit of partitioning: each rank owns a contiguous range of the sorted district
 * codes and computes everything per district for that range; national totals are exact integer
 * reductions. The library calls these collectives unconditionally: in a build without MPI (the
 * default) and for a NULL dist they act on one process and do nothing, so the serial code path and
 * the distributed one are the same code.
 *
 * Every function is collective over all ranks unless it says otherwise. A collective function
 * returns the same error on every rank (MPI's own errors stop the job): what can fail on one rank
 * alone inside it (memory) is agreed before the data moves. Its caller must do the same for its
 * own steps: a step that can fail on one rank alone is agreed (regio_dist_agree) before the next
 * collective call, so that every rank makes the same calls in the same order and none waits
 * forever. */
#ifndef REGIO_DIST_H
#define REGIO_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "regio/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct regio_dist regio_dist_t;

/* 1 when this build of the library has MPI (CMake option REGIO_ENABLE_MPI), else 0. Not collective. */
int regio_dist_available(void);

/* Starts MPI (threads funneled through the main thread) when the build has it and returns the
 * world of ranks; without MPI a dist of one rank. */
regio_err_t regio_dist_init(int *argc, char ***argv, regio_dist_t **out);
/* Ends MPI; *d set to NULL. */
void regio_dist_finalize(regio_dist_t **d);
/* Stops every rank at once with exit code `code` (MPI_Abort); exit() without MPI. Not collective. */
void regio_dist_abort(const regio_dist_t *d, int code) __attribute__((noreturn));

/* Rank and number of ranks (0 and 1 for NULL). Not collective. */
int regio_dist_rank(const regio_dist_t *d);
int regio_dist_size(const regio_dist_t *d);
/* Payload bytes this rank has sent to other ranks so far: the parts of personalised exchanges and
 * gathers addressed to others, each reduction's vector once, a broadcast's bytes times the other
 * ranks at the root. For the figures of the scaling benchmark. Not collective. */
uint64_t regio_dist_bytes_sent(const regio_dist_t *d);
/* The processor (host) name, for provenance. Not collective. */
const char *regio_dist_host(const regio_dist_t *d);

/* The dist of a context (NULL: one process). Not collective. */
void regio_ctx_set_dist(regio_ctx_t *ctx, regio_dist_t *d);
regio_dist_t *regio_ctx_dist(const regio_ctx_t *ctx);

typedef enum regio_dist_op { REGIO_DIST_SUM, REGIO_DIST_MIN, REGIO_DIST_MAX } regio_dist_op_t;

/* v[0..n) combined over ranks in place, exactly (integers). With SUM, *first_overflow (when not
 * NULL) is set on every rank to the lowest index whose sum left the int64 range (SIZE_MAX: none);
 * that value is then unspecified. For non-negative values a partial sum overflows only when the
 * total does, so the answer does not depend on the order of the reduction. */
regio_err_t regio_dist_allreduce_i64(regio_dist_t *d, int64_t *v, size_t n, regio_dist_op_t op, size_t *first_overflow,
                                     regio_ctx_t *ctx);
/* Sums of 128-bit unsigned integers (two 64-bit words, low first, per value), modulo 2^128. */
regio_err_t regio_dist_allreduce_u128(regio_dist_t *d, uint64_t *v2, size_t n, regio_ctx_t *ctx);

/* Every rank's bytes, concatenated in rank order: *recv (malloc'ed, the caller frees) and
 * counts[size] / displs[size] (bytes; both malloc'ed when not NULL). */
regio_err_t regio_dist_allgatherv(regio_dist_t *d, const void *send, size_t bytes, void **recv, size_t **counts,
                                  size_t **displs, regio_ctx_t *ctx);
/* Personalised exchange: send_bytes[r] bytes to rank r from send (in rank order); receives
 * recv_bytes[r] (malloc'ed) bytes from rank r into *recv (malloc'ed, rank order). */
regio_err_t regio_dist_alltoallv(regio_dist_t *d, const void *send, const size_t *send_bytes, void **recv,
                                 size_t **recv_bytes, regio_ctx_t *ctx);
/* bytes from root to every rank. */
regio_err_t regio_dist_bcast(regio_dist_t *d, void *buf, size_t bytes, int root, regio_ctx_t *ctx);
void regio_dist_barrier(regio_dist_t *d);

/* An ordered chain through the ranks, for floating-point sums that must equal one process's sum in
 * district order: rank r receives the running value from rank r - 1 (rank 0: nothing, buf keeps
 * its initial value), continues it over its own districts, and sends it on to rank r + 1; the last
 * rank's value is then broadcast with regio_dist_bcast(..., size - 1). Each call is collective. */
regio_err_t regio_dist_chain_receive(regio_dist_t *d, void *buf, size_t bytes, regio_ctx_t *ctx);
regio_err_t regio_dist_chain_send(regio_dist_t *d, const void *buf, size_t bytes, regio_ctx_t *ctx);

/* Error agreement at the end of a phase: every rank passes its own result. When any rank failed,
 * every rank returns the error of the lowest failing rank (code and message, also set in ctx, so
 * that rank 0 reports it), else REGIO_OK. */
regio_err_t regio_dist_agree(regio_dist_t *d, regio_err_t err, regio_ctx_t *ctx);
/* The same, choosing among the failing ranks the one with the lowest key (e.g. the position of its
 * error in the input, so that the error reported is the first in file order), then the lowest
 * rank. */
regio_err_t regio_dist_agree_keyed(regio_dist_t *d, regio_err_t err, int64_t key, regio_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
