/* The distributed mode's collectives (regio/dist.h): MPI when the build has it (REGIO_HAVE_MPI),
 * one process otherwise. MPI counts are int: a message above INT_MAX bytes is sent as a derived
 * type of 1 MiB blocks plus a remainder, so no size limit applies. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dist_internal.h"
#include "regio/dist.h"

struct regio_dist {
  int rank, size;
  uint64_t bytes_sent; /* payload this rank sent to other ranks (see regio_dist_bytes_sent) */
  char host[256];
#ifdef REGIO_HAVE_MPI
  MPI_Comm comm;
  /* 2 * size words for the byte counts of a gather or a personalised exchange: allocated once at
   * the start, so that nothing can fail on one rank alone before an exchange's first message */
  uint64_t *counts;
#endif
};

int regio_dist_available(void) {
#ifdef REGIO_HAVE_MPI
  return 1;
#else
  return 0;
#endif
}

int regio_dist_rank(const regio_dist_t *d) {
  return d ? d->rank : 0;
}
int regio_dist_size(const regio_dist_t *d) {
  return d ? d->size : 1;
}
uint64_t regio_dist_bytes_sent(const regio_dist_t *d) {
  return d ? d->bytes_sent : 0;
}
const char *regio_dist_host(const regio_dist_t *d) {
  return d ? d->host : "";
}

#ifdef REGIO_HAVE_MPI
MPI_Comm regio_dist_comm(const regio_dist_t *d) {
  return d ? d->comm : MPI_COMM_SELF;
}
#endif

regio_err_t regio_dist_init(int *argc, char ***argv, regio_dist_t **out) {
  *out = NULL;
  regio_dist_t *d = calloc(1, sizeof *d);
  if (!d) return REGIO_ERR_NOMEM;
  d->size = 1;
#ifdef REGIO_HAVE_MPI
  int provided = 0, already = 0;
  MPI_Initialized(&already);
  if (!already && MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    free(d);
    return REGIO_ERR_INTERNAL;
  }
  d->comm = MPI_COMM_WORLD;
  MPI_Comm_rank(d->comm, &d->rank);
  MPI_Comm_size(d->comm, &d->size);
  int len = 0;
  MPI_Get_processor_name(d->host, &len);
  d->host[len < (int)sizeof d->host ? len : (int)sizeof d->host - 1] = '\0';
  d->counts = malloc(2 * (size_t)d->size * sizeof *d->counts);
  int ok = d->counts != NULL; /* (agreed: every rank starts, or none) */
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, d->comm);
  if (!ok) {
    free(d->counts);
    if (!already) MPI_Finalize();
    free(d);
    return REGIO_ERR_NOMEM;
  }
#else
  (void)argc;
  (void)argv;
  if (gethostname(d->host, sizeof d->host) != 0) d->host[0] = '\0';
  d->host[sizeof d->host - 1] = '\0';
#endif
  *out = d;
  return REGIO_OK;
}

void regio_dist_finalize(regio_dist_t **d) {
  if (!*d) return;
#ifdef REGIO_HAVE_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
  free((*d)->counts);
#endif
  free(*d);
  *d = NULL;
}

void regio_dist_abort(const regio_dist_t *d, int code) {
#ifdef REGIO_HAVE_MPI
  if (d && d->size > 1) MPI_Abort(d->comm, code);
#else
  (void)d;
#endif
  exit(code);
}

void regio_dist_barrier(regio_dist_t *d) {
#ifdef REGIO_HAVE_MPI
  if (d && d->size > 1) MPI_Barrier(d->comm);
#else
  (void)d;
#endif
}

#ifdef REGIO_HAVE_MPI
/* Sums with overflow detection: element k of the pair (value, overflow flag). */
static void sum_checked(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  int64_t *a = in, *b = inout;
  for (int k = 0; k < *len; k++) {
    int64_t s;
    if (__builtin_add_overflow(a[2 * k], b[2 * k], &s)) {
      b[2 * k + 1] = 1;
      s = 0;
    }
    b[2 * k] = s;
    b[2 * k + 1] |= a[2 * k + 1];
  }
}

static void sum_u128(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  uint64_t *a = in, *b = inout;
  for (int k = 0; k < *len; k++) {
    unsigned __int128 x = ((unsigned __int128)a[2 * k + 1] << 64) | a[2 * k];
    unsigned __int128 y = ((unsigned __int128)b[2 * k + 1] << 64) | b[2 * k];
    y += x;
    b[2 * k] = (uint64_t)y;
    b[2 * k + 1] = (uint64_t)(y >> 64);
  }
}

static regio_err_t mpi_failed(regio_ctx_t *ctx, const char *what, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  text[len] = '\0';
  return REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "MPI %s failed: %s", what, text);
}
#endif

