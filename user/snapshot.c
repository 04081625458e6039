// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jansson's reference counts are atomic: a mutex guards only the pointer swap. */
#include <pthread.h>
#include "snapshot.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *latest;

void snapshot__publish(json_t *doc)
{
	json_t *old;

	pthread_mutex_lock(&lock);
	old = latest;
	latest = doc;
	pthread_mutex_unlock(&lock);
	json_decref(old);
}

json_t *snapshot__get(void)
{
	json_t *doc;

	pthread_mutex_lock(&lock);
	doc = json_incref(latest);
	pthread_mutex_unlock(&lock);
	return doc;
}

void snapshot__clear(void)
{
	snapshot__publish(NULL);
}
