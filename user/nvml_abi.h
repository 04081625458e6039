/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The part of NVIDIA's NVML C ABI that wattlet calls, declared here so the
 * build needs no NVIDIA package: libnvidia-ml.so.1 is opened at run time
 * (user/nvml_lib.c). Names, values and layouts follow the NVML API reference
 * (docs.nvidia.com/deploy/nvml-api); the versioned entry points are the
 * ones the reference's nvml.h maps its plain names to (nvmlInit ->
 * nvmlInit_v2, ...). The layouts are pinned below with _Static_assert and,
 * where an nvml.h is installed, compared with it by tests/unit/test_nvml_abi.c
 * (which includes NVIDIA's header first: its types then stand in for these,
 * and every X_fn below must match NVIDIA's prototype of X).
 */
#ifndef __WATTLET_NVML_ABI_H
#define __WATTLET_NVML_ABI_H

#include <stddef.h>

#define NVML_INSTANCE_ID_NONE 0xFFFFFFFFu /* gpuInstanceId without MIG */

#ifndef NVML_API_VERSION /* set by NVIDIA's nvml.h */

/* nvmlReturn_t: the codes wattlet tells apart (the enum's values are fixed by the ABI). */
typedef enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_LIBRARY_NOT_FOUND = 12,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_RESET_REQUIRED = 16,
	NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

/* An opaque device handle (a whole GPU, or a MIG device). */
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_MIG_DISABLE		0x0
#define NVML_DEVICE_MIG_ENABLE		0x1

/* One per-process utilisation sample (nvmlDeviceGetProcessUtilization). */
typedef struct nvmlProcessUtilizationSample_st {
	unsigned int pid;
	unsigned long long timeStamp; /* CPU time of the sample, µs (CLOCK_REALTIME) */
	unsigned int smUtil;	      /* SM (3D/compute) utilisation, percent */
	unsigned int memUtil;
	unsigned int encUtil;
	unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

/* A process with a context on a device (the _v3 process lists: nvmlProcessInfo_v2_t). */
typedef struct nvmlProcessInfo_st {
	unsigned int pid;
	unsigned long long usedGpuMemory; /* bytes */
	unsigned int gpuInstanceId;	  /* NVML_INSTANCE_ID_NONE without MIG */
	unsigned int computeInstanceId;
} nvmlProcessInfo_t;

/* nvmlDeviceGetAttributes_v2, for MIG device handles. */
typedef struct nvmlDeviceAttributes_st {
	unsigned int multiprocessorCount;
	unsigned int sharedCopyEngineCount;
	unsigned int sharedDecoderCount;
	unsigned int sharedEncoderCount;
	unsigned int sharedJpegCount;
	unsigned int sharedOfaCount;
	unsigned int gpuInstanceSliceCount;
	unsigned int computeInstanceSliceCount;
	unsigned long long memorySizeMB;
} nvmlDeviceAttributes_t;

/* The documented layouts (LP64). */
_Static_assert(sizeof(nvmlProcessUtilizationSample_t) == 32, "nvmlProcessUtilizationSample_t");
_Static_assert(offsetof(nvmlProcessUtilizationSample_t, timeStamp) == 8, "timeStamp");
_Static_assert(offsetof(nvmlProcessUtilizationSample_t, smUtil) == 16, "smUtil");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t");
_Static_assert(offsetof(nvmlProcessInfo_t, gpuInstanceId) == 16, "gpuInstanceId");
_Static_assert(sizeof(nvmlDeviceAttributes_t) == 40, "nvmlDeviceAttributes_t");
_Static_assert(offsetof(nvmlDeviceAttributes_t, memorySizeMB) == 32, "memorySizeMB");

#endif /* NVML_API_VERSION */

/*
 * The entry points, as function pointer types. Each X_fn matches NVML's
 * prototype of X; user/nvml_lib.c looks every one up by that name.
 */
typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef const char *(*nvmlErrorString_fn)(nvmlReturn_t result);
typedef nvmlReturn_t (*nvmlDeviceGetCount_v2_fn)(unsigned int *deviceCount);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2_fn)(unsigned int index, nvmlDevice_t *device);
typedef nvmlReturn_t (*nvmlDeviceGetName_fn)(nvmlDevice_t device, char *name, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetUUID_fn)(nvmlDevice_t device, char *uuid, unsigned int length);
/* mJ since the driver was last loaded (Volta and newer) */
typedef nvmlReturn_t (*nvmlDeviceGetTotalEnergyConsumption_fn)(nvmlDevice_t device,
							       unsigned long long *energy);
/* mW */
typedef nvmlReturn_t (*nvmlDeviceGetPowerUsage_fn)(nvmlDevice_t device, unsigned int *power);
typedef nvmlReturn_t (*nvmlDeviceGetProcessUtilization_fn)(
	nvmlDevice_t device, nvmlProcessUtilizationSample_t *utilization,
	unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp);
typedef nvmlReturn_t (*nvmlDeviceGetRunningProcesses_v3_fn)(nvmlDevice_t device,
							    unsigned int *infoCount,
							    nvmlProcessInfo_t *infos);
typedef nvmlReturn_t (*nvmlDeviceGetMigMode_fn)(nvmlDevice_t device, unsigned int *currentMode,
						unsigned int *pendingMode);
typedef nvmlReturn_t (*nvmlDeviceGetMaxMigDeviceCount_fn)(nvmlDevice_t device, unsigned int *count);
typedef nvmlReturn_t (*nvmlDeviceGetMigDeviceHandleByIndex_fn)(nvmlDevice_t device,
							       unsigned int index,
							       nvmlDevice_t *migDevice);
typedef nvmlReturn_t (*nvmlDeviceGetGpuInstanceId_fn)(nvmlDevice_t device, unsigned int *id);
typedef nvmlReturn_t (*nvmlDeviceGetAttributes_v2_fn)(nvmlDevice_t device,
						      nvmlDeviceAttributes_t *attributes);

#endif /* __WATTLET_NVML_ABI_H */
