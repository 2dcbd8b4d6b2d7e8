// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kselftest.h"

#include "expect.h"
#include "json.h"
#include "result.h"
#include "sysinfo.h"

void result_init(struct result *r, const struct exit_test *t, const struct options *o)
{
	memset(r, 0, sizeof(*r));
	r->noise_spread = NAN;
	r->test = t;
	r->opts = o;
	r->vendor = detect_vendor();
}

const char *result_reason_name(const struct exit_test *t, enum vendor v,
			       char *buf, size_t len)
{
	struct exit_reason_id id = exitbench_reason(t);
	const char *vmx = id.vmx == EXIT_NONE ? "none" : vmx_reason_name(id.vmx);
	const char *svm = id.svm == EXIT_NONE ? "none" : svm_reason_name(id.svm);

	if (v == VENDOR_VMX)
		snprintf(buf, len, "%s", vmx ? vmx : "UNKNOWN");
	else if (v == VENDOR_SVM)
		snprintf(buf, len, "%s", svm ? svm : "unknown");
	else
		snprintf(buf, len, "%s/%s", vmx ? vmx : "UNKNOWN", svm ? svm : "unknown");
	return buf;
}

/* The name shown for the result: the test's reason, or "none" when it has none here. */
static const char *shown_reason(const struct result *r, char *buf, size_t len)
{
	if (!r->plan.n)
		return result_reason_name(r->test, r->vendor, buf, len);
	if (r->plan.primary < 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	return expect_reason_name(r->vendor, &r->plan.r[r->plan.primary], buf, len);
}

static void write_summary(struct json *j, const char *key, const struct summary *s,
			  double scale)
{
	json_key(j, key);
	json_begin_object(j);
	json_kv_double(j, "median", s->median * scale);
	json_kv_double(j, "min", s->min * scale);
	json_kv_double(j, "max", s->max * scale);
	json_kv_double(j, "p10", s->p10 * scale);
	json_kv_double(j, "p90", s->p90 * scale);
	json_kv_double(j, "mean", s->mean * scale);
	json_kv_double(j, "stddev", s->stddev * scale);
	json_kv_double(j, "cv", s->cv);
	json_end_object(j);
}

/* The code whose name in the kernel's tables is @name (any case); -1: none. */
static int64_t printed_code(enum vendor v, const char *name)
{
	uint32_t c;

	for (c = 0; c <= 0x500 && v != VENDOR_OTHER; c++) {
		const char *k = v == VENDOR_SVM ? svm_reason_name(c) : vmx_reason_name(c);

		if (k && !strcasecmp(k, name))
			return c;
	}
	return -1;
}

static void write_source(struct json *j, const struct counter_set *cs,
			 const struct counter_source *s)
{
	const struct expect_plan *p = counters_plan(cs, s);
	bool primary = p->primary >= 0 ? s->usable && counters_sees(cs, s, p->primary) :
		       s->usable && s->judges_other;
	char name[64];
	int i;

	json_begin_object(j);
	json_kv_string(j, "name", s->ops->name);
	json_kv_bool(j, "usable", s->usable);
	json_kv_string(j, "why_not", s->usable ? NULL : s->why);
	json_kv_bool(j, "sees_reason", primary);
	json_kv_bool(j, "all_vcpus", s->all_vcpus);
	json_kv_u64(j, "windows", s->windows);
	json_kv_u64(j, "expected", s->expected);
	if (primary)
		json_kv_u64(j, "counted", s->counted);
	else
		json_kv_string(j, "counted", NULL);
	if (s->usable && s->sees_total)
		json_kv_u64(j, "total", s->total);
	else
		json_kv_string(j, "total", NULL);
	json_kv_string(j, "verdict", counters_judged(cs, s) ? verdict_name(s->verdict) : "unverified");
	if (s->usable && s->has_cycles)
		json_kv_u64(j, "cycles", s->cycles);
	else
		json_kv_string(j, "cycles", NULL);
	if (s->usable && s->xcheck && primary)
		json_kv_u64(j, "cross_check_counted", s->xcheck_counted);
	else
		json_kv_string(j, "cross_check_counted", NULL);
	/* Reason by reason: what it saw of the plan, and the exits of no reason. */
	json_key(j, "reasons");
	json_begin_array(j);
	for (i = 0; s->usable && i < p->n; i++) {
		const struct expect_reason *e = &p->r[i];

		if (!counters_sees(cs, s, i))
			continue;
		json_begin_object(j);
		json_kv_string(j, "name", expect_reason_name(p->vendor, e, name, sizeof(name)));
		json_kv_u64(j, "code", e->code);
		json_kv_string(j, "kind", e->host ? "host" : e->timing ? "timing" : "judged");
		if (!e->host && !e->timing && s->r_verdict[i] != VERDICT_UNVERIFIED)
			json_kv_u64(j, "expected", s->r_expected[i]);
		else
			json_kv_string(j, "expected", NULL);
		json_kv_u64(j, "counted", s->r_counted[i]);
		json_kv_string(j, "verdict", e->host || e->timing ? NULL : verdict_name(s->r_verdict[i]));
		if (s->xcheck)
			json_kv_u64(j, "cross_check_counted", s->xcheck_each[i]);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_string(j, "found", s->found[0] ? s->found : NULL);
	/* The names the kernel prints, beside its own tables' (./check_kernel). */
	json_key(j, "printed_names");
	json_begin_array(j);
	for (i = 0; i < s->n_printed; i++) {
		enum vendor v = cs->target ? cs->target->vendor : VENDOR_OTHER;
		const char *k = v == VENDOR_SVM ? svm_reason_name(s->printed[i].code) :
				v == VENDOR_VMX ? vmx_reason_name(s->printed[i].code) : NULL;

		json_begin_object(j);
		json_kv_u64(j, "code", s->printed[i].code);
		json_kv_string(j, "printed", s->printed[i].name);
		json_kv_string(j, "kernel", k);
		/* The reason the kernel's tables give the printed name, if any. */
		json_kv_i64(j, "printed_is", printed_code(v, s->printed[i].name));
		json_end_object(j);
	}
	json_end_array(j);
	if (s->usable && s->judges_other) {
		json_kv_u64(j, "unexpected", s->other);
		json_kv_string(j, "unexpected_verdict", verdict_name(s->other_verdict));
	} else {
		json_kv_string(j, "unexpected", NULL);
		json_kv_string(j, "unexpected_verdict", NULL);
	}
	json_end_object(j);
}

/* The plan a result is judged against: every reason, its counts, its kind. */
static void write_plan(struct json *j, const char *key, const struct expect_plan *p)
{
	char name[64];
	int i, k;

	json_key(j, key);
	json_begin_array(j);
	for (i = 0; i < p->n; i++) {
		const struct expect_reason *e = &p->r[i];

		json_begin_object(j);
		json_kv_string(j, "name", expect_reason_name(p->vendor, e, name, sizeof(name)));
		if (e->code == EXIT_NONE)
			json_kv_string(j, "code", NULL);
		else
			json_kv_u64(j, "code", e->code);
		json_kv_u64(j, "per_iteration", e->per_iteration);
		json_kv_u64(j, "per_window", e->per_window);
		json_kv_i64(j, "per_host_exit", e->per_host_exit);
		json_key(j, "per_event");
		json_begin_array(j);
		for (k = 0; k < MAX_EVENTS; k++)
			json_i64(j, e->per_event[k]);
		json_end_array(j);
		json_kv_string(j, "kind", e->host ? "host" : e->timing ? "timing" :
			       e->harness ? "harness" : "judged");
		json_kv_bool(j, "primary", i == p->primary);
		json_end_object(j);
	}
	json_end_array(j);
}

static const struct exit_test *named_test;

/* The name a test gives event @k (1..MAX_EVENTS). */
static const char *exit_test_event_name(unsigned int k)
{
	return named_test && named_test->events[k - 1] ? named_test->events[k - 1] : "unnamed";
}

/* What the test states it expects, and whether each applies here. */
static void write_expectations(struct json *j, const char *key, const struct exit_expect *e,
			       const struct kvm_config *c)
{
	int k;

	json_key(j, key);
	json_begin_array(j);
	for (k = 0; k < MAX_EXPECT && e[k].why; k++) {
		json_begin_object(j);
		if (e[k].reason.vmx == EXIT_NONE)
			json_kv_string(j, "vmx", NULL);
		else
			json_kv_u64(j, "vmx", e[k].reason.vmx);
		if (e[k].reason.svm == EXIT_NONE)
			json_kv_string(j, "svm", NULL);
		else
			json_kv_u64(j, "svm", e[k].reason.svm);
		json_kv_u64(j, "per_iteration", e[k].per_iteration);
		json_kv_u64(j, "per_window", e[k].per_window);
		json_kv_i64(j, "per_host_exit", e[k].per_host_exit);
		json_kv_string(j, "per_event_of", e[k].event >= 1 && e[k].event <= MAX_EVENTS ?
			       exit_test_event_name(e[k].event) : NULL);
		json_kv_i64(j, "per_event", e[k].per_event);
		json_kv_bool(j, "timing", e[k].timing);
		json_kv_bool(j, "applies", expect_applies(&e[k], c) &&
			     expect_code(c->vendor, e[k].reason) != EXIT_NONE);
		json_kv_string(j, "why", e[k].why);
		json_end_object(j);
	}
	json_end_array(j);
}

/*
 * The loop counted by every source at once (the perturbing sources' window):
 * do the tracepoint and the patched counters agree, exit for exit?
 */
static void write_cross_check(struct json *j, const struct counter_set *cs)
{
	bool agree;
	int k, n = counters_cross_check(cs, &agree);

	json_key(j, "cross_check");
	if (!n) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	json_kv_u64(j, "expected", cs->xcheck_expected);
	json_key(j, "counted");
	json_begin_object(j);
	for (k = 0; k < cs->n; k++) {
		const struct counter_source *s = &cs->src[k];
		const struct expect_plan *p = counters_plan(cs, s);

		if (!s->usable || !s->xcheck)
			continue;
		/* The test's reason, or the exits of no reason; null: neither seen. */
		if (p->primary >= 0 ? counters_sees(cs, s, p->primary) : s->judges_other)
			json_kv_u64(j, s->ops->name, s->xcheck_counted);
		else
			json_kv_string(j, s->ops->name, NULL);
	}
	json_end_object(j);
	json_kv_string(j, "compared", "every reason of the plan that two sources see, and the exits of no reason");
	json_kv_bool(j, "agree", n >= 2 && agree);
	json_end_object(j);
}

/* The source whose per-reason breakdown is reported: the primary if it has one. */
static const struct counter_source *bucket_source(const struct counter_set *cs)
{
	const struct counter_source *p = counters_primary(cs);
	int k;

	if (p && p->has_buckets)
		return p;
	for (k = 0; k < cs->n; k++)
		if (cs->src[k].usable && cs->src[k].has_buckets)
			return &cs->src[k];
	return NULL;
}

/* Buckets with exits, most first; returns how many were put in @order. */
static int buckets_by_count(const struct counter_source *s, int order[EXIT_BUCKETS])
{
	int n = 0, i, j;

	for (i = 0; i < EXIT_BUCKETS; i++) {
		if (!s->by_bucket[i])
			continue;
		for (j = n++; j > 0 && s->by_bucket[order[j - 1]] < s->by_bucket[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return n;
}

static void write_exits_by_reason(struct json *j, const struct result *r)
{
	const struct counter_source *s = bucket_source(&r->counters);
	int order[EXIT_BUCKETS], n, i;
	char buf[32];

	json_key(j, "exits_by_reason");
	if (!s) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	json_kv_string(j, "source", s->ops->name);
	json_key(j, "exits");
	json_begin_array(j);
	n = buckets_by_count(s, order);
	for (i = 0; i < n; i++) {
		int64_t code = exit_bucket_code(r->vendor, order[i]);

		json_begin_object(j);
		if (code >= 0)
			json_kv_u64(j, "code", (uint64_t)code);
		else
			json_kv_string(j, "code", NULL);
		json_kv_string(j, "name", exit_bucket_name(r->vendor, order[i], buf, sizeof(buf)));
		json_kv_u64(j, "exits", s->by_bucket[order[i]]);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

/* "wbinvd 2048, io 9" into @buf: where the exits of the windows went. */
static void describe_buckets(const struct result *r, char *buf, size_t len)
{
	const struct counter_source *s = bucket_source(&r->counters);
	int order[EXIT_BUCKETS], n, i;
	size_t off = 0;
	char name[32];

	buf[0] = 0;
	if (!s)
		return;
	n = buckets_by_count(s, order);
	for (i = 0; i < n && i < 4 && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s %llu", i ? ", " : "",
				exit_bucket_name(r->vendor, order[i], name, sizeof(name)),
				(unsigned long long)s->by_bucket[order[i]]);
	if (!n)
		snprintf(buf, len, "none");
}

/*
 * Did the loop's instruction cause no exit at all, rather than exits counted
 * under the wrong reason? Every source that sees all exits must show none of
 * the reason and fewer other exits than half the expected ones (timer
 * interrupts and the ucalls remain). Then the platform, not the counting, is
 * what is missing.
 */
static bool loop_never_exited(const struct counter_set *cs)
{
	int k, seen = 0;

	if (cs->target->plan->primary < 0)
		return false;
	for (k = 0; k < cs->n; k++) {
		const struct counter_source *s = &cs->src[k];

		if (!s->usable || !counters_sees(cs, s, cs->target->plan->primary) ||
		    !s->sees_total || !s->windows)
			continue;
		if (s->counted || s->total - s->counted >= s->expected / 2)
			return false;
		seen++;
	}
	return seen > 0;
}

/*
 * The kernel's own figure: host TSC cycles from each exit of the reason to
 * the next VM entry (the debugfs cycles column),
 * per exit. NULL with @why when there is none to give.
 */
static const struct counter_source *kernel_cycles(const struct result *r, double *per_exit,
						  const char **why)
{
	const struct counter_source *p = counters_primary(&r->counters), *s = NULL;
	int k;

	if (p && p->has_cycles)
		s = p;
	for (k = 0; k < r->counters.n && !s; k++)
		if (r->counters.src[k].usable && r->counters.src[k].has_cycles &&
		    r->counters.target->plan->primary >= 0 &&
		    counters_sees(&r->counters, &r->counters.src[k], r->counters.target->plan->primary))
			s = &r->counters.src[k];
	*why = NULL;
	if (!s) {
		*why = "no source has per-reason cycles (the patched kernel's debugfs table)";
		return NULL;
	}
	if (!s->cycles || !s->counted) {
		*why = "no cycles were charged: cycle accounting is off (kvm.exit_cycles=1 turns it on)";
		return NULL;
	}
	/*
	 * An exit is charged at the next entry. When a window's last exit is
	 * of the test's reason (the ucall of IO tests, the last KVM_RUN of a
	 * host-timed test), its span runs into the harness's work between
	 * windows.
	 */
	if (exitbench_harness_exits(r->test) || r->test->host_loop) {
		*why = "each window's last exit of this reason is charged at the next window's first entry, so its span holds the harness's own work between windows";
		return NULL;
	}
	*per_exit = (double)s->cycles / (double)s->counted;
	return s;
}

static void write_kernel_cycles(struct json *j, const struct result *r)
{
	const struct counter_source *s;
	const char *why;
	double per_exit = NAN;

	s = kernel_cycles(r, &per_exit, &why);
	json_key(j, "kernel_cycles");
	json_begin_object(j);
	json_kv_string(j, "source", s ? s->ops->name : NULL);
	json_kv_double(j, "per_exit", per_exit);
	json_kv_string(j, "unit", "host TSC cycles from VM exit to the next VM entry");
	json_kv_string(j, "why_not", why);
	json_end_object(j);
}

/*
 * The source whose expectation is reported: the primary, or any that sees
 * the test's reason (only those compute what they expect of it).
 */
static const struct counter_source *expectation_source(const struct counter_set *cs)
{
	const struct counter_source *p = counters_primary(cs);
	int k;

	if (!cs->target || !cs->target->plan || cs->target->plan->primary < 0)
		return p;
	for (k = 0; k < cs->n && !p; k++)
		if (cs->src[k].usable && cs->src[k].windows &&
		    counters_sees(cs, &cs->src[k], cs->target->plan->primary))
			p = &cs->src[k];
	return p;
}

/* The JSON under @path.partial, linked to @path by commit_json(). */
static char json_tmp[4096];

/* The main figure and the test's others, each with its unit and samples. */
static void write_figures(struct json *j, const struct result *r)
{
	const struct exit_test *t = r->test;
	struct summary sm;
	unsigned int f, i;

	json_key(j, "figures");
	json_begin_array(j);
	for (f = 0; f <= MAX_FIGURES; f++) {
		const double *v = f ? r->figure_samples[f - 1] : r->samples;

		if (f && (f > MAX_FIGURES || !t->figures[f - 1].name))
			break;
		sm = summarize(v, r->ntrials);
		json_begin_object(j);
		json_kv_string(j, "name", f ? t->figures[f - 1].name : "cycles_per_exit");
		json_kv_string(j, "unit", f ? t->figures[f - 1].unit :
			       r->unit[0] ? r->unit : "TSC cycles per exit");
		json_kv_double(j, "median", sm.median);
		json_kv_double(j, "p10", sm.p10);
		json_kv_double(j, "p90", sm.p90);
		json_kv_double(j, "cv", sm.cv);
		json_key(j, "samples");
		json_begin_array(j);
		for (i = 0; i < r->ntrials; i++)
			json_double(j, v[i]);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

/* Several vCPUs: each one's role, pinning, figure and attribution. */
static void write_vcpus(struct json *j, const struct result *r)
{
	unsigned int v;
	int k;

	json_key(j, "vcpus");
	if (r->nvcpus <= 1) {
		json_null(j);
		return;
	}
	json_begin_array(j);
	for (v = 0; v < r->nvcpus; v++) {
		const struct result_vcpu *x = &r->vcpu[v];
		const struct counter_source *p = counters_primary(&x->counters);
		struct summary sm = summarize(x->samples, r->ntrials);

		json_begin_object(j);
		json_kv_u64(j, "vcpu", v);
		json_kv_string(j, "role", x->receiver ? "receiver" : r->test->guest_receiver ? "sender" : "loop");
		json_kv_i64(j, "cpu", x->cpu);
		json_kv_double(j, "cycles_per_exit_median", sm.median);
		json_kv_string(j, "source", p ? p->ops->name : NULL);
		json_kv_u64(j, "expected", p ? p->expected : 0);
		json_kv_u64(j, "counted", p ? p->counted : 0);
		json_kv_string(j, "verdict", verdict_name(counters_verdict(&x->counters)));
		write_plan(j, "plan", &x->plan);
		json_key(j, "sources");
		json_begin_array(j);
		for (k = 0; k < x->counters.n; k++)
			write_source(j, &x->counters, &x->counters.src[k]);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

static void write_json(const struct result *r, const char *status, const struct summary *cpe,
		       enum verdict v)
{
	const struct exit_test *t = r->test;
	const struct counter_source *p = counters_primary(&r->counters);
	const char *path = r->opts ? r->opts->json_path : NULL;
	double ns = r->tsc_khz ? 1e6 / (double)r->tsc_khz : NAN;
	char *tmp = json_tmp, name[64], rname[64];
	struct exit_reason_id id;
	struct json j;
	unsigned int i;
	FILE *f;
	int fd, k;

	if (!path)
		return;
	snprintf(tmp, sizeof(json_tmp), "%s.partial", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "exit_%s: cannot write %s: %s\n", t->name, tmp, strerror(errno));
		tmp[0] = 0;
		exit(EXIT_ERROR);
	}
	json_init(&j, f);
	json_begin_object(&j);
	json_kv_u64(&j, "schema_version", RESULT_SCHEMA_VERSION);
	snprintf(name, sizeof(name), "exit_%s", t->name);
	json_kv_string(&j, "name", name);
	json_kv_string(&j, "kut_name", t->kut_name);
	json_kv_string(&j, "summary", t->summary);
	json_kv_string(&j, "status", status);
	json_kv_string(&j, "status_reason", r->reason[0] ? r->reason : NULL);
	json_kv_string(&j, "note", t->note);
	json_kv_string(&j, "vendor", vendor_name(r->vendor));
	json_key(&j, "reason");
	json_begin_object(&j);
	id = r->plan.n && r->plan.primary >= 0 ? r->plan.r[r->plan.primary].id :
	     r->plan.n ? (struct exit_reason_id){ EXIT_NONE, EXIT_NONE } : exitbench_reason(t);
	if (id.vmx == EXIT_NONE)
		json_kv_string(&j, "vmx", NULL);
	else
		json_kv_u64(&j, "vmx", id.vmx);
	if (id.svm == EXIT_NONE)
		json_kv_string(&j, "svm", NULL);
	else
		json_kv_u64(&j, "svm", id.svm);
	json_kv_string(&j, "name", shown_reason(r, rname, sizeof(rname)));
	json_kv_string(&j, "vmx_name", id.vmx == EXIT_NONE ? "none" : vmx_reason_name(id.vmx));
	json_kv_string(&j, "svm_name", id.svm == EXIT_NONE ? "none" : svm_reason_name(id.svm));
	json_end_object(&j);
	json_kv_u64(&j, "exits_per_iteration", r->figure_divisor ? r->figure_divisor : 1);
	json_kv_string(&j, "unit", r->unit[0] ? r->unit : "TSC cycles per exit");
	json_kv_u64(&j, "iterations", r->iterations);
	json_kv_bool(&j, "iterations_scaled", r->scaled);
	json_kv_u64(&j, "target_cycles", r->opts && r->opts->target_cycles ? r->opts->target_cycles :
		    r->target_cycles);
	json_kv_string(&j, "target_cycles_from", r->opts && r->opts->target_cycles ? "option" :
		       r->scaled ? "noise" : NULL);
	json_kv_double(&j, "baseline_spread", r->noise_spread);
	json_kv_u64(&j, "trials", r->ntrials);
	json_kv_double(&j, "max_cv", r->opts ? r->opts->max_cv : DEFAULT_MAX_CV);
	json_kv_i64(&j, "cpu", r->opts ? r->opts->cpu : -1);
	json_kv_u64(&j, "vcpus", r->nvcpus ? r->nvcpus : 1);
	json_key(&j, "kvm_config");
	json_begin_object(&j);
	kvm_config_write(&j, &r->config);
	json_end_object(&j);
	named_test = t;
	write_expectations(&j, "expected_exits", t->expect, &r->config);
	if (t->guest_receiver)
		write_expectations(&j, "expected_exits_receiver", t->expect_receiver, &r->config);
	json_key(&j, "phases_s");
	json_begin_object(&j);
	json_kv_double(&j, "setup", r->phases.setup);
	json_kv_double(&j, "scaling", r->phases.scaling);
	json_kv_double(&j, "trials", r->phases.trials);
	json_kv_double(&j, "cross_check", r->phases.cross_check);
	json_end_object(&j);
	json_kv_string(&j, "timing", t->host_loop ? "host" : t->self_timed ? "guest-self" : "guest");
	if (r->tsc_khz)
		json_kv_u64(&j, "tsc_khz", r->tsc_khz);
	else
		json_kv_string(&j, "tsc_khz", NULL);
	write_summary(&j, "cycles_per_exit", cpe, 1);
	write_summary(&j, "ns_per_exit", cpe, ns);
	json_key(&j, "samples");
	json_begin_array(&j);
	for (i = 0; i < r->ntrials; i++)
		json_double(&j, r->samples[i]);
	json_end_array(&j);
	json_key(&j, "trial_detail");
	json_begin_array(&j);
	for (i = 0; i < r->ntrials; i++) {
		json_begin_object(&j);
		json_kv_u64(&j, "loop_cycles", r->loop_cycles[i]);
		json_kv_u64(&j, "baseline_cycles", r->baseline_cycles[i]);
		json_kv_u64(&j, "iterations", r->loop_iterations[i]);
		json_end_object(&j);
	}
	json_end_array(&j);
	write_figures(&j, r);

	json_key(&j, "attribution");
	json_begin_object(&j);
	json_kv_string(&j, "source", p ? p->ops->name : NULL);
	if (p) {
		json_kv_u64(&j, "expected", p->expected);
		json_kv_u64(&j, "windows", p->windows);
		json_kv_u64(&j, "counted", p->counted);
		if (r->plan.primary >= 0 && p->sees_total && p->total >= p->counted)
			json_kv_u64(&j, "other", p->total - p->counted);
		else if (r->plan.primary < 0)
			json_kv_u64(&j, "other", p->total);
		else
			json_kv_string(&j, "other", NULL);
	} else {
		/* No source counts the reason: none knows what to expect of it. */
		const struct counter_source *any = NULL;

		for (k = 0; k < r->counters.n && !any; k++)
			if (r->counters.src[k].usable && r->counters.src[k].windows)
				any = &r->counters.src[k];
		json_kv_string(&j, "expected", NULL);
		if (any)
			json_kv_u64(&j, "windows", any->windows);
		else
			json_kv_string(&j, "windows", NULL);
		json_kv_string(&j, "counted", NULL);
		json_kv_string(&j, "other", NULL);
	}
	json_kv_string(&j, "verdict", verdict_name(v));
	json_kv_double(&j, "tolerance", t->tolerance);
	json_kv_u64(&j, "harness_exits_per_trial", exitbench_harness_exits(t));
	if (r->counters.target)
		write_plan(&j, "plan", r->counters.target->plan);
	json_key(&j, "sources");
	json_begin_array(&j);
	for (k = 0; k < r->counters.n; k++)
		write_source(&j, &r->counters, &r->counters.src[k]);
	json_end_array(&j);
	write_cross_check(&j, &r->counters);
	write_exits_by_reason(&j, r);
	write_kernel_cycles(&j, r);
	write_vcpus(&j, r);
	json_end_object(&j);

	json_key(&j, "host");
	json_begin_object(&j);
	sysinfo_write(&j, r->tsc_khz);
	json_end_object(&j);
	json_end_object(&j);
	fputc('\n', f);
	if (!json_ok(&j) || fflush(f) || ferror(f) || fsync(fileno(f)) || fclose(f)) {
		fprintf(stderr, "exit_%s: writing %s failed: %s\n", t->name, tmp,
			errno ? strerror(errno) : "JSON writer error");
		unlink(tmp);
		tmp[0] = 0;
		exit(EXIT_ERROR);
	}
}

/*
 * After the KTAP line reached stdout: the result file gets its name. A
 * failed write leaves neither a result line nor a file that looks complete.
 */
static void commit_json(const struct result *r)
{
	const char *path = r->opts ? r->opts->json_path : NULL;

	if (!json_tmp[0])
		return;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "exit_%s: cannot write the result to stdout: %s%s\n", r->test->name,
			strerror(errno), path ? "; no result file written" : "");
		unlink(json_tmp);
		exit(EXIT_ERROR);
	}
	/* link() does not replace: an existing result is never overwritten. */
	if (link(json_tmp, path)) {
		fprintf(stderr, "exit_%s: cannot create %s: %s\n", r->test->name, path, strerror(errno));
		unlink(json_tmp);
		exit(EXIT_ERROR);
	}
	unlink(json_tmp);
}

/* The exit status, once stdout (and the result file) are known good. */
__attribute__((noreturn)) static void finish(const struct result *r, int code)
{
	if (json_tmp[0]) {
		commit_json(r);
	} else if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "exit_%s: cannot write the result to stdout: %s\n", r->test->name,
			strerror(errno));
		exit(EXIT_ERROR);
	}
	exit(code);
}

/* Does the plan expect an exit of the test's reason in every iteration? */
static bool exits_every_iteration(const struct result *r)
{
	return r->plan.primary >= 0 && r->plan.r[r->plan.primary].per_iteration > 0;
}

/* "IO_INSTRUCTION: expected 2049, counted 2050 (patched-stats)" for the first mismatch. */
static void describe_mismatch(const struct result *r, char *buf, size_t len)
{
	const struct counter_set *cs = &r->counters;
	size_t off = 0;
	char name[64];
	int k, i;

	buf[0] = 0;
	for (k = 0; k < cs->n && !off; k++) {
		const struct counter_source *s = &cs->src[k];
		const struct expect_plan *p;

		if (!counters_judged(cs, s) || s->verdict != VERDICT_MISMATCH)
			continue;
		p = counters_plan(cs, s);
		for (i = 0; i < p->n && off < len; i++)
			if (counters_sees(cs, s, i) && s->r_verdict[i] == VERDICT_MISMATCH)
				off += snprintf(buf + off, len - off, "%s%s expected %llu, counted %llu",
						off ? "; " : "",
						expect_reason_name(p->vendor, &p->r[i], name, sizeof(name)),
						(unsigned long long)s->r_expected[i],
						(unsigned long long)s->r_counted[i]);
		if (s->judges_other && s->other && off < len)
			off += snprintf(buf + off, len - off, "%s%llu exits of no expected reason",
					off ? "; " : "", (unsigned long long)s->other);
		if (off < len)
			snprintf(buf + off, len - off, " (%s)", s->ops->name);
	}
}

/* Reasons judged besides the test's own, for the KTAP line. */
static int other_judged(const struct result *r)
{
	int i, n = 0;

	for (i = 0; i < r->plan.n; i++)
		n += i != r->plan.primary && !r->plan.r[i].host && !r->plan.r[i].timing &&
		     !r->plan.r[i].harness;
	return n;
}

/*
 * "CPUID exits expected 3003, counted 3003 by vmm: attribution exact", or
 * for a loop that should not exit: "no exit expected of the loop, counted 0
 * exits of no expected reason by vmm: attribution exact".
 */
static void describe_attribution(const struct result *r, enum verdict v, char *buf, size_t len)
{
	const struct counter_source *p = r->counters.target ? counters_primary(&r->counters) : NULL;
	const struct counter_source *e = r->counters.target ? expectation_source(&r->counters) : NULL;
	char rname[64], expected[32] = "-", counted[32] = "-", more[64] = "";

	if (e)
		snprintf(expected, sizeof(expected), "%llu", (unsigned long long)e->expected);
	else if (r->counters.plan_expected_known)
		/* No source counts the reason here; the plan still says how many. */
		snprintf(expected, sizeof(expected), "%llu", (unsigned long long)r->counters.plan_expected);
	if (p)
		snprintf(counted, sizeof(counted), "%llu", (unsigned long long)p->counted);
	if (other_judged(r))
		snprintf(more, sizeof(more), " (and %d more reason%s)", other_judged(r),
			 other_judged(r) == 1 ? "" : "s");
	if (r->plan.n && r->plan.primary < 0)
		snprintf(buf, len, "no exit expected of the loop%s, counted %s exits of no expected "
			 "reason by %s: attribution %s", more, counted, p ? p->ops->name : "no source",
			 verdict_name(v));
	else
		snprintf(buf, len, "%s exits expected %s, counted %s by %s%s: attribution %s",
			 shown_reason(r, rname, sizeof(rname)), expected, counted,
			 p ? p->ops->name : "no source", more, verdict_name(v));
}

void result_finish(struct result *r, enum result_kind kind)
{
	const struct exit_test *t = r->test;
	double ns = r->tsc_khz ? 1e6 / (double)r->tsc_khz : NAN;
	bool fail = kind == RESULT_FAIL, attributed = false;
	double max_cv = r->opts ? r->opts->max_cv : DEFAULT_MAX_CV;
	char rname[64], counted[32], expected[32], xcheck[512], more[96], attr[320], nsbuf[48];
	const char *unit = r->unit[0] ? r->unit : "TSC cycles per exit";
	const struct counter_source *p, *e;
	struct summary cpe;
	bool agree, per_exit;
	enum verdict v;
	int k, i;

	result_claim();
	cpe = summarize(r->samples, r->ntrials);
	v = counters_verdict(&r->counters);

	exitbench_watchdog(0);
	describe_attribution(r, v, attr, sizeof(attr));
	if (kind == RESULT_MEASURED && v != VERDICT_MISMATCH && r->ntrials >= CV_MIN_TRIALS &&
	    !(isfinite(cpe.cv) && cpe.cv <= max_cv)) {
		char cv[32];

		if (isfinite(cpe.cv))
			snprintf(cv, sizeof(cv), cpe.cv >= 1 ? "CV %.0f%%" : "CV %.3g%%", cpe.cv * 100);
		else
			snprintf(cv, sizeof(cv), "no CV: the mean is 0");
		snprintf(r->reason, sizeof(r->reason),
			 "not measurable here: %s vary too much from trial to trial "
			 "(%s over %u trials, above the %g%% bound of --max-cv; median %.1f); %s",
			 unit, cv, r->ntrials, max_cv * 100, cpe.median, attr);
		kind = RESULT_SKIP;
		attributed = true;
	} else if (kind == RESULT_MEASURED && r->vendor == VENDOR_OTHER && v != VERDICT_MISMATCH &&
		   exits_every_iteration(r) && !(isfinite(cpe.median) && cpe.median > 0)) {
		snprintf(r->reason, sizeof(r->reason),
			 "not measurable here: the exiting loop was not slower than its baseline "
			 "(median %.1f cycles/exit) on a KVM that is neither VMX nor SVM, which may "
			 "emulate every guest instruction; %s", cpe.median, attr);
		kind = RESULT_SKIP;
		attributed = true;
	}
	if (kind == RESULT_MEASURED && v == VERDICT_MISMATCH && r->counters.target &&
	    loop_never_exited(&r->counters)) {
		char where[256];

		describe_buckets(r, where, sizeof(where));
		snprintf(r->reason, sizeof(r->reason),
			 "the exit does not happen here: the loop's instruction caused no VM exit at all "
			 "(every source that sees all exits agrees; all exits in the windows: %s), "
			 "so this CPU or emulator does not intercept it", where);
		kind = RESULT_SKIP;
	}
	if (kind == RESULT_SKIP) {
		write_json(r, "skip", &cpe, attributed ? v : VERDICT_UNVERIFIED);
		ksft_test_result_skip("exit_%s: %s\n", t->name, r->reason);
		finish(r, KSFT_SKIP);
	}
	if (kind == RESULT_MEASURED) {
		if (v == VERDICT_MISMATCH) {
			char where[256], what[256];

			describe_buckets(r, where, sizeof(where));
			describe_mismatch(r, what, sizeof(what));
			snprintf(r->reason, sizeof(r->reason), "exits were not counted where expected: %s%s%s%s",
				 what, where[0] ? " (all exits by reason: " : "", where, where[0] ? ")" : "");
		} else if (exits_every_iteration(r) && (!isfinite(cpe.median) || cpe.median <= 0) &&
			   v == VERDICT_UNVERIFIED) {
			/* With no counter to say so, did the exits happen at all? */
			snprintf(r->reason, sizeof(r->reason),
				 "the exiting loop was not slower than its baseline (median %.1f %s): did the exit happen?",
				 cpe.median, unit);
		}
		fail = r->reason[0] != 0;
	}
	p = r->counters.target ? counters_primary(&r->counters) : NULL;
	e = r->counters.target ? expectation_source(&r->counters) : NULL;
	shown_reason(r, rname, sizeof(rname));
	if (r->opts && r->opts->verbose) {
		for (k = 0; k < r->counters.n; k++) {
			const struct counter_source *s = &r->counters.src[k];
			const struct expect_plan *pl;
			char name[64];

			if (!s->usable) {
				printf("# counters %s: not used: %s\n", s->ops->name, s->why);
				continue;
			}
			pl = counters_plan(&r->counters, s);
			printf("# counters %s: %s, all exits %s%llu%s\n", s->ops->name,
			       counters_judged(&r->counters, s) ? verdict_name(s->verdict) : "unverified",
			       s->sees_total ? "" : "(unseen) ", (unsigned long long)s->total,
			       s->judges_other ? (s->other ? ", some of no expected reason" :
						  ", none of any other reason") : "");
			for (i = 0; i < pl->n; i++) {
				const struct expect_reason *e = &pl->r[i];

				if (!counters_sees(&r->counters, s, i))
					continue;
				if (e->host || e->timing)
					printf("#   %s: counted %llu (%s: not judged)\n",
					       expect_reason_name(pl->vendor, e, name, sizeof(name)),
					       (unsigned long long)s->r_counted[i],
					       e->host ? "the host's interrupts" : "depends on timing");
				else
					printf("#   %s: expected %llu, counted %llu: %s\n",
					       expect_reason_name(pl->vendor, e, name, sizeof(name)),
					       (unsigned long long)s->r_expected[i],
					       (unsigned long long)s->r_counted[i],
					       verdict_name(s->r_verdict[i]));
			}
			if (s->judges_other)
				printf("#   exits of no expected reason: %llu\n", (unsigned long long)s->other);
		}
		for (k = 0; k < MAX_EXPECT && t->expect[k].why; k++)
			printf("# expects: %s%s\n", t->expect[k].why,
			       expect_applies(&t->expect[k], &r->config) ? "" : " (not with this configuration)");
		for (k = 0; t->guest_receiver && k < MAX_EXPECT && t->expect_receiver[k].why; k++)
			printf("# expects (receiver): %s%s\n", t->expect_receiver[k].why,
			       expect_applies(&t->expect_receiver[k], &r->config) ? "" :
			       " (not with this configuration)");
		if (t->note)
			printf("# note: %s\n", t->note);
	}
	write_json(r, fail ? "fail" : "pass", &cpe, v);
	if (kind == RESULT_FAIL) {
		ksft_test_result_fail("exit_%s: %s\n", t->name, r->reason);
		finish(r, KSFT_FAIL);
	}
	if (counters_cross_check(&r->counters, &agree) >= 2) {
		int off = 0;

		for (k = 0; k < r->counters.n && off < (int)sizeof(xcheck); k++) {
			const struct counter_source *s = &r->counters.src[k];

			if (s->usable && s->xcheck && (r->plan.primary < 0 ? s->judges_other :
			    counters_sees(&r->counters, s, r->counters.target->plan->primary)))
				off += snprintf(xcheck + off, sizeof(xcheck) - off, "%s%s %llu",
						off ? ", " : "", s->ops->name,
						(unsigned long long)s->xcheck_counted);
		}
		printf("# cross-check, one loop counted by every source (%llu %s exits expected): %s: %s\n",
		       (unsigned long long)r->counters.xcheck_expected,
		       r->plan.primary < 0 ? "judged" : rname, xcheck,
		       agree ? "agree, reason by reason" : "DISAGREE");
	}
	for (i = 0; i < MAX_FIGURES && t->figures[i].name; i++) {
		struct summary sm = summarize(r->figure_samples[i], r->ntrials);

		printf("# %s: %.1f %s (median of %u, CV %.1f%%)\n", t->figures[i].name, sm.median,
		       t->figures[i].unit, r->ntrials, sm.cv * 100);
	}
	if (r->nvcpus > 1) {
		for (i = 0; i < (int)r->nvcpus; i++) {
			const struct result_vcpu *x = &r->vcpu[i];
			const struct counter_source *q = counters_primary(&x->counters);
			struct summary sm = summarize(x->samples, r->ntrials);

			printf("# vCPU %d (%s%s): %.1f %s; %s exits expected %llu, counted %llu by %s: %s\n",
			       i, x->receiver ? "receiver" : t->guest_receiver ? "sender" : "loop",
			       x->cpu >= 0 ? (snprintf(more, sizeof(more), ", CPU %d", x->cpu), more) : "",
			       sm.median, unit, rname, q ? (unsigned long long)q->expected : 0ULL,
			       q ? (unsigned long long)q->counted : 0ULL, q ? q->ops->name : "no source",
			       verdict_name(counters_verdict(&x->counters)));
		}
	}
	{
		const struct counter_source *ks;
		const char *why;
		double kc;

		ks = r->counters.target ? kernel_cycles(r, &kc, &why) : NULL;
		if (ks)
			printf("# kernel: %.1f host TSC cycles/exit from VM exit to the next VM entry (%s)\n",
			       kc, ks->ops->name);
		else if (r->opts && r->opts->verbose && r->counters.target)
			printf("# kernel cycles: none: %s\n", why);
	}
	/* The figures as key=value, units in the keys: what a lab scrapes. */
	printf("# metrics: test=exit_%s reason=%s cycles_per_exit_median=%.1f cycles_per_exit_p10=%.1f "
	       "cycles_per_exit_p90=%.1f cycles_per_exit_cv_pct=%.2f ns_per_exit_median=%.1f trials=%u "
	       "iterations=%llu exits_expected=%s exits_counted=%s counter_source=%s attribution=%s\n",
	       t->name, rname, cpe.median, cpe.p10, cpe.p90, cpe.cv * 100, cpe.median * ns, r->ntrials,
	       (unsigned long long)r->iterations,
	       e ? (snprintf(expected, sizeof(expected), "%llu", (unsigned long long)e->expected), expected) : "-",
	       p ? (snprintf(counted, sizeof(counted), "%llu", (unsigned long long)p->counted), counted) : "-",
	       p ? p->ops->name : "-", verdict_name(v));
	/* Say the unit where the figure is not per exit of the test's reason. */
	per_exit = r->plan.primary >= 0 && strstr(unit, " exit") && !strstr(unit, "iteration");
	if (isfinite(ns))
		snprintf(nsbuf, sizeof(nsbuf), ", %.1f ns/exit", cpe.median * ns);
	else
		snprintf(nsbuf, sizeof(nsbuf), " (no ns: TSC rate unknown)");
	(fail ? ksft_test_result_fail : ksft_test_result_pass)(
		"exit_%s: %.1f cycles/exit (%s%smedian of %u, CV %.1f%%)%s; %s%s%s\n",
		t->name, cpe.median, per_exit ? "" : unit, per_exit ? "" : "; ", r->ntrials,
		cpe.cv * 100, nsbuf, attr, fail ? "; " : "", fail ? r->reason : "");
	finish(r, fail ? KSFT_FAIL : KSFT_PASS);
}

void result_skip_early(const struct exit_test *t, const char *json_path,
		       const char *why, int err)
{
	struct options o = { .json_path = json_path, .cpu = -1, .max_cv = DEFAULT_MAX_CV };
	/*
	 * On the heap, not static: the guest's memslot 0 holds a copy of this
	 * program's image, bss included, and has little room to spare.
	 */
	struct result *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	ksft_print_header();
	ksft_set_plan(1);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "exit_%s: cannot write the KTAP header to stdout: %s\n", t->name,
			strerror(errno));
		exit(EXIT_ERROR);
	}
	result_init(r, t, &o);
	snprintf(r->reason, sizeof(r->reason), "%s%s%s", why, err ? ": " : "",
		 err ? strerror(err) : "");
	result_finish(r, RESULT_SKIP);
}
