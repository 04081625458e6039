// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading the web config with what it names, and reloading it. The watcher
 * thread sleeps in poll() on an eventfd (SIGHUP), an inotify descriptor on
 * the directories of the watched files, and a timeout; after a file event
 * it waits for writes to settle, then compares each file's stat signature
 * (device, inode, size, times, following symlinks) with the last one seen
 * and reloads when any differs. A failed reload remembers the signatures
 * it failed on, so a bad file is reported once, not every few seconds.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "web.h"

#define WATCH_POLL_MS  5000 /* stat the files at least this often */
#define WATCH_QUIET_MS 200  /* after a file event, reload once writes stop this long */
#define WATCH_NICE     5
#define NR_WATCHED     4 /* the config, cert, key and client CA files */

struct file_sig {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct web_watch {
	char *path;
	pthread_t thread;
	int stop_fd;
	int inotify_fd;
	pthread_mutex_t lock; /* guards current and the counts */
	struct web *current;
	unsigned long reloaded, failed;
	/* the watcher thread's own */
	char *files[NR_WATCHED];
	struct file_sig sigs[NR_WATCHED];
};

/* Written by SIGHUP (web_watch__request); one watcher per process. */
static int reload_fd = -1;

int web__load(const char *path, struct web **out, char *err, size_t errlen)
{
	struct web *w = calloc(1, sizeof(*w));
	char why[400] = "";
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	atomic_init(&w->refs, 1);
	ret = web_config__load(path, &w->config, why, sizeof(why));
	if (!ret && w->config->tls)
		ret = tls_ctx__new(w->config, &w->tls, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, why);
		web__put(w);
		return ret;
	}
	if (w->config->min_version_raised)
		fprintf(stderr,
			"wattlet: %s: tls_server_config.min_version raised to TLS12: TLS 1.0 "
			"and 1.1 are never offered\n",
			path);
	if (!w->config->tls && w->config->nr_users)
		fprintf(stderr,
			"wattlet: %s: basic_auth_users without TLS: passwords cross the "
			"network in clear text\n",
			path);
	*out = w;
	return 0;
}

struct web *web__get(struct web *w)
{
	if (w)
		atomic_fetch_add(&w->refs, 1);
	return w;
}

void web__put(struct web *w)
{
	if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	tls_ctx__put(w->tls);
	web_config__free(w->config);
	free(w);
}

static struct file_sig sig_of(const char *path)
{
	struct file_sig s = {};
	struct stat st;

	if (path && !stat(path, &st))
		s = (struct file_sig){ .exists = true,
				       .dev = st.st_dev,
				       .ino = st.st_ino,
				       .size = st.st_size,
				       .mtime = st.st_mtim,
				       .ctime = st.st_ctim };
	return s;
}

