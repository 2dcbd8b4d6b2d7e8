// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "counters.h"

extern const struct counter_source_ops counter_patched;
extern const struct counter_source_ops counter_debugfs;
extern const struct counter_source_ops counter_cpuid_a;
extern const struct counter_source_ops counter_cpuid_b;
extern const struct counter_source_ops counter_tracepoint;
extern const struct counter_source_ops counter_statsfd;
extern const struct counter_source_ops counter_vmm;
extern const struct counter_source_ops counter_dmesg;

/* Priority order: the first usable source that sees the reason decides. */
const struct counter_source_ops *const counter_sources[] = {
	&counter_patched,
	&counter_debugfs,
	&counter_cpuid_a,
	&counter_cpuid_b,
	&counter_tracepoint,
	&counter_statsfd,
	&counter_vmm,
	&counter_dmesg,
	NULL,
};

static const char *const verdict_names[] = {
	[VERDICT_EXACT] = "exact",
	[VERDICT_WITHIN] = "within",
	[VERDICT_UNVERIFIED] = "unverified",
	[VERDICT_MISMATCH] = "mismatch",
};

const char *verdict_name(enum verdict v)
{
	return verdict_names[v];
}

enum verdict verdict_worse(enum verdict a, enum verdict b)
{
	return a > b ? a : b;
}

enum verdict judge(uint64_t expected, uint64_t counted, double tolerance)
{
	double diff;

	if (counted == expected)
		return VERDICT_EXACT;
	diff = counted > expected ? (double)(counted - expected) : (double)(expected - counted);
	if (tolerance > 0 && diff <= tolerance * (double)expected)
		return VERDICT_WITHIN;
	return VERDICT_MISMATCH;
}

static const struct counter_source_ops *find_source(const char *name, size_t len)
{
	int i;

	for (i = 0; counter_sources[i]; i++)
		if (strlen(counter_sources[i]->name) == len &&
		    !strncmp(counter_sources[i]->name, name, len))
			return counter_sources[i];
	return NULL;
}

/* Is @name (NUL-terminated) in the comma-separated @list? */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

int counters_validate(const char *list, char *err, size_t len)
{
	const char *p = list;

	while (p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (!find_source(p, n)) {
			int i, off;

			off = snprintf(err, len, "unknown counter source '%.*s'; known:", (int)n, p);
			for (i = 0; counter_sources[i] && off > 0 && (size_t)off < len; i++)
				off += snprintf(err + off, len - off, " %s", counter_sources[i]->name);
			return -1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int counters_open(struct counter_set *cs, const char *list,
		  const struct counter_target *t, double tolerance,
		  char *err, size_t len)
{
	int i;

	memset(cs, 0, sizeof(*cs));
	cs->tolerance = tolerance;
	if (list && counters_validate(list, err, len))
		return -1;
	for (i = 0; counter_sources[i]; i++) {
		struct counter_source *s;

		if (list && !listed(list, counter_sources[i]->name))
			continue;
		s = &cs->src[cs->n++];
		s->ops = counter_sources[i];
		s->verdict = VERDICT_EXACT;
		if (s->ops->open(s, t, s->why, sizeof(s->why))) {
			if (list) {
				snprintf(err, len, "counter source '%s' cannot be used: %s",
					 s->ops->name, s->why);
				return -1;
			}
			continue;
		}
		s->usable = true;
	}
	return 0;
}

static bool in_pass(const struct counter_source *s, bool perturbing)
{
	return s->usable && (perturbing || !s->ops->set_active);
}

bool counters_any_perturbing(const struct counter_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->src[i].usable && cs->src[i].ops->set_active)
			return true;
	return false;
}

void counters_begin(struct counter_set *cs, bool perturbing)
{
	int i;

	/* Backwards: the own-window sources, last in the table, read first. */
	for (i = cs->n - 1; i >= 0; i--) {
		struct counter_source *s = &cs->src[i];

		if (!in_pass(s, perturbing))
			continue;
		if (s->ops->read(s, &s->before, s->why, sizeof(s->why)))
			s->usable = false;
		else if (s->ops->set_active)
			s->ops->set_active(s, true);
	}
}

void counters_end(struct counter_set *cs, bool perturbing, uint64_t expected)
{
	int i;

	for (i = 0; i < cs->n; i++) {
		struct counter_source *s = &cs->src[i];
		struct counter_reading now;
		uint64_t counted, total;

		if (!in_pass(s, perturbing))
			continue;
		if (s->ops->set_active)
			s->ops->set_active(s, false);
		if (s->ops->read(s, &now, s->why, sizeof(s->why))) {
			s->usable = false;
			continue;
		}
		counted = now.reason - s->before.reason;
		total = now.total - s->before.total;
		if (now.has_cycles && s->before.has_cycles) {
			s->cycles += now.reason_cycles - s->before.reason_cycles;
			s->has_cycles = true;
		}
		if (now.has_buckets && s->before.has_buckets) {
			int b;

			for (b = 0; b < EXIT_BUCKETS; b++)
				s->by_bucket[b] += now.buckets[b] - s->before.buckets[b];
			s->has_buckets = true;
		}
		/*
		 * Every window ends with at least one exit (the ucall, or the
		 * exits of a host-timed loop): a total that did not move means
		 * the source does not fire on this platform.
		 */
		if (s->sees_total && total == 0 && expected) {
			snprintf(s->why, sizeof(s->why),
				 "saw no exit at all in a window with %llu expected exits: it does not fire here",
				 (unsigned long long)expected);
			s->usable = false;
			continue;
		}
		if (perturbing) {
			s->xcheck = s->sees_reason;
			s->xcheck_counted = counted;
			cs->xcheck_expected = expected;
		}
		s->windows++;
		s->expected += expected;
		s->counted += counted;
		s->total += total;
		if (s->sees_reason)
			s->verdict = verdict_worse(s->verdict, judge(expected, counted, cs->tolerance));
	}
}

void counters_close(struct counter_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->src[i].ops->close)
			cs->src[i].ops->close(&cs->src[i]);
}

const struct counter_source *counters_primary(const struct counter_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->src[i].usable && cs->src[i].sees_reason && cs->src[i].windows)
			return &cs->src[i];
	return NULL;
}

enum verdict counters_verdict(const struct counter_set *cs)
{
	enum verdict v = VERDICT_UNVERIFIED;
	bool any = false;
	int i;

	/* Every source that sees the reason must agree; the worst verdict stands. */
	for (i = 0; i < cs->n; i++) {
		const struct counter_source *s = &cs->src[i];

		if (!s->usable || !s->sees_reason || !s->windows)
			continue;
		v = any ? verdict_worse(v, s->verdict) : s->verdict;
		any = true;
	}
	return v;
}

int counters_cross_check(const struct counter_set *cs, bool *agree)
{
	const struct counter_source *first = NULL;
	int i, n = 0;

	*agree = true;
	for (i = 0; cs->xcheck_expected && i < cs->n; i++) {
		const struct counter_source *s = &cs->src[i];

		if (!s->usable || !s->xcheck)
			continue;
		if (first && s->xcheck_counted != first->xcheck_counted)
			*agree = false;
		first = first ? first : s;
		n++;
	}
	return n;
}