regio_err_t regio_dist_allreduce_i64(regio_dist_t *d, int64_t *v, size_t n, regio_dist_op_t op, size_t *first_overflow,
                                     regio_ctx_t *ctx) {
  if (first_overflow) *first_overflow = SIZE_MAX;
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1 || n == 0) return REGIO_OK;
  REGIO_CHECK(ctx, n <= (size_t)INT_MAX / 2, REGIO_ERR_INTERNAL, "reduction of %zu values is too large", n);
  if (op != REGIO_DIST_SUM) {
    d->bytes_sent += n * sizeof *v;
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT64_T, op == REGIO_DIST_MIN ? MPI_MIN : MPI_MAX, d->comm);
    return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "Allreduce", rc);
  }
  /* The (value, flag) pairs pass through a buffer on the stack, a block at a time: no allocation,
   * so that no rank can fail here alone while the others reduce (the same blocks on every rank,
   * since n is). */
  enum { PAIRS = 4096 };
  int64_t pairs[2 * PAIRS];
  MPI_Datatype pair;
  MPI_Op sum;
  MPI_Type_contiguous(2, MPI_INT64_T, &pair);
  MPI_Type_commit(&pair);
  MPI_Op_create(sum_checked, 1, &sum);
  d->bytes_sent += 2 * n * sizeof *pairs;
  int rc = MPI_SUCCESS;
  size_t over = SIZE_MAX;
  for (size_t k0 = 0; k0 < n && rc == MPI_SUCCESS; k0 += PAIRS) {
    const size_t m = n - k0 < PAIRS ? n - k0 : PAIRS;
    for (size_t k = 0; k < m; k++) {
      pairs[2 * k] = v[k0 + k];
      pairs[2 * k + 1] = 0;
    }
    rc = MPI_Allreduce(MPI_IN_PLACE, pairs, (int)m, pair, sum, d->comm);
    for (size_t k = 0; k < m; k++) {
      v[k0 + k] = pairs[2 * k];
      if (pairs[2 * k + 1] && over == SIZE_MAX) over = k0 + k;
    }
  }
  MPI_Op_free(&sum);
  MPI_Type_free(&pair);
  if (first_overflow) *first_overflow = over;
  return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "Allreduce", rc);
#else
  (void)d;
  (void)v;
  (void)n;
  (void)op;
  (void)ctx;
  return REGIO_OK;
#endif
}

regio_err_t regio_dist_allreduce_u128(regio_dist_t *d, uint64_t *v2, size_t n, regio_ctx_t *ctx) {
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1 || n == 0) return REGIO_OK;
  REGIO_CHECK(ctx, n <= (size_t)INT_MAX, REGIO_ERR_INTERNAL, "reduction of %zu values is too large", n);
  MPI_Datatype pair;
  MPI_Op sum;
  MPI_Type_contiguous(2, MPI_UINT64_T, &pair);
  MPI_Type_commit(&pair);
  MPI_Op_create(sum_u128, 1, &sum);
  d->bytes_sent += 2 * n * sizeof *v2;
  int rc = MPI_Allreduce(MPI_IN_PLACE, v2, (int)n, pair, sum, d->comm);
  MPI_Op_free(&sum);
  MPI_Type_free(&pair);
  return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "Allreduce", rc);
#else
  (void)d;
  (void)v2;
  (void)n;
  (void)ctx;
  return REGIO_OK;
#endif
}

#ifdef REGIO_HAVE_MPI
/* Point-to-point exchange of byte ranges of any size (MPI counts are int): every rank posts its
 * receives, then its sends, in blocks of at most 1 GiB. */
enum { BLOCK = 1 << 30 };

/* The requests of an exchange of these sizes. */
static size_t exchange_requests(const regio_dist_t *d, const size_t *send_bytes, const size_t *recv_bytes) {
  size_t n_req = 0;
  for (int r = 0; r < d->size; r++) n_req += (send_bytes[r] + BLOCK - 1) / BLOCK + (recv_bytes[r] + BLOCK - 1) / BLOCK;
  return n_req ? n_req : 1;
}

