// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A GPU load for tools/gpu-check.sh: keeps every SM of one GPU busy with
 * dependent multiply-adds for the given seconds, then says how many
 * kernels it ran. Usage: burn SECONDS [DEVICE]. Exit 1 on any CUDA error.
 */
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cuda_runtime.h>

#define THREADS 256
#define ITERS (1 << 16)

__global__ void burn(float *out, int iters)
{
	unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
	float a = i * 1e-6f, b = 1.000001f;

	for (int k = 0; k < iters; k++)
		a = a * b + 1e-7f;
	out[i] = a;	/* keeps the loop from being optimised away */
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int check(cudaError_t e, const char *what)
{
	if (e == cudaSuccess)
		return 0;
	fprintf(stderr, "burn: %s: %s\n", what, cudaGetErrorString(e));
	return 1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10, end;
	int dev = argc > 2 ? atoi(argv[2]) : 0, blocks;
	unsigned long kernels = 0;
	cudaDeviceProp prop;
	float *out;

	if (!(seconds > 0) || check(cudaSetDevice(dev), "cudaSetDevice") ||
	    check(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties"))
		return 1;
	blocks = prop.multiProcessorCount * 8;	/* enough blocks to fill every SM */
	if (check(cudaMalloc(&out, sizeof(float) * blocks * THREADS), "cudaMalloc"))
		return 1;
	end = now_s() + seconds;
	while (now_s() < end) {
		burn<<<blocks, THREADS>>>(out, ITERS);
		if (check(cudaDeviceSynchronize(), "kernel"))
			return 1;
		kernels++;
	}
	printf("burn: %lu kernels on %s (%d SMs) in %.1f s\n", kernels, prop.name,
	       prop.multiProcessorCount, seconds);
	cudaFree(out);
	return 0;
}
