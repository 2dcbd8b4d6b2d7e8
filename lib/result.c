// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"

#include "json.h"
#include "result.h"
#include "sysinfo.h"

void result_init(struct result *r, const struct exit_test *t, const struct options *o)
{
	memset(r, 0, sizeof(*r));
	r->test = t;
	r->opts = o;
	r->vendor = detect_vendor();
}

const char *result_reason_name(const struct exit_test *t, enum vendor v,
			       char *buf, size_t len)
{
	const char *vmx = vmx_reason_name(t->reason.vmx);
	const char *svm = svm_reason_name(t->reason.svm);

	if (v == VENDOR_VMX)
		snprintf(buf, len, "%s", vmx ? vmx : "UNKNOWN");
	else if (v == VENDOR_SVM)
		snprintf(buf, len, "%s", svm ? svm : "unknown");
	else
		snprintf(buf, len, "%s/%s", vmx ? vmx : "UNKNOWN", svm ? svm : "unknown");
	return buf;
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

static void write_source(struct json *j, const struct counter_source *s)
{
	json_begin_object(j);
	json_kv_string(j, "name", s->ops->name);
	json_kv_bool(j, "usable", s->usable);
	json_kv_string(j, "why_not", s->usable ? NULL : s->why);
	json_kv_bool(j, "sees_reason", s->usable && s->sees_reason);
	json_kv_u64(j, "windows", s->windows);
	json_kv_u64(j, "expected", s->expected);
	if (s->usable && s->sees_reason)
		json_kv_u64(j, "counted", s->counted);
	else
		json_kv_string(j, "counted", NULL);
	if (s->usable && s->sees_total)
		json_kv_u64(j, "total", s->total);
	else
		json_kv_string(j, "total", NULL);
	json_kv_string(j, "verdict", s->usable && s->sees_reason && s->windows ?
		       verdict_name(s->verdict) : "unverified");
	if (s->usable && s->has_cycles)
		json_kv_u64(j, "cycles", s->cycles);
	else
		json_kv_string(j, "cycles", NULL);
	if (s->usable && s->xcheck)
		json_kv_u64(j, "cross_check_counted", s->xcheck_counted);
	else
		json_kv_string(j, "cross_check_counted", NULL);
	json_end_object(j);
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
	for (k = 0; k < cs->n; k++)
		if (cs->src[k].usable && cs->src[k].xcheck)
			json_kv_u64(j, cs->src[k].ops->name, cs->src[k].xcheck_counted);
	json_end_object(j);
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

	for (k = 0; k < cs->n; k++) {
		const struct counter_source *s = &cs->src[k];

		if (!s->usable || !s->sees_reason || !s->sees_total || !s->windows)
			continue;
		if (s->counted || s->total - s->counted >= s->expected / 2)
			return false;
		seen++;
	}
	return seen > 0;
}

/*
 * The kernel's own figure: host TSC cycles from each exit of the reason to
 * the next VM entry (exit_cycles_by_reason, or the debugfs cycles column),
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
		    r->counters.src[k].sees_reason)
			s = &r->counters.src[k];
	*why = NULL;
	if (!s) {
		*why = "no source has per-reason cycles (the patched kernel's exit_cycles_by_reason or debugfs table)";
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

static void write_json(const struct result *r, const char *status, const struct summary *cpe,
		       enum verdict v)
{
	const struct exit_test *t = r->test;
	const struct counter_source *p = counters_primary(&r->counters);
	const char *path = r->opts ? r->opts->json_path : NULL;
	double ns = r->tsc_khz ? 1e6 / (double)r->tsc_khz : NAN;
	char tmp[4096], name[64], rname[64];
	struct json j;
	unsigned int i;
	FILE *f;
	int fd, k;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "exit_%s: cannot write %s: %s\n", t->name, tmp, strerror(errno));
		exit(KSFT_FAIL);
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
	json_kv_u64(&j, "vmx", t->reason.vmx);
	json_kv_u64(&j, "svm", t->reason.svm);
	json_kv_string(&j, "name", result_reason_name(t, r->vendor, rname, sizeof(rname)));
	json_kv_string(&j, "vmx_name", vmx_reason_name(t->reason.vmx));
	json_kv_string(&j, "svm_name", svm_reason_name(t->reason.svm));
	json_end_object(&j);
	json_kv_u64(&j, "exits_per_iteration", t->exits_per_iteration ? t->exits_per_iteration : 1);
	json_kv_u64(&j, "iterations", r->iterations);
	json_kv_bool(&j, "iterations_scaled", r->scaled);
	json_kv_u64(&j, "target_cycles", r->opts ? r->opts->target_cycles : 0);
	json_kv_u64(&j, "trials", r->ntrials);
	json_kv_i64(&j, "cpu", r->opts ? r->opts->cpu : -1);
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

	json_key(&j, "attribution");
	json_begin_object(&j);
	json_kv_string(&j, "source", p ? p->ops->name : NULL);
	if (p) {
		json_kv_u64(&j, "expected", p->expected);
		json_kv_u64(&j, "windows", p->windows);
		json_kv_u64(&j, "counted", p->counted);
		if (p->sees_total && p->total >= p->counted)
			json_kv_u64(&j, "other", p->total - p->counted);
		else
			json_kv_string(&j, "other", NULL);
	} else {
		const struct counter_source *any = NULL;

		/* No source sees the reason; any that counted windows knows the expectation. */
		for (k = 0; k < r->counters.n && !any; k++)
			if (r->counters.src[k].usable && r->counters.src[k].windows)
				any = &r->counters.src[k];
		if (any) {
			json_kv_u64(&j, "expected", any->expected);
			json_kv_u64(&j, "windows", any->windows);
		} else {
			json_kv_string(&j, "expected", NULL);
			json_kv_string(&j, "windows", NULL);
		}
		json_kv_string(&j, "counted", NULL);
		json_kv_string(&j, "other", NULL);
	}
	json_kv_string(&j, "verdict", verdict_name(v));
	json_kv_double(&j, "tolerance", t->tolerance);
	json_kv_u64(&j, "harness_exits_per_trial", exitbench_harness_exits(t));
	json_key(&j, "sources");
	json_begin_array(&j);
	for (k = 0; k < r->counters.n; k++)
		write_source(&j, &r->counters.src[k]);
	json_end_array(&j);
	write_cross_check(&j, &r->counters);
	write_exits_by_reason(&j, r);
	write_kernel_cycles(&j, r);
	json_end_object(&j);

	json_key(&j, "host");
	json_begin_object(&j);
	sysinfo_write(&j, r->tsc_khz);
	json_end_object(&j);
	json_end_object(&j);
	fputc('\n', f);
	if (!json_ok(&j) || fclose(f)) {
		fprintf(stderr, "exit_%s: writing %s failed\n", t->name, tmp);
		unlink(tmp);
		exit(KSFT_FAIL);
	}
	/* link() does not replace: an existing result is never overwritten. */
	if (link(tmp, path)) {
		fprintf(stderr, "exit_%s: cannot create %s: %s\n", t->name, path, strerror(errno));
		unlink(tmp);
		exit(KSFT_FAIL);
	}
	unlink(tmp);
}

