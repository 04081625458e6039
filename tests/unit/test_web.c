// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading --web-config-file (exit-code classes of its errors) and the
 * watcher: a certificate replaced by rename, a Kubernetes Secret volume's
 * symlink swap, a broken file (kept the old one, said so once), an edited
 * config, a reload asked for as SIGHUP does, and TLS switched off (refused).
 * Certificates come from openssl at test time (tests/e2e/tls_lib.bash).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "web.h"

static char certs[] = "/tmp/wattlet-test-web.XXXXXX";
static char dir[300];
static char err[512];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("failed: %s", cmd);
}

static void put_file(const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static char *config_path(void)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/web.yml", dir);
	return p;
}

/* A fresh directory with web.yml serving cert.pem/key.pem (copies of server). */
static int setup(void **state)
{
	static int n;

	snprintf(dir, sizeof(dir), "%s/case%d", certs, n++);
	sh("mkdir -p %s && cp %s/server.crt %s/cert.pem && cp %s/server.key %s/key.pem", dir, certs,
	   dir, certs, dir);
	put_file("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
	return 0;
}

/*
 * Wait up to 3 s for the watcher's counts to reach reloaded and failed; with failed < 0,
 * any number of failures (two files replaced one after the other can be caught between).
 */
static void wait_counts(struct web_watch *ww, unsigned long reloaded, long failed)
{
	unsigned long r = 0, f = 0;
	int i;

	for (i = 0; i < 300; i++) {
		web_watch__counts(ww, &r, &f);
		if (r >= reloaded && (failed < 0 || f >= (unsigned long)failed))
			break;
		usleep(10000);
	}
	assert_int_equal(r, reloaded);
	if (failed >= 0)
		assert_int_equal(f, failed);
}

static bool serves_serial(struct web_watch *ww, const char *serial)
{
	struct web *w = web_watch__current(ww);
	char want[32];
	bool yes;

	snprintf(want, sizeof(want), "serial %s,", serial);
	yes = w->tls && strstr(tls_ctx__describe(w->tls), want);
	web__put(w);
	return yes;
}

static struct web_watch *watch(void)
{
	struct web_watch *ww;
	struct web *w;

	assert_int_equal(web__load(config_path(), &w, err, sizeof(err)), 0);
	assert_int_equal(web_watch__start(&ww, config_path(), w), 0);
	web__put(w);
	assert_true(serves_serial(ww, "1001"));
	return ww;
}

static void load__errors__classed_for_exit_codes(void **state)
{
	char want[1200];
	struct web *w;

	put_file("bad.yml", "tls_server_config:\n  cert_fil: x\n");
	snprintf(want, sizeof(want), "%s/bad.yml", dir);
	assert_int_equal(web__load(want, &w, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/bad.yml: line 2: tls_server_config.cert_fil: unknown key",
		 dir);
	assert_string_equal(err, want);

	put_file("nocert.yml", "tls_server_config:\n  cert_file: gone.pem\n  key_file: key.pem\n");
	snprintf(want, sizeof(want), "%s/nocert.yml", dir);
	assert_int_equal(web__load(want, &w, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "%s/nocert.yml: tls_server_config.cert_file %s/gone.pem: No such "
		 "file or directory",
		 dir, dir);
	assert_string_equal(err, want);

	snprintf(want, sizeof(want), "%s/absent.yml", dir);
	assert_int_equal(web__load(want, &w, err, sizeof(err)), -ENOENT);
	assert_null(w);
}

static void watch__cert_renamed_over__new_one_served(void **state)
{
	struct web_watch *ww = watch();

	sh("cp %s/server2.crt %s/c.tmp && mv %s/c.tmp %s/cert.pem && "
	   "cp %s/server2.key %s/k.tmp && mv %s/k.tmp %s/key.pem",
	   certs, dir, dir, dir, certs, dir, dir, dir);
	wait_counts(ww, 1, -1);
	assert_true(serves_serial(ww, "1002"));
	web_watch__stop(ww);
}

/*
 * How the kubelet updates a Secret volume: files are links through ..data,
 * a link to a timestamped directory, and an update renames a new ..data over it.
 */
static void watch__secret_volume_swap__new_one_served(void **state)
{
	struct web_watch *ww;

	sh("cd %s && mkdir ..v1 && cp %s/server.crt ..v1/tls.crt && cp %s/server.key ..v1/tls.key && "
	   "ln -s ..v1 ..data && ln -s ..data/tls.crt tls.crt && ln -s ..data/tls.key tls.key",
	   dir, certs, certs);
	put_file("web.yml", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n");
	ww = watch();
	sh("cd %s && mkdir ..v2 && cp %s/server2.crt ..v2/tls.crt && cp %s/server2.key ..v2/tls.key && "
	   "ln -s ..v2 ..data_tmp && mv -T ..data_tmp ..data && rm -rf ..v1",
	   dir, certs, certs);
	wait_counts(ww, 1, 0);
	assert_true(serves_serial(ww, "1002"));
	web_watch__stop(ww);
}

static void watch__broken_cert__old_kept_said_once(void **state)
{
	struct web_watch *ww = watch();

	put_file("cert.pem",
		 "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	wait_counts(ww, 0, 1);
	assert_true(serves_serial(ww, "1001"));
	sleep(1); /* still broken: not reported again */
	wait_counts(ww, 0, 1);
	sh("cp %s/server.crt %s/cert.pem", certs, dir);
	wait_counts(ww, 1, 1);
	assert_true(serves_serial(ww, "1001"));
	web_watch__stop(ww);
}

static void watch__config_edited__users_follow(void **state)
{
	struct web_watch *ww = watch();
	struct web *w;

	put_file(
		"web.yml",
		"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		"basic_auth_users:\n  alice: $2y$04$LBwx430I2kQ419vWHg5yhu7/sjH6IYAzaOWcNLSHuai3J67RFIpnC\n");
	wait_counts(ww, 1, 0);
	w = web_watch__current(ww);
	assert_non_null(web_config__user_hash(w->config, "alice"));
	web__put(w);
	/* A typo: refused, the users stay. */
	put_file("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
			    "basic_auth_user:\n  alice: x\n");
	wait_counts(ww, 1, 1);
	w = web_watch__current(ww);
	assert_non_null(web_config__user_hash(w->config, "alice"));
	web__put(w);
	/* TLS off needs a restart: refused too. */
	put_file("web.yml", "basic_auth_users: {}\n");
	wait_counts(ww, 1, 2);
	assert_true(serves_serial(ww, "1001"));
	web_watch__stop(ww);
}

static void watch__requested__reloads_unchanged_files(void **state)
{
	struct web_watch *ww = watch();

	web_watch__request();
	wait_counts(ww, 1, 0);
	web_watch__request();
	wait_counts(ww, 2, 0);
	web_watch__stop(ww);
}

static void watch__new_cert_path_appears_later__picked_up(void **state)
{
	struct web_watch *ww = watch();

	/* The config moves to files that do not exist yet (the Secret comes later). */
	sh("mkdir -p %s/later", dir);
	put_file("web.yml",
		 "tls_server_config:\n  cert_file: later/c.pem\n  key_file: later/k.pem\n");
	wait_counts(ww, 0, 1);
	sh("cp %s/server2.key %s/later/k.pem && cp %s/server2.crt %s/later/c.pem", certs, dir,
	   certs, dir);
	wait_counts(ww, 1, -1);
	assert_true(serves_serial(ww, "1002"));
	web_watch__stop(ww);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(load__errors__classed_for_exit_codes, setup),
		cmocka_unit_test_setup(watch__cert_renamed_over__new_one_served, setup),
		cmocka_unit_test_setup(watch__secret_volume_swap__new_one_served, setup),
		cmocka_unit_test_setup(watch__broken_cert__old_kept_said_once, setup),
		cmocka_unit_test_setup(watch__config_edited__users_follow, setup),
		cmocka_unit_test_setup(watch__requested__reloads_unchanged_files, setup),
		cmocka_unit_test_setup(watch__new_cert_path_appears_later__picked_up, setup),
	};
	int ret;

	assert_non_null(mkdtemp(certs));
	sh("bash tests/e2e/tls_lib.bash make_certs %s", certs);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	sh("rm -rf %s", certs);
	return ret;
}
