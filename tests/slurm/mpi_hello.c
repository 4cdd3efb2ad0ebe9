/* A 2-rank MPI check for tests/slurm/slurm_job.sh: does srun --mpi=pmix (or mpirun inside an
 * allocation) start OpenMPI ranks that can talk to each other? Prints "rank R of N sum S". */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 1;
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long mine = rank, sum = -1;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d of %d sum %ld\n", rank, size, sum);
  MPI_Finalize();
  return 0;
}
