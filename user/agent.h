/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon: stages that hand data forward, once per interval. loader.c
 * loads and attaches the BPF programs at start; then, every interval:
 *
 *   collect    collector.c    BPF maps -> struct collection (accounts.c:
 *                             per-process and per-cgroup CPU; node CPU; the
 *                             accounts dropped this interval)
 *   meter      meter.c        sensors or the model -> struct meter_reading
 *   attribute  attribution.c  collection + reading -> energy per cgroup and
 *                             process, kept by attribution, keyed like the
 *                             accounts
 *   name       workloads.c    collection + attribution -> containers, pods,
 *                             namespaces, system workloads
 *   document   document.c     all of the above -> the JSON document
 *   publish    snapshot.c     document -> the immutable latest snapshot
 *   outputs    output.c       stdout (JSON Lines, table), in this thread
 *              server.c       HTTP, in its own threads: /metrics (prom.c,
 *                             via render.c), /api (api.c)
 *
 * Each stage reads what the stages before it produced and keeps its own
 * results; none calls back into an earlier one, and the outputs see only
 * the published snapshot. agent.c runs them in this order; interval() is
 * the whole path of one interval.
 */
#ifndef __WATTLET_AGENT_H
#define __WATTLET_AGENT_H

#include <signal.h>
#include "options.h"

/* Run until *stop or --duration. Returns 0, or -errno after one clear message. */
int agent__run(const struct options *o, volatile sig_atomic_t *stop);

#endif /* __WATTLET_AGENT_H */
