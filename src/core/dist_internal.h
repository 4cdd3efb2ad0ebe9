/* Internal to libregio: the MPI communicator of a dist (MPI builds only). */
#ifndef REGIO_CORE_DIST_INTERNAL_H
#define REGIO_CORE_DIST_INTERNAL_H

#include "regio/dist.h"

#ifdef REGIO_HAVE_MPI
#include <mpi.h>
/* The communicator of d (MPI_COMM_SELF for NULL). */
MPI_Comm regio_dist_comm(const regio_dist_t *d);
#endif

#endif
