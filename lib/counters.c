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
extern const struct counter_source_ops counter_course_cpuid;
extern const struct counter_source_ops counter_kmsg_dump;
extern const struct counter_source_ops counter_file;

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
	&counter_file,
	&counter_course_cpuid,
	&counter_kmsg_dump,
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

/* One element of a --counters list. */
struct list_item {
	const struct counter_source_ops *ops;	/* NULL: "default" */
	bool optional;
	const char *arg;
	size_t arg_len;
};

static int parse_item(const char *p, size_t n, struct list_item *it)
{
	int i;

	memset(it, 0, sizeof(*it));
	if (n == 7 && !strncmp(p, "default", 7))
		return 0;
	if (n > 4 && !strncmp(p, "try:", 4)) {
		it->optional = true;
		p += 4;
		n -= 4;
	}
	for (i = 0; counter_sources[i]; i++) {
		const struct counter_source_ops *o = counter_sources[i];
		size_t l = strlen(o->name);

		if (o->has_arg) {
			if (n > l + 1 && !strncmp(p, o->name, l) && p[l] == ':') {
				it->ops = o;
				it->arg = p + l + 1;
				it->arg_len = n - l - 1;
				return 0;
			}
		} else if (l == n && !strncmp(p, o->name, n)) {
			it->ops = o;
			return 0;
		}
	}
	return -1;
}

/* The element of @list that names @o (false: none). */
static bool listed(const char *list, const struct counter_source_ops *o, struct list_item *out)
{
	const char *p = list;
	bool deflt = false;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		struct list_item it;

		if (!parse_item(p, len, &it)) {
			if (it.ops == o) {
				*out = it;
				return true;
			}
			deflt = deflt || !it.ops;
		}
		p = e ? e + 1 : NULL;
	}
	if (deflt && !o->explicit_only) {
		memset(out, 0, sizeof(*out));
		out->ops = o;
		out->optional = true;
		return true;
	}
	return false;
}

