// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading NVML and calling it. Only the library's soname is named: the
 * dynamic linker finds it where the driver installed it (or where
 * LD_LIBRARY_PATH points, as in the tests' fake NVML). Nothing here knows
 * about energy: user/gpu.c makes the readings.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nvml_lib.h"

struct nvml {
	void *dl;
	nvmlInit_v2_fn init;
	nvmlShutdown_fn shutdown;
	nvmlErrorString_fn error_string;
	nvmlDeviceGetCount_v2_fn count;
	nvmlDeviceGetHandleByIndex_v2_fn handle;
	nvmlDeviceGetName_fn name;
	nvmlDeviceGetUUID_fn uuid;
	nvmlDeviceGetTotalEnergyConsumption_fn energy;
	nvmlDeviceGetPowerUsage_fn power;
	nvmlDeviceGetProcessUtilization_fn process_utilization;
	nvmlDeviceGetRunningProcesses_v3_fn compute_processes;
	nvmlDeviceGetRunningProcesses_v3_fn graphics_processes;
	nvmlDeviceGetMigMode_fn mig_mode;
	nvmlDeviceGetMaxMigDeviceCount_fn max_mig_devices;
	nvmlDeviceGetMigDeviceHandleByIndex_fn mig_handle;
	nvmlDeviceGetGpuInstanceId_fn gpu_instance_id;
	nvmlDeviceGetAttributes_v2_fn attributes;
};

struct symbol {
	const char *name;
	size_t offset; /* of the function pointer in struct nvml */
	bool required; /* without it NVML is not used at all */
};

/* an initializer: clang-format takes a macro that starts with '{' for a block */
/* clang-format off */
#define SYM(field, sym, req) { #sym, offsetof(struct nvml, field), req }
/* clang-format on */

static const struct symbol symbols[] = {
	SYM(init, nvmlInit_v2, true),
	SYM(shutdown, nvmlShutdown, true),
	SYM(error_string, nvmlErrorString, true),
	SYM(count, nvmlDeviceGetCount_v2, true),
	SYM(handle, nvmlDeviceGetHandleByIndex_v2, true),
	SYM(name, nvmlDeviceGetName, true),
	SYM(uuid, nvmlDeviceGetUUID, true),
	SYM(energy, nvmlDeviceGetTotalEnergyConsumption, false),
	SYM(power, nvmlDeviceGetPowerUsage, false),
	SYM(process_utilization, nvmlDeviceGetProcessUtilization, false),
	SYM(compute_processes, nvmlDeviceGetComputeRunningProcesses_v3, false),
	SYM(graphics_processes, nvmlDeviceGetGraphicsRunningProcesses_v3, false),
	SYM(mig_mode, nvmlDeviceGetMigMode, false),
	SYM(max_mig_devices, nvmlDeviceGetMaxMigDeviceCount, false),
	SYM(mig_handle, nvmlDeviceGetMigDeviceHandleByIndex, false),
	SYM(gpu_instance_id, nvmlDeviceGetGpuInstanceId, false),
	SYM(attributes, nvmlDeviceGetAttributes_v2, false),
};

static int resolve(struct nvml *n, char *why, size_t why_size)
{
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *fn = dlsym(n->dl, symbols[i].name);

		if (!fn && symbols[i].required) {
			snprintf(why, why_size, "%s has no %s (driver too old?)", NVML_SONAME,
				 symbols[i].name);
			return -ENOSYS;
		}
		memcpy((char *)n + symbols[i].offset, &fn, sizeof(fn));
	}
	return 0;
}

int nvml__open(struct nvml **out, char *why, size_t why_size)
{
	struct nvml *n;
	nvmlReturn_t r;
	int err;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	n->dl = dlopen(NVML_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!n->dl) {
		snprintf(why, why_size, "cannot load %s: %s", NVML_SONAME, dlerror());
		err = -ENOENT;
		goto out_free;
	}
	err = resolve(n, why, why_size);
	if (err)
		goto out_close;
	r = n->init();
	if (r != NVML_SUCCESS) {
		snprintf(why, why_size, "nvmlInit_v2: %s", nvml__strerror(n, r));
		err = r == NVML_ERROR_NO_PERMISSION ? -EACCES : -ENODEV;
		goto out_close;
	}
	*out = n;
	return 0;

out_close:
	dlclose(n->dl);
out_free:
	free(n);
	return err;
}