/* req: room for exchange_requests(d, send_bytes, recv_bytes) requests. */
static regio_err_t exchange(regio_dist_t *d, const char *send, const size_t *send_bytes, const size_t *send_displs,
                            char *recv, const size_t *recv_bytes, const size_t *recv_displs, MPI_Request *req,
                            regio_ctx_t *ctx) {
  size_t k = 0;
  for (int r = 0; r < d->size; r++)
    for (size_t off = 0; off < recv_bytes[r]; off += BLOCK) {
      size_t len = recv_bytes[r] - off < BLOCK ? recv_bytes[r] - off : BLOCK;
      MPI_Irecv(recv + recv_displs[r] + off, (int)len, MPI_BYTE, r, 7, d->comm, &req[k++]);
    }
  for (int r = 0; r < d->size; r++)
    if (r != d->rank) d->bytes_sent += send_bytes[r];
  for (int r = 0; r < d->size; r++)
    for (size_t off = 0; off < send_bytes[r]; off += BLOCK) {
      size_t len = send_bytes[r] - off < BLOCK ? send_bytes[r] - off : BLOCK;
      MPI_Isend(send + send_displs[r] + off, (int)len, MPI_BYTE, r, 7, d->comm, &req[k++]);
    }
  int rc = MPI_Waitall((int)k, req, MPI_STATUSES_IGNORE);
  return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "exchange", rc);
}
#endif

/* The gather and the personalised exchange first swap the byte counts (into the dist's own words:
 * nothing to allocate before), then allocate what receives the bytes, which can fail on one rank
 * alone: that is agreed before any byte moves, so every rank returns the same error. */
regio_err_t regio_dist_allgatherv(regio_dist_t *d, const void *send, size_t bytes, void **recv, size_t **counts,
                                  size_t **displs, regio_ctx_t *ctx) {
  const int P = regio_dist_size(d) > 1 ? regio_dist_size(d) : 1; /* >= 1, so the compiler knows it */
  uint64_t mine = bytes, *all = &mine;
#ifdef REGIO_HAVE_MPI
  if (P > 1) {
    all = d->counts;
    MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, d->comm);
  }
#endif
  size_t total = 0;
  for (int r = 0; r < P; r++) total += (size_t)all[r];
  size_t *c = calloc((size_t)P, sizeof *c), *o = calloc((size_t)P, sizeof *o);
  char *buf = malloc(total ? total : 1);
  regio_err_t err = REGIO_OK;
  if (!c || !o || !buf)
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for %zu bytes gathered from all ranks", total);
  for (int r = 0; !err && r < P; r++) {
    c[r] = (size_t)all[r];
    o[r] = r ? o[r - 1] + c[r - 1] : 0;
  }
  if (P == 1) {
    if (!err && bytes) memcpy(buf, send, bytes);
  }
#ifdef REGIO_HAVE_MPI
  else {
    size_t *sb = malloc((size_t)P * sizeof *sb), *sd = calloc((size_t)P, sizeof *sd);
    MPI_Request *req = NULL;
    if (!err && sb && sd) {
      for (int r = 0; r < P; r++) sb[r] = bytes;
      req = malloc(exchange_requests(d, sb, c) * sizeof *req);
    }
    if (!err && (!sb || !sd || !req)) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    err = regio_dist_agree(d, err, ctx);
    if (!err) err = exchange(d, send, sb, sd, buf, c, o, req, ctx);
    free(sb);
    free(sd);
    free(req);
  }
#endif
  if (err) {
    free(buf);
    free(c);
    free(o);
    return err;
  }
  *recv = buf;
  if (counts)
    *counts = c;
  else
    free(c);
  if (displs)
    *displs = o;
  else
    free(o);
  return REGIO_OK;
}

regio_err_t regio_dist_alltoallv(regio_dist_t *d, const void *send, const size_t *send_bytes, void **recv,
                                 size_t **recv_bytes, regio_ctx_t *ctx) {
  const int P = regio_dist_size(d) > 1 ? regio_dist_size(d) : 1; /* >= 1, so the compiler knows it */
  uint64_t mine = send_bytes[0], *from = &mine;
#ifdef REGIO_HAVE_MPI
  if (P > 1) {
    uint64_t *to = d->counts;
    from = d->counts + P;
    for (int r = 0; r < P; r++) to[r] = send_bytes[r];
    MPI_Alltoall(to, 1, MPI_UINT64_T, from, 1, MPI_UINT64_T, d->comm);
  }
#endif
  size_t total = 0;
  for (int r = 0; r < P; r++) total += (size_t)from[r];
  size_t *rb = calloc((size_t)P, sizeof *rb);
  char *buf = malloc(total ? total : 1);
  regio_err_t err = REGIO_OK;
  if (!rb || !buf)
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for %zu bytes received from all ranks", total);
  for (int r = 0; !err && r < P; r++) rb[r] = (size_t)from[r];
  if (P == 1) {
    if (!err && rb[0]) memcpy(buf, send, rb[0]);
  }
#ifdef REGIO_HAVE_MPI
  else {
    size_t *sd = malloc((size_t)P * sizeof *sd), *rd = malloc((size_t)P * sizeof *rd);
    MPI_Request *req = NULL;
    if (!err && sd && rd) {
      size_t so = 0, ro = 0;
      for (int r = 0; r < P; r++) {
        sd[r] = so;
        so += send_bytes[r];
        rd[r] = ro;
        ro += rb[r];
      }
      req = malloc(exchange_requests(d, send_bytes, rb) * sizeof *req);
    }
    if (!err && (!sd || !rd || !req)) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    err = regio_dist_agree(d, err, ctx);
    if (!err) err = exchange(d, send, send_bytes, sd, buf, rb, rd, req, ctx);
    free(sd);
    free(rd);
    free(req);
  }
#endif
  if (err) {
    free(buf);
    free(rb);
    return err;
  }
  *recv = buf;
  *recv_bytes = rb;
  return REGIO_OK;
}