void result_finish(struct result *r, enum result_kind kind)
{
	const struct exit_test *t = r->test;
	const struct counter_source *p;
	struct summary cpe = summarize(r->samples, r->ntrials);
	enum verdict v = counters_verdict(&r->counters);
	double ns = r->tsc_khz ? 1e6 / (double)r->tsc_khz : NAN;
	bool fail = kind == RESULT_FAIL;
	char rname[64], counted[32], expected[32], xcheck[512];
	bool agree;
	int k;

	exitbench_watchdog(0);
	if (kind == RESULT_MEASURED && r->vendor == VENDOR_OTHER && v != VERDICT_MISMATCH &&
	    !(isfinite(cpe.median) && cpe.median > 0)) {
		snprintf(r->reason, sizeof(r->reason),
			 "not measurable here: the exiting loop was not slower than its baseline "
			 "(median %.1f cycles/exit) on a KVM that is neither VMX nor SVM, which may "
			 "emulate every guest instruction", cpe.median);
		kind = RESULT_SKIP;
	}
	if (kind == RESULT_MEASURED && v == VERDICT_MISMATCH && loop_never_exited(&r->counters)) {
		char where[256];

		describe_buckets(r, where, sizeof(where));
		snprintf(r->reason, sizeof(r->reason),
			 "the exit does not happen here: the loop's instruction caused no VM exit at all "
			 "(every source that sees all exits agrees; all exits in the windows: %s), "
			 "so this CPU or emulator does not intercept it", where);
		kind = RESULT_SKIP;
	}
	if (kind == RESULT_SKIP) {
		write_json(r, "skip", &cpe, VERDICT_UNVERIFIED);
		ksft_test_result_skip("exit_%s: %s\n", t->name, r->reason);
		exit(KSFT_SKIP);
	}
	if (kind == RESULT_MEASURED) {
		if (v == VERDICT_MISMATCH) {
			char where[256];

			describe_buckets(r, where, sizeof(where));
			snprintf(r->reason, sizeof(r->reason), "exits were not counted where expected%s%s%s",
				 where[0] ? " (all exits by reason: " : "", where, where[0] ? ")" : "");
		}
		else if (!isfinite(cpe.median) || cpe.median <= 0) {
			snprintf(r->reason, sizeof(r->reason),
				 "the exiting loop was not slower than its baseline (median %.1f cycles/exit): did the exit happen?",
				 cpe.median);
		}
		fail = r->reason[0] != 0;
	}
	p = counters_primary(&r->counters);
	result_reason_name(t, r->vendor, rname, sizeof(rname));
	if (r->opts && r->opts->verbose) {
		for (k = 0; k < r->counters.n; k++) {
			const struct counter_source *s = &r->counters.src[k];

			if (!s->usable)
				printf("# counters %s: not used: %s\n", s->ops->name, s->why);
			else
				printf("# counters %s: %s exits expected %llu, counted %s%llu, all exits %s%llu: %s\n",
				       s->ops->name, rname, (unsigned long long)s->expected,
				       s->sees_reason ? "" : "(unseen) ", (unsigned long long)s->counted,
				       s->sees_total ? "" : "(unseen) ", (unsigned long long)s->total,
				       s->sees_reason ? verdict_name(s->verdict) : "unverified");
		}
		if (t->note)
			printf("# note: %s\n", t->note);
	}
	write_json(r, fail ? "fail" : "pass", &cpe, v);
	if (kind == RESULT_FAIL) {
		ksft_test_result_fail("exit_%s: %s\n", t->name, r->reason);
		exit(KSFT_FAIL);
	}
	if (counters_cross_check(&r->counters, &agree) >= 2) {
		int off = 0;

		for (k = 0; k < r->counters.n && off < (int)sizeof(xcheck); k++) {
			const struct counter_source *s = &r->counters.src[k];

			if (s->usable && s->xcheck)
				off += snprintf(xcheck + off, sizeof(xcheck) - off, "%s%s %llu",
						off ? ", " : "", s->ops->name,
						(unsigned long long)s->xcheck_counted);
		}
		printf("# cross-check, one loop counted by every source (%llu exits expected): %s: %s\n",
		       (unsigned long long)r->counters.xcheck_expected, xcheck,
		       agree ? "agree" : "DISAGREE");
	}
	{
		const struct counter_source *ks;
		const char *why;
		double kc;

		ks = kernel_cycles(r, &kc, &why);
		if (ks)
			printf("# kernel: %.1f host TSC cycles/exit from VM exit to the next VM entry (%s)\n",
			       kc, ks->ops->name);
		else if (r->opts && r->opts->verbose)
			printf("# kernel cycles: none: %s\n", why);
	}
	(fail ? ksft_test_result_fail : ksft_test_result_pass)(
		"exit_%s: %.1f cycles/exit (median of %u, CV %.1f%%), %.1f ns/exit; %s exits expected %s, counted %s by %s: attribution %s%s%s\n",
		t->name, cpe.median, r->ntrials, cpe.cv * 100, cpe.median * ns, rname,
		p ? (snprintf(expected, sizeof(expected), "%llu", (unsigned long long)p->expected), expected) : "-",
		p ? (snprintf(counted, sizeof(counted), "%llu", (unsigned long long)p->counted), counted) : "-",
		p ? p->ops->name : "no source", verdict_name(v),
		fail ? "; " : "", fail ? r->reason : "");
	exit(fail ? KSFT_FAIL : KSFT_PASS);
}

void result_skip_early(const struct exit_test *t, const char *json_path,
		       const char *why, int err)
{
	struct options o = { .json_path = json_path, .cpu = -1 };
	static struct result r;

	ksft_print_header();
	ksft_set_plan(1);
	result_init(&r, t, &o);
	snprintf(r.reason, sizeof(r.reason), "%s%s%s", why, err ? ": " : "",
		 err ? strerror(err) : "");
	result_finish(&r, RESULT_SKIP);
}