int counters_validate(const char *list, char *err, size_t len)
{
	const char *p = list;

	while (p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct list_item it;

		if (parse_item(p, n, &it)) {
			int i, off;

			off = snprintf(err, len, "unknown counter source '%.*s'; known: default", (int)n, p);
			for (i = 0; counter_sources[i] && off > 0 && (size_t)off < len; i++)
				off += snprintf(err + off, len - off, " %s%s", counter_sources[i]->name,
						counter_sources[i]->has_arg ? ":ARG" : "");
			if (off > 0 && (size_t)off < len)
				snprintf(err + off, len - off, " (try:NAME: when usable)");
			return -1;
		}
		if (it.arg_len >= sizeof(((struct counter_source *)0)->arg)) {
			snprintf(err, len, "counter source argument '%.*s' is too long", (int)it.arg_len, it.arg);
			return -1;
		}
		if (it.ops && it.ops->check_arg) {
			char arg[256], why[200];

			snprintf(arg, sizeof(arg), "%.*s", (int)it.arg_len, it.arg);
			if (it.ops->check_arg(arg, why, sizeof(why))) {
				snprintf(err, len, "counter source '%.*s': %s", (int)n, p, why);
				return -1;
			}
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

void counter_source_note_name(struct counter_source *s, uint32_t code, const char *name)
{
	int i;

	for (i = 0; i < s->n_printed; i++)
		if (s->printed[i].code == code)
			return;
	if (s->n_printed == MAX_PRINTED_NAMES)
		return;
	s->printed[i].code = code;
	snprintf(s->printed[i].name, sizeof(s->printed[i].name), "%s", name);
	s->n_printed++;
}

int counters_open(struct counter_set *cs, const char *list,
		  const struct counter_target *t, double tolerance,
		  char *err, size_t len)
{
	int i;

	memset(cs, 0, sizeof(*cs));
	cs->tolerance = tolerance;
	cs->target = t;
	if (list && counters_validate(list, err, len))
		return -1;
	for (i = 0; counter_sources[i]; i++) {
		struct list_item it = { .optional = true };
		struct counter_source *s;

		if (list ? !listed(list, counter_sources[i], &it) : counter_sources[i]->explicit_only)
			continue;
		s = &cs->src[cs->n++];
		s->ops = counter_sources[i];
		s->verdict = VERDICT_EXACT;
		s->other_verdict = VERDICT_EXACT;
		if (it.arg)
			snprintf(s->arg, sizeof(s->arg), "%.*s", (int)it.arg_len, it.arg);
		if (s->ops->open(s, t, s->why, sizeof(s->why))) {
			if (!it.optional) {
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
	return s->usable && (perturbing || !s->ops->own_window);
}

bool counters_any_perturbing(const struct counter_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->src[i].usable && cs->src[i].ops->own_window)
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
		if (s->ops->read(s, &s->before, s->why, sizeof(s->why)) ||
		    (s->ops->set_active && s->ops->set_active(s, true, s->why, sizeof(s->why))))
			s->usable = false;
		/* Its readings count L2's exits apart: it sees the levels (not reflections). */
		else if (s->before.has_l2)
			s->sees_levels = true;
	}
}

/* The plan a source is judged against: all vCPUs' for a host-wide source. */
const struct expect_plan *counters_plan(const struct counter_set *cs,
					const struct counter_source *s)
{
	const struct counter_target *t = cs->target;

	return s->all_vcpus && t->plan_all ? t->plan_all : t->plan;
}

/*
 * Nested plans: can @s count plan entry @i at its level? A source that
 * tells L1's exits from L2's counts those entries (and the reflected ones
 * if it sees reflections), not their sums; one that counts hardware exits
 * without levels counts a reason expected at one level only as that
 * entry, and a reason of both levels as its EXIT_L1_L2 sum; one that
 * counts what KVM handled itself is judged on L1's own reasons alone.
 */
static bool level_visible(const struct counter_source *s, const struct expect_plan *p, int i)
{
	const struct expect_reason *r = &p->r[i];

	if (!p->nested)
		return true;
	if (r->level == EXIT_L2_REFLECTED)
		return s->sees_levels && s->sees_reflected;
	if (s->sees_levels)
		return r->level != EXIT_L1_L2;
	if (s->l0_handled)
		return r->level == EXIT_L1 && !r->shared;
	return r->level == EXIT_L1_L2 || !r->shared;
}

/* Of @all exits of both levels, @in_l2 in L2: those of L1, of L2 or all. */
static uint64_t level_delta(uint64_t all, uint64_t in_l2, bool l1, bool l2)
{
	return l1 ? all - in_l2 : l2 ? in_l2 : all;
}

/* Exits of plan reason @i between two readings; false when not seen. */
static bool delta_of(const struct counter_source *s, const struct expect_plan *p, int i,
		     const struct counter_reading *a, const struct counter_reading *b,
		     uint64_t *out)
{
	/*
	 * A reading with an L2 part (the patched kernel's) counts both levels
	 * in its counts and L2's apart: an L2 entry reads that part, an L1
	 * entry the rest.
	 */
	bool split = p->nested && a->has_l2 && b->has_l2;
	bool l1 = split && p->r[i].level == EXIT_L1, l2 = split && p->r[i].level == EXIT_L2;

	if (!level_visible(s, p, i))
		return false;
	if (b->has_buckets && a->has_buckets && p->r[i].code != EXIT_NONE) {
		int k = exit_bucket(p->vendor, p->r[i].code);

		if (k >= 0) {
			*out = level_delta(b->buckets[k] - a->buckets[k],
					   b->l2_buckets[k] - a->l2_buckets[k], l1, l2);
			return true;
		}
	}
	if (i < 32 && s->sees & (1u << i)) {
		*out = level_delta(b->each[i] - a->each[i], b->l2_each[i] - a->l2_each[i], l1, l2);
		return true;
	}
	if (i == p->primary && s->sees_reason) {
		*out = level_delta(b->reason - a->reason, b->l2_reason - a->l2_reason, l1, l2);
		return true;
	}
	return false;
}

bool counters_sees(const struct counter_set *cs, const struct counter_source *s, int i)
{
	const struct expect_plan *p = counters_plan(cs, s);

	return level_visible(s, p, i) &&
	       ((s->has_buckets && p->r[i].code != EXIT_NONE) ||
		(i < 32 && s->sees & (1u << i)) || (i == p->primary && s->sees_reason));
}

/* Judge one window of @s; @iterations of the loop ran. */
static void judge_window(struct counter_set *cs, struct counter_source *s, bool perturbing,
			 uint64_t iterations, const uint64_t *events,
			 const struct counter_reading *now)
{
	const struct expect_plan *p = counters_plan(cs, s);
	uint64_t cnt[MAX_TARGET_REASONS], host = 0, sum = 0, total = now->total - s->before.total;
	bool seen[MAX_TARGET_REASONS], host_known = true, all = true;
	int i, k;

	for (i = 0; i < p->n; i++) {
		seen[i] = delta_of(s, p, i, &s->before, now, &cnt[i]);
		/* Each exit once: reflections are not exits, levels or sums as seen. */
		if (p->r[i].level == EXIT_L2_REFLECTED || !level_visible(s, p, i))
			continue;
		if (p->r[i].host) {
			if (seen[i])
				host += cnt[i];
			else
				host_known = false;
		}
		if (seen[i])
			sum += cnt[i];
		else
			all = false;
	}
	s->judges_other = all && s->sees_total && !s->piecewise;
	if (s->piecewise)
		host_known = false;
	for (i = 0; i < p->n; i++) {
		const struct expect_reason *r = &p->r[i];
		int64_t want;

		if (!seen[i])
			continue;
		s->r_counted[i] += cnt[i];
		if (perturbing)
			s->xcheck_each[i] = cnt[i];
		if (r->host || r->timing)
			continue;
		if (r->per_host_exit && !host_known) {
			/*
			 * Its expectation needs the host's exits, which this source
			 * does not see as one snapshot: not judged by it.
			 */
			s->r_verdict[i] = VERDICT_UNVERIFIED;
			continue;
		}
		want = (int64_t)(r->per_iteration * iterations + r->per_window) +
		       r->per_host_exit * (int64_t)host;
		for (k = 0; events && k < MAX_EVENTS; k++)
			want += r->per_event[k] * (int64_t)events[k];
		if (want < 0)
			want = 0;
		s->r_expected[i] += (uint64_t)want;
		s->r_verdict[i] = verdict_worse(s->r_verdict[i],
						judge((uint64_t)want, cnt[i], cs->tolerance));
		s->verdict = verdict_worse(s->verdict, s->r_verdict[i]);
	}
	if (s->judges_other) {
		uint64_t other = total >= sum ? total - sum : 0;

		s->other += other;
		if (perturbing)
			s->xcheck_other = other;
		if (other || total < sum)
			s->other_verdict = VERDICT_MISMATCH;
		s->verdict = verdict_worse(s->verdict, s->other_verdict);
	}
	/* The legacy pair: the test's reason, or the exits of no reason. */
	if (p->primary >= 0 && seen[p->primary]) {
		s->expected = s->r_expected[p->primary];
		s->counted = s->r_counted[p->primary];
	} else if (p->primary < 0 && s->judges_other) {
		s->expected = 0;
		s->counted = s->other;
	}
}

void counters_end(struct counter_set *cs, bool perturbing, uint64_t iterations)
{
	counters_end_events(cs, perturbing, iterations, NULL);
}

/* The plan's own expectation of the test's reason in a timed window. */
static void plan_window(struct counter_set *cs, uint64_t iterations)
{
	const struct expect_plan *p = cs->target ? cs->target->plan : NULL;
	const struct expect_reason *r;
	bool plain;
	int k;

	if (!p || p->primary < 0)
		return;
	r = &p->r[p->primary];
	plain = !r->host && !r->timing && !r->per_host_exit;
	for (k = 0; k < MAX_EVENTS; k++)
		plain = plain && !r->per_event[k];
	if (!plain)
		return;
	cs->plan_expected += r->per_iteration * iterations + r->per_window;
	cs->plan_expected_known = true;
}

void counters_end_events(struct counter_set *cs, bool perturbing, uint64_t iterations,
			 const uint64_t *events)
{
	int i;

	if (!perturbing)
		plan_window(cs, iterations);
	for (i = 0; i < cs->n; i++) {
		struct counter_source *s = &cs->src[i];
		const struct expect_plan *p = counters_plan(cs, s);
		struct counter_reading now = { 0 };
		uint64_t total, expected = 0;
		int k;

		if (!in_pass(s, perturbing))
			continue;
		if ((s->ops->set_active && s->ops->set_active(s, false, s->why, sizeof(s->why))) ||
		    s->ops->read(s, &now, s->why, sizeof(s->why))) {
			s->usable = false;
			continue;
		}
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
		if (now.has_l2 && s->before.has_l2) {
			int b;

			s->l2_counted += now.l2_reason - s->before.l2_reason;
			s->l2_total += now.l2_total - s->before.l2_total;
			for (b = 0; b < EXIT_BUCKETS; b++)
				s->l2_by_bucket[b] += now.l2_buckets[b] - s->before.l2_buckets[b];
			s->has_l2 = true;
		}
		for (k = 0; k < p->n; k++)
			if (!p->r[k].host && !p->r[k].timing)
				expected += p->r[k].per_iteration * iterations + p->r[k].per_window;
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
		judge_window(cs, s, perturbing, iterations,
			     s->all_vcpus && cs->events_all ? cs->events_all : events, &now);
		if (perturbing) {
			s->xcheck = true;
			s->xcheck_counted = p->primary >= 0 ? s->xcheck_each[p->primary] : s->xcheck_other;
			cs->xcheck_expected = p->primary >= 0 ?
				p->r[p->primary].per_iteration * iterations + p->r[p->primary].per_window :
				expected;
		}
		s->windows++;
		s->total += total;
	}
}

void counters_close(struct counter_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++)
		if (cs->src[i].ops->close)
			cs->src[i].ops->close(&cs->src[i]);
}

/* Did @s judge anything: a reason of the plan, or the exits of no reason? */
bool counters_judged(const struct counter_set *cs, const struct counter_source *s)
{
	const struct expect_plan *p = counters_plan(cs, s);
	int i;

	if (!s->usable || !s->windows)
		return false;
	if (s->judges_other)
		return true;
	for (i = 0; i < p->n; i++)
		if (!p->r[i].host && !p->r[i].timing && counters_sees(cs, s, i))
			return true;
	return false;
}

const struct counter_source *counters_primary(const struct counter_set *cs)
{
	const struct expect_plan *p = cs->target ? cs->target->plan : NULL;
	int i;

	if (!p)
		return NULL;
	/* The first that judges the test's reason (or, with none, every exit). */
	for (i = 0; i < cs->n; i++) {
		const struct counter_source *s = &cs->src[i];

		if (!s->usable || !s->windows)
			continue;
		if (p->primary >= 0 ? counters_sees(cs, s, p->primary) : s->judges_other)
			return s;
	}
	return NULL;
}

enum verdict counters_verdict(const struct counter_set *cs)
{
	enum verdict v = VERDICT_UNVERIFIED;
	bool any = false;
	int i;

	/* Every source that judged something must agree; the worst verdict stands. */
	for (i = 0; i < cs->n; i++) {
		const struct counter_source *s = &cs->src[i];

		if (!counters_judged(cs, s))
			continue;
		v = any ? verdict_worse(v, s->verdict) : s->verdict;
		any = true;
	}
	return v;
}

int counters_cross_check(const struct counter_set *cs, bool *agree)
{
	const struct expect_plan *p = cs->target ? cs->target->plan : NULL;
	int i, k, n = 0;

	*agree = true;
	if (!p)
		return 0;
	for (i = 0; i < cs->n; i++)
		n += cs->src[i].usable && cs->src[i].xcheck;
	/* Reason by reason, every two sources that counted it must agree. */
	for (k = -1; k < p->n; k++) {
		const struct counter_source *first = NULL;

		for (i = 0; i < cs->n; i++) {
			const struct counter_source *s = &cs->src[i];
			uint64_t c;

			if (!s->usable || !s->xcheck)
				continue;
			if (k < 0 && !s->judges_other)
				continue;
			if (k >= 0 && !counters_sees(cs, s, k))
				continue;
			/* A piecewise reading's host count includes its reader's. */
			if (k >= 0 && p->r[k].host && s->piecewise)
				continue;
			c = k < 0 ? s->xcheck_other : s->xcheck_each[k];
			if (first && c != (k < 0 ? first->xcheck_other : first->xcheck_each[k]))
				*agree = false;
			first = first ? first : s;
		}
	}
	return n;
}
