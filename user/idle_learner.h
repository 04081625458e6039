/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Idle power learned from what was seen: the 5th percentile (nearest rank)
 * of the power of the last 720 accepted intervals. Until a device has been
 * seen at rest this is high, so early energy counts mostly as idle.
 */
#ifndef __WATTLET_IDLE_LEARNER_H
#define __WATTLET_IDLE_LEARNER_H

#define IDLE_LEARN_WINDOW     720 /* intervals of observed power kept */
#define IDLE_LEARN_PERCENTILE 5	  /* idle = this percentile of them */

struct idle_learner {
	double watts[IDLE_LEARN_WINDOW]; /* a ring of the last intervals */
	int nr, next;
};

void idle_learner__observe(struct idle_learner *l, double watts);
/* The learned idle power; 0 before anything was observed. */
double idle_learner__watts(const struct idle_learner *l);

#endif /* __WATTLET_IDLE_LEARNER_H */
