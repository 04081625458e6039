// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * user/nvml_abi.h against NVIDIA's own nvml.h, where one is installed
 * (CUDA's cuda-nvml-dev, Debian's libnvidia-ml-dev; the Makefile looks, or
 * NVML_H_DIR=... names it). NVIDIA's types then stand in for ours, so every
 * prototype is checked at compile time; the layouts and return codes ours
 * pins with _Static_assert are checked against NVIDIA's here. The build
 * never needs the header: without it this test is skipped, not passed.
 */
#ifdef HAVE_NVML_H
#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <nvml.h>
#include "nvml_abi.h"

#define SAME_PROTOTYPE(fn, type) \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), #fn)

SAME_PROTOTYPE(nvmlInit_v2, nvmlInit_v2_fn);
SAME_PROTOTYPE(nvmlShutdown, nvmlShutdown_fn);
SAME_PROTOTYPE(nvmlErrorString, nvmlErrorString_fn);
SAME_PROTOTYPE(nvmlDeviceGetCount_v2, nvmlDeviceGetCount_v2_fn);
SAME_PROTOTYPE(nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetHandleByIndex_v2_fn);
SAME_PROTOTYPE(nvmlDeviceGetName, nvmlDeviceGetName_fn);
SAME_PROTOTYPE(nvmlDeviceGetUUID, nvmlDeviceGetUUID_fn);
SAME_PROTOTYPE(nvmlDeviceGetTotalEnergyConsumption, nvmlDeviceGetTotalEnergyConsumption_fn);
SAME_PROTOTYPE(nvmlDeviceGetPowerUsage, nvmlDeviceGetPowerUsage_fn);
SAME_PROTOTYPE(nvmlDeviceGetProcessUtilization, nvmlDeviceGetProcessUtilization_fn);
SAME_PROTOTYPE(nvmlDeviceGetComputeRunningProcesses_v3, nvmlDeviceGetRunningProcesses_v3_fn);
SAME_PROTOTYPE(nvmlDeviceGetGraphicsRunningProcesses_v3, nvmlDeviceGetRunningProcesses_v3_fn);
SAME_PROTOTYPE(nvmlDeviceGetMigMode, nvmlDeviceGetMigMode_fn);
SAME_PROTOTYPE(nvmlDeviceGetMaxMigDeviceCount, nvmlDeviceGetMaxMigDeviceCount_fn);
SAME_PROTOTYPE(nvmlDeviceGetMigDeviceHandleByIndex, nvmlDeviceGetMigDeviceHandleByIndex_fn);
SAME_PROTOTYPE(nvmlDeviceGetGpuInstanceId, nvmlDeviceGetGpuInstanceId_fn);
SAME_PROTOTYPE(nvmlDeviceGetAttributes_v2, nvmlDeviceGetAttributes_v2_fn);

/* The numbers nvml_abi.h pins, as NVIDIA's header has them. */
static void layouts__match_nvidia(void **state)
{
	assert_int_equal(sizeof(nvmlProcessUtilizationSample_t), 32);
	assert_int_equal(offsetof(nvmlProcessUtilizationSample_t, timeStamp), 8);
	assert_int_equal(offsetof(nvmlProcessUtilizationSample_t, smUtil), 16);
	assert_int_equal(sizeof(nvmlProcessInfo_t), 24);
	assert_int_equal(offsetof(nvmlProcessInfo_t, gpuInstanceId), 16);
	assert_int_equal(sizeof(nvmlDeviceAttributes_t), 40);
	assert_int_equal(offsetof(nvmlDeviceAttributes_t, memorySizeMB), 32);
	assert_int_equal(NVML_DEVICE_UUID_V2_BUFFER_SIZE, 96);
	assert_int_equal(NVML_DEVICE_NAME_V2_BUFFER_SIZE, 96);
	assert_int_equal(NVML_DEVICE_MIG_ENABLE, 1);
}

static void return_codes__match_nvidia(void **state)
{
	assert_int_equal(NVML_ERROR_NOT_SUPPORTED, 3);
	assert_int_equal(NVML_ERROR_NO_PERMISSION, 4);
	assert_int_equal(NVML_ERROR_NOT_FOUND, 6);
	assert_int_equal(NVML_ERROR_INSUFFICIENT_SIZE, 7);
	assert_int_equal(NVML_ERROR_DRIVER_NOT_LOADED, 9);
	assert_int_equal(NVML_ERROR_FUNCTION_NOT_FOUND, 13);
	assert_int_equal(NVML_ERROR_GPU_IS_LOST, 15);
	assert_int_equal(NVML_ERROR_UNKNOWN, 999);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layouts__match_nvidia),
		cmocka_unit_test(return_codes__match_nvidia),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
#include <stdio.h>

int main(void)
{
	printf("SKIP: no nvml.h installed (cuda-nvml-dev or libnvidia-ml-dev): "
	       "NVML layouts not compared\n");
	return 77;
}
#endif