regio_err_t regio_dist_bcast(regio_dist_t *d, void *buf, size_t bytes, int root, regio_ctx_t *ctx) {
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1) return REGIO_OK;
  if (d->rank == root) d->bytes_sent += bytes * (uint64_t)(d->size - 1);
  for (size_t off = 0; off < bytes; off += BLOCK) {
    size_t len = bytes - off < BLOCK ? bytes - off : BLOCK;
    int rc = MPI_Bcast((char *)buf + off, (int)len, MPI_BYTE, root, d->comm);
    if (rc != MPI_SUCCESS) return mpi_failed(ctx, "Bcast", rc);
  }
#else
  (void)d;
  (void)buf;
  (void)bytes;
  (void)root;
  (void)ctx;
#endif
  return REGIO_OK;
}

regio_err_t regio_dist_agree(regio_dist_t *d, regio_err_t err, regio_ctx_t *ctx) {
  return regio_dist_agree_keyed(d, err, 0, ctx);
}

regio_err_t regio_dist_agree_keyed(regio_dist_t *d, regio_err_t err, int64_t key, regio_ctx_t *ctx) {
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1) return err;
  if (key == INT64_MAX) key = INT64_MAX - 1; /* INT64_MAX stands for no error */
  int64_t lowest = err != REGIO_OK ? key : INT64_MAX;
  MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT64_T, MPI_MIN, d->comm);
  if (lowest == INT64_MAX) return REGIO_OK;
  int mine = err != REGIO_OK && key == lowest ? d->rank : d->size, first = d->size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm);
  if (first == d->size) return REGIO_OK;
  struct {
    int code;
    char message[2048]; /* as the context's */
  } carried;
  memset(&carried, 0, sizeof carried);
  if (d->rank == first) {
    carried.code = (int)err;
    snprintf(carried.message, sizeof carried.message, "%s", regio_ctx_message(ctx));
  }
  MPI_Bcast(&carried, (int)sizeof carried, MPI_BYTE, first, d->comm);
  if (d->rank != first) {
    regio_ctx_clear(ctx);
    regio_ctx_error(ctx, (regio_err_t)carried.code, __FILE__, __LINE__, __func__, "%s", carried.message);
  }
  return (regio_err_t)carried.code;
#else
  (void)d;
  (void)key;
  (void)ctx;
  return err;
#endif
}

regio_err_t regio_dist_chain_receive(regio_dist_t *d, void *buf, size_t bytes, regio_ctx_t *ctx) {
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1 || d->rank == 0) return REGIO_OK;
  REGIO_CHECK(ctx, bytes <= (size_t)INT_MAX, REGIO_ERR_INTERNAL, "chain message of %zu bytes is too large", bytes);
  int rc = MPI_Recv(buf, (int)bytes, MPI_BYTE, d->rank - 1, 11, d->comm, MPI_STATUS_IGNORE);
  return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "Recv", rc);
#else
  (void)d;
  (void)buf;
  (void)bytes;
  (void)ctx;
  return REGIO_OK;
#endif
}

regio_err_t regio_dist_chain_send(regio_dist_t *d, const void *buf, size_t bytes, regio_ctx_t *ctx) {
#ifdef REGIO_HAVE_MPI
  if (!d || d->size == 1 || d->rank == d->size - 1) return REGIO_OK;
  REGIO_CHECK(ctx, bytes <= (size_t)INT_MAX, REGIO_ERR_INTERNAL, "chain message of %zu bytes is too large", bytes);
  d->bytes_sent += bytes;
  int rc = MPI_Send(buf, (int)bytes, MPI_BYTE, d->rank + 1, 11, d->comm);
  return rc == MPI_SUCCESS ? REGIO_OK : mpi_failed(ctx, "Send", rc);
#else
  (void)d;
  (void)buf;
  (void)bytes;
  (void)ctx;
  return REGIO_OK;
#endif
}
