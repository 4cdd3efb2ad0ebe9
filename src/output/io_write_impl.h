/* The /io group, shared by `regio io` (regio_io_write) and `regio run --io-table`
 * (regio_output_write_with_io). */
#ifndef REGIO_OUTPUT_IO_WRITE_IMPL_H
#define REGIO_OUTPUT_IO_WRITE_IMPL_H

#include "output/h5_impl.h"
#include "regio/output.h"

/* Writes /io (attributes of the input table), /io/sectors, /io/national and, when io->regional
 * is set, /io/regional into the open file of w. */
regio_err_t regio_io_write_group(regio_h5w_t *w, const regio_output_io_t *io);

#endif