static bool sig_equal(const struct file_sig *a, const struct file_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void watch_dir_of(int fd, const char *path)
{
	const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_DELETE |
			      IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
	char buf[PATH_MAX], real[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	inotify_add_watch(fd, dirname(buf), mask);
	/* a symlink into another directory: watch where it points too */
	if (realpath(path, real))
		inotify_add_watch(fd, dirname(real), mask);
}

/* Watch the files c names (and the config); their signatures as of now. */
static void files_set(struct web_watch *ww, const struct web_config *c)
{
	const char *paths[NR_WATCHED] = { ww->path, c ? c->cert_file : NULL, c ? c->key_file : NULL,
					  c ? c->client_ca_file : NULL };
	int i, fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	for (i = 0; i < NR_WATCHED; i++) {
		free(ww->files[i]);
		ww->files[i] = paths[i] ? strdup(paths[i]) : NULL;
		ww->sigs[i] = sig_of(ww->files[i]);
		if (fd >= 0 && ww->files[i])
			watch_dir_of(fd, ww->files[i]);
	}
	if (ww->inotify_fd >= 0)
		close(ww->inotify_fd);
	ww->inotify_fd = fd;
}

/* Whether any watched file differs from its last signature (which is then updated). */
static bool files_changed(struct web_watch *ww)
{
	struct file_sig s;
	bool changed = false;
	int i;

	for (i = 0; i < NR_WATCHED; i++) {
		if (!ww->files[i])
			continue;
		s = sig_of(ww->files[i]);
		if (!sig_equal(&s, &ww->sigs[i]))
			changed = true;
		ww->sigs[i] = s;
	}
	return changed;
}

static void reload_failed(struct web_watch *ww, const char *why)
{
	struct web_config *c = NULL;
	char ignored[64];

	fprintf(stderr, "wattlet: %s; keeping the previous web config\n", why);
	pthread_mutex_lock(&ww->lock);
	ww->failed++;
	pthread_mutex_unlock(&ww->lock);
	/* Watch what the new file names, so that fixing those files is seen too. */
	if (web_config__load(ww->path, &c, ignored, sizeof(ignored)) == 0)
		files_set(ww, c);
	else
		files_set(ww, NULL);
	web_config__free(c);
}

static void reload(struct web_watch *ww)
{
	struct web *w, *old;
	char err[512];

	if (web__load(ww->path, &w, err, sizeof(err))) {
		reload_failed(ww, err);
		return;
	}
	/* The server listens with TLS or without; that is fixed at start. */
	if (!w->tls != !ww->current->tls) {
		snprintf(err, sizeof(err), "%s: turning TLS %s needs a restart", ww->path,
			 w->tls ? "on" : "off");
		web__put(w);
		reload_failed(ww, err);
		return;
	}
	pthread_mutex_lock(&ww->lock);
	old = ww->current;
	ww->current = w;
	ww->reloaded++;
	pthread_mutex_unlock(&ww->lock);
	web__put(old);
	files_set(ww, w->config);
	fprintf(stderr, "wattlet: reloaded %s%s%s\n", ww->path, w->tls ? ": certificate " : "",
		w->tls ? tls_ctx__describe(w->tls) : "");
}

static void drain(int fd)
{
	char buf[4096];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

static void *watch_run(void *arg)
{
	struct web_watch *ww = arg;
	struct pollfd pfd[3];
	bool settling = false;
	int n;

	pthread_setname_np(pthread_self(), "web-reload");
	setpriority(PRIO_PROCESS, gettid(), WATCH_NICE);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = ww->stop_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = reload_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = ww->inotify_fd, .events = POLLIN };
		n = poll(pfd, 3, settling ? WATCH_QUIET_MS : WATCH_POLL_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			drain(reload_fd);
			files_changed(ww);
			reload(ww);
			settling = false;
			continue;
		}
		if (pfd[2].revents & POLLIN) {
			drain(ww->inotify_fd);
			settling = true;
			continue;
		}
		settling = false;
		if (files_changed(ww))
			reload(ww);
	}
	return NULL;
}

int web_watch__start(struct web_watch **out, const char *path, struct web *initial)
{
	struct web_watch *ww = calloc(1, sizeof(*ww));
	int err;

	*out = NULL;
	if (!ww)
		return -ENOMEM;
	ww->inotify_fd = -1;
	ww->path = strdup(path);
	ww->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (reload_fd < 0)
		reload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!ww->path || ww->stop_fd < 0 || reload_fd < 0) {
		err = -errno ?: -ENOMEM;
		goto out_free;
	}
	pthread_mutex_init(&ww->lock, NULL);
	ww->current = web__get(initial);
	files_set(ww, initial->config);
	err = -pthread_create(&ww->thread, NULL, watch_run, ww);
	if (err) {
		web__put(ww->current);
		ww->current = NULL;
		goto out_free;
	}
	*out = ww;
	return 0;
out_free:
	if (ww->stop_fd >= 0)
		close(ww->stop_fd);
	if (ww->inotify_fd >= 0)
		close(ww->inotify_fd);
	for (int i = 0; i < NR_WATCHED; i++)
		free(ww->files[i]);
	free(ww->path);
	free(ww);
	return err;
}

struct web *web_watch__current(struct web_watch *ww)
{
	struct web *w;

	pthread_mutex_lock(&ww->lock);
	w = web__get(ww->current);
	pthread_mutex_unlock(&ww->lock);
	return w;
}

void web_watch__request(void)
{
	uint64_t one = 1;

	if (reload_fd >= 0 && write(reload_fd, &one, sizeof(one)) < 0)
		return;
}

void web_watch__counts(struct web_watch *ww, unsigned long *reloaded, unsigned long *failed)
{
	pthread_mutex_lock(&ww->lock);
	*reloaded = ww->reloaded;
	*failed = ww->failed;
	pthread_mutex_unlock(&ww->lock);
}

void web_watch__stop(struct web_watch *ww)
{
	uint64_t one = 1;
	int i;

	if (!ww)
		return;
	if (write(ww->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(ww->thread, NULL);
	close(ww->stop_fd);
	if (ww->inotify_fd >= 0)
		close(ww->inotify_fd);
	for (i = 0; i < NR_WATCHED; i++)
		free(ww->files[i]);
	web__put(ww->current);
	pthread_mutex_destroy(&ww->lock);
	free(ww->path);
	free(ww);
}
