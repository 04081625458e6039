/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * NVML, opened at run time: dlopen("libnvidia-ml.so.1") through the normal
 * library search path (LD_LIBRARY_PATH honoured), the versioned entry
 * points looked up by name, nvmlInit_v2. A device query missing from an
 * older driver answers NVML_ERROR_FUNCTION_NOT_FOUND, like one the GPU does
 * not support, so callers handle both the same way.
 */
#ifndef __WATTLET_NVML_LIB_H
#define __WATTLET_NVML_LIB_H

#include <stddef.h>
#include "nvml_abi.h"

#define NVML_SONAME "libnvidia-ml.so.1"

struct nvml;

/*
 * Load and initialise NVML. 0, or -errno with why set to one line saying
 * what failed (library not found, a required symbol missing, nvmlInit_v2's
 * error string).
 */
int nvml__open(struct nvml **out, char *why, size_t why_size);
/* nvmlShutdown and dlclose; accepts NULL. */
void nvml__close(struct nvml *n);
/* NVML's own words for a return code (nvmlErrorString), or the code's number. */
const char *nvml__strerror(const struct nvml *n, nvmlReturn_t r);

nvmlReturn_t nvml__count(const struct nvml *n, unsigned int *count);
nvmlReturn_t nvml__handle(const struct nvml *n, unsigned int index, nvmlDevice_t *dev);
nvmlReturn_t nvml__name(const struct nvml *n, nvmlDevice_t dev, char *buf, unsigned int size);
nvmlReturn_t nvml__uuid(const struct nvml *n, nvmlDevice_t dev, char *buf, unsigned int size);
nvmlReturn_t nvml__energy_mj(const struct nvml *n, nvmlDevice_t dev, unsigned long long *mj);
nvmlReturn_t nvml__power_mw(const struct nvml *n, nvmlDevice_t dev, unsigned int *mw);
nvmlReturn_t nvml__process_utilization(const struct nvml *n, nvmlDevice_t dev,
				       nvmlProcessUtilizationSample_t *buf, unsigned int *count,
				       unsigned long long last_seen_us);
nvmlReturn_t nvml__compute_processes(const struct nvml *n, nvmlDevice_t dev, unsigned int *count,
				     nvmlProcessInfo_t *infos);
nvmlReturn_t nvml__graphics_processes(const struct nvml *n, nvmlDevice_t dev, unsigned int *count,
				      nvmlProcessInfo_t *infos);
nvmlReturn_t nvml__mig_mode(const struct nvml *n, nvmlDevice_t dev, unsigned int *current);
nvmlReturn_t nvml__max_mig_devices(const struct nvml *n, nvmlDevice_t dev, unsigned int *count);
nvmlReturn_t nvml__mig_handle(const struct nvml *n, nvmlDevice_t dev, unsigned int index,
			      nvmlDevice_t *mig);
nvmlReturn_t nvml__gpu_instance_id(const struct nvml *n, nvmlDevice_t mig, unsigned int *id);
nvmlReturn_t nvml__attributes(const struct nvml *n, nvmlDevice_t mig, nvmlDeviceAttributes_t *attr);

#endif /* __WATTLET_NVML_LIB_H */
