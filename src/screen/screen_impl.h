/* Internal to the screen (src/screen/), exposed for its unit tests. */
#ifndef REGIO_SCREEN_IMPL_H
#define REGIO_SCREEN_IMPL_H

#include <stddef.h>

/* The k-th smallest of v[0..n) (k < n; no NaN), which ends at v[k] with the values before it no
 * larger and the values after it no smaller (quickselect, median-of-three pivots): the value a
 * sort would put at position k, in linear expected time. Reorders v. */
double regio_select_kth(double *v, size_t n, size_t k);

#endif