void nvml__close(struct nvml *n)
{
	if (!n)
		return;
	n->shutdown();
	dlclose(n->dl);
	free(n);
}

const char *nvml__strerror(const struct nvml *n, nvmlReturn_t r)
{
	static __thread char buf[32];
	const char *s = n && n->error_string ? n->error_string(r) : NULL;

	if (s && *s)
		return s;
	snprintf(buf, sizeof(buf), "NVML error %d", (int)r);
	return buf;
}

/* Each call: the function if this driver has it, else FUNCTION_NOT_FOUND. */
#define CALL(n, fn, ...) ((n)->fn ? (n)->fn(__VA_ARGS__) : NVML_ERROR_FUNCTION_NOT_FOUND)

nvmlReturn_t nvml__count(const struct nvml *n, unsigned int *count)
{
	return CALL(n, count, count);
}

nvmlReturn_t nvml__handle(const struct nvml *n, unsigned int index, nvmlDevice_t *dev)
{
	return CALL(n, handle, index, dev);
}

nvmlReturn_t nvml__name(const struct nvml *n, nvmlDevice_t dev, char *buf, unsigned int size)
{
	return CALL(n, name, dev, buf, size);
}

nvmlReturn_t nvml__uuid(const struct nvml *n, nvmlDevice_t dev, char *buf, unsigned int size)
{
	return CALL(n, uuid, dev, buf, size);
}

nvmlReturn_t nvml__energy_mj(const struct nvml *n, nvmlDevice_t dev, unsigned long long *mj)
{
	return CALL(n, energy, dev, mj);
}

nvmlReturn_t nvml__power_mw(const struct nvml *n, nvmlDevice_t dev, unsigned int *mw)
{
	return CALL(n, power, dev, mw);
}

nvmlReturn_t nvml__process_utilization(const struct nvml *n, nvmlDevice_t dev,
				       nvmlProcessUtilizationSample_t *buf, unsigned int *count,
				       unsigned long long last_seen_us)
{
	return CALL(n, process_utilization, dev, buf, count, last_seen_us);
}

nvmlReturn_t nvml__compute_processes(const struct nvml *n, nvmlDevice_t dev, unsigned int *count,
				     nvmlProcessInfo_t *infos)
{
	return CALL(n, compute_processes, dev, count, infos);
}

nvmlReturn_t nvml__graphics_processes(const struct nvml *n, nvmlDevice_t dev, unsigned int *count,
				      nvmlProcessInfo_t *infos)
{
	return CALL(n, graphics_processes, dev, count, infos);
}

nvmlReturn_t nvml__mig_mode(const struct nvml *n, nvmlDevice_t dev, unsigned int *current)
{
	unsigned int pending;

	return CALL(n, mig_mode, dev, current, &pending);
}

nvmlReturn_t nvml__max_mig_devices(const struct nvml *n, nvmlDevice_t dev, unsigned int *count)
{
	return CALL(n, max_mig_devices, dev, count);
}

nvmlReturn_t nvml__mig_handle(const struct nvml *n, nvmlDevice_t dev, unsigned int index,
			      nvmlDevice_t *mig)
{
	return CALL(n, mig_handle, dev, index, mig);
}

nvmlReturn_t nvml__gpu_instance_id(const struct nvml *n, nvmlDevice_t mig, unsigned int *id)
{
	return CALL(n, gpu_instance_id, mig, id);
}

nvmlReturn_t nvml__attributes(const struct nvml *n, nvmlDevice_t mig, nvmlDeviceAttributes_t *attr)
{
	return CALL(n, attributes, mig, attr);
}
