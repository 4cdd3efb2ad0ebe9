/* Internal to the HDF5 writer (src/output/): a run-length deflate encoder for shuffled chunks. */
#ifndef REGIO_RLE_DEFLATE_H
#define REGIO_RLE_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* in[0..n) as one final dynamic-Huffman deflate block (raw deflate, no zlib header or trailer):
 * runs of the previous byte (3 to 258 long) as matches at distance 1, the other bytes as
 * literals, code lengths of at most 15 bits. Returns the bytes written to out, or 0 when n is 0
 * or the block does not fit in cap (random data can grow: the caller then falls back); nothing
 * is written past out + cap. tokens: scratch room for n tokens (2n bytes), found in a first pass
 * and coded in a second. The output depends on the input alone. */
size_t regio_rle_deflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint16_t *tokens);

/* The same block, its tokens found byte by byte: the plain reference of the 64-byte windows that
 * regio_rle_deflate scans (for the tests). */
size_t regio_rle_deflate_plain(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint16_t *tokens);

#endif
