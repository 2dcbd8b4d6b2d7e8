// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: statistics, JSON writer, option parsing, reason tables, counter deltas. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "cli.h"
#include "counters.h"
#include "course_parse.h"
#include "expect.h"
#include "debugfs_table.h"
#include "json.h"
#include "kvm_stats.h"
#include "reasons.h"
#include "result.h"
#include "stats.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok - %s:%d: ", __FILE__, __LINE__);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_stats(void)
{
	double odd[] = { 5, 1, 3, 2, 4 };
	double even[] = { 10, 40, 20, 30 };
	double one[] = { 7 };
	double same[] = { 3, 3, 3 };
	struct summary s;

	s = summarize(odd, 5);
	CHECK(NEAR(s.median, 3) && NEAR(s.min, 1) && NEAR(s.max, 5), "odd median/min/max %g %g %g", s.median, s.min, s.max);
	CHECK(NEAR(s.p10, 1.4) && NEAR(s.p90, 4.6), "p10/p90 interpolate: %g %g", s.p10, s.p90);
	CHECK(NEAR(s.mean, 3) && NEAR(s.stddev, sqrt(2.5)), "mean %g stddev %g", s.mean, s.stddev);
	CHECK(NEAR(s.cv, sqrt(2.5) / 3), "cv %g", s.cv);
	CHECK(odd[0] == 5 && odd[1] == 1, "summarize must not reorder its input");
	s = summarize(even, 4);
	CHECK(NEAR(s.median, 25), "even median %g", s.median);
	s = summarize(one, 1);
	CHECK(NEAR(s.median, 7) && s.stddev == 0 && s.cv == 0, "one sample: median %g stddev %g", s.median, s.stddev);
	s = summarize(same, 3);
	CHECK(s.cv == 0 && NEAR(s.p10, 3), "identical samples have cv 0");
	s = summarize(NULL, 0);
	CHECK(isnan(s.median) && isnan(s.cv), "no samples: NAN");
	CHECK(isnan(percentile_sorted(one, 1, 101)), "percentile out of range is NAN");
}

static char *json_to_string(void (*fn)(struct json *), bool *ok)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct json j;

	json_init(&j, f);
	fn(&j);
	*ok = json_ok(&j);
	fclose(f);
	return buf;
}

static void doc_full(struct json *j)
{
	json_begin_object(j);
	json_kv_string(j, "s", "a\"b\\c\n\x01");
	json_kv_u64(j, "u", 18446744073709551615ULL);
	json_kv_i64(j, "i", -5);
	json_kv_double(j, "d", 1.5);
	json_kv_double(j, "nan", NAN);
	json_kv_bool(j, "b", true);
	json_kv_string(j, "null", NULL);
	json_key(j, "a");
	json_begin_array(j);
	json_u64(j, 1);
	json_begin_object(j);
	json_end_object(j);
	json_end_array(j);
	json_end_object(j);
}

static void doc_unclosed(struct json *j)
{
	json_begin_object(j);
	json_kv_u64(j, "x", 1);
}

static void doc_key_in_array(struct json *j)
{
	json_begin_array(j);
	json_key(j, "x");
	json_u64(j, 1);
	json_end_array(j);
}

static void doc_dangling_key(struct json *j)
{
	json_begin_object(j);
	json_key(j, "x");
	json_end_object(j);
}

static void test_json(void)
{
	bool ok;
	const char *s = json_to_string(doc_full, &ok);

	CHECK(ok, "complete document is ok");
	CHECK(!strcmp(s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"u\":18446744073709551615,\"i\":-5,"
		      "\"d\":1.5,\"nan\":null,\"b\":true,\"null\":null,\"a\":[1,{}]}"),
	      "JSON text: %s", s);
	json_to_string(doc_unclosed, &ok);
	CHECK(!ok, "unclosed object is reported");
	json_to_string(doc_key_in_array, &ok);
	CHECK(!ok, "key inside an array is reported");
	json_to_string(doc_dangling_key, &ok);
	CHECK(!ok, "key without value is reported");
}

static int parse(struct options *o, char *err, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = { "exit_test", (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 1 + !!a1 + !!a2 + !!a3;

	return parse_options(argc, argv, o, err, 256);
}

static void test_cli(void)
{
	struct options o;
	char err[256];

	CHECK(!parse(&o, err, NULL, NULL, NULL) && o.trials == DEFAULT_TRIALS && o.cpu == -1 &&
	      o.iterations == 0 && o.target_cycles == 0 && o.vcpus == 0 && !o.xapic && !o.kvmclock &&
	      o.ncpus == 0, "defaults (target cycles: scaled to the noise)");
	CHECK(!parse(&o, err, "-c", "1,0,3", NULL) && o.ncpus == 3 && o.cpus[0] == 1 && o.cpus[2] == 3 &&
	      o.cpu == 1, "-c list");
	CHECK(parse(&o, err, "-c", "1,,2", NULL) && strstr(err, "separated by commas"), "-c 1,,2: %s", err);
	CHECK(parse(&o, err, "-c", "1,", NULL), "-c 1,");
	CHECK(parse(&o, err, "-c", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", NULL), "-c too many");
	CHECK(!parse(&o, err, "--vcpus", "4", "--xapic") && o.vcpus == 4 && o.xapic, "--vcpus --xapic");
	CHECK(!parse(&o, err, "--kvmclock", NULL, NULL) && o.kvmclock && !o.xapic, "--kvmclock");
	CHECK(parse(&o, err, "--kvmclock=1", NULL, NULL) && strstr(err, "'--kvmclock' takes no value"),
	      "--kvmclock=1 (takes no value): %s", err);
	CHECK(parse(&o, err, "--vcpus", "0", NULL) && strstr(err, "--vcpus wants"), "--vcpus 0: %s", err);
	CHECK(parse(&o, err, "--vcpus", "17", NULL), "--vcpus 17");
	CHECK(!parse(&o, err, "-n", "1000", "-v") && o.iterations == 1000 && o.verbose == 1, "-n -v");
	CHECK(!parse(&o, err, "--trials=5", "--cpu", "1") && o.trials == 5 && o.cpu == 1, "long options");
	CHECK(!parse(&o, err, "--json", "x.json", NULL) && !strcmp(o.json_path, "x.json"), "--json");
	CHECK(!parse(&o, err, "--counters=stats-fd", NULL, NULL) && !strcmp(o.counters, "stats-fd"), "--counters");
	CHECK(!parse(&o, err, "-h", NULL, NULL) && o.help, "-h");
	CHECK(parse(&o, err, "-n", "0", NULL) && strstr(err, "-n wants"), "-n 0: %s", err);
	CHECK(parse(&o, err, "-n", "12x", NULL), "-n 12x");
	CHECK(parse(&o, err, "-n", "-5", NULL), "-n -5");
	CHECK(parse(&o, err, "-n", "99999999999999999999999", NULL), "-n overflow");
	CHECK(parse(&o, err, "-t", "0", NULL) && strstr(err, "trials"), "-t 0: %s", err);
	CHECK(parse(&o, err, "-t", "1001", NULL), "-t too many");
	CHECK(parse(&o, err, "-c", "-1", NULL), "-c -1");
	CHECK(parse(&o, err, "--target-cycles", "10", NULL), "--target-cycles too small");
	CHECK(parse(&o, err, "--bogus", NULL, NULL) && strstr(err, "unknown option '--bogus'"), "unknown long: %s", err);
	CHECK(parse(&o, err, "-x", NULL, NULL) && strstr(err, "unknown option"), "unknown short: %s", err);
	CHECK(parse(&o, err, "-n", NULL, NULL) && strstr(err, "needs a value"), "missing value: %s", err);
	CHECK(parse(&o, err, "stray", NULL, NULL) && strstr(err, "unexpected argument 'stray'"), "stray: %s", err);
	CHECK(parse(&o, err, "--json=", NULL, NULL), "empty --json");
	CHECK(!parse(&o, err, "--dry-run", NULL, NULL) && o.dry_run, "--dry-run");
	CHECK(!parse(&o, err, NULL, NULL, NULL) && o.max_cv == DEFAULT_MAX_CV && !o.dry_run, "--max-cv default");
	CHECK(!parse(&o, err, "--max-cv", "25", NULL) && o.max_cv == 0.25, "--max-cv 25 is 25%%");
	CHECK(parse(&o, err, "--max-cv", "0", NULL) && strstr(err, "--max-cv wants"), "--max-cv 0: %s", err);
	CHECK(parse(&o, err, "--max-cv", "inf", NULL), "--max-cv inf");
	CHECK(parse(&o, err, "-vx", NULL, NULL) && strstr(err, "unknown option '-x'"), "-vx names -x: %s", err);
}

static void test_reasons(void)
{
	enum vendor v;

	/* Known answers from the SDM/APM, checked against the kernel's tables. */
	CHECK(!strcmp(vmx_reason_name(10), "CPUID"), "VMX 10 is CPUID (not 9: %s)", vmx_reason_name(9));
	CHECK(!strcmp(vmx_reason_name(12), "HLT"), "VMX 12 is HLT");
	CHECK(!strcmp(vmx_reason_name(28), "CR_ACCESS"), "VMX 28 is CR_ACCESS, not HLT");
	CHECK(!strcmp(vmx_reason_name(30), "IO_INSTRUCTION"), "VMX 30");
	CHECK(!strcmp(vmx_reason_name(48), "EPT_VIOLATION") && !strcmp(vmx_reason_name(49), "EPT_MISCONFIG"), "VMX 48/49");
	CHECK(!strcmp(vmx_reason_name(2), "TRIPLE_FAULT") && !strcmp(vmx_reason_name(18), "VMCALL"), "VMX 2/18");
	CHECK(vmx_reason_name(35) == NULL && vmx_reason_name(1000) == NULL, "undefined VMX reasons have no name");
	CHECK(!strcmp(svm_reason_name(0x72), "cpuid") && !strcmp(svm_reason_name(0x78), "hlt"), "SVM cpuid/hlt");
	CHECK(!strcmp(svm_reason_name(0x7b), "io") && !strcmp(svm_reason_name(0x7c), "msr"), "SVM io/msr");
	CHECK(!strcmp(svm_reason_name(0x400), "npf") && !strcmp(svm_reason_name(0x81), "hypercall"), "SVM npf/vmmcall (named hypercall)");
	CHECK(!strcmp(svm_reason_name(0x7f), "shutdown") && !strcmp(svm_reason_name(0x14), "write_cr4"), "SVM shutdown/cr4");
	CHECK(svm_reason_name(0x3ff) == NULL, "undefined SVM code has no name");
	CHECK(!vendor_from_name("vmx", &v) && v == VENDOR_VMX, "vendor vmx");
	CHECK(vendor_from_name("intel", &v), "unknown vendor name");
}

static void test_counters(void)
{
	uint64_t vmm[VMM_EXIT_SLOTS] = { 0 };
	/* One reason, IO, the test's own; counted per iteration (the ucall folded in). */
	static const struct expect_plan plan = {
		.vendor = VENDOR_OTHER, .n = 1, .primary = 0,
		.r = { { .id = { 30, 0x7b }, .code = EXIT_NONE, .per_iteration = 1 } },
	};
	struct counter_target t = {
		.vendor = VENDOR_OTHER,
		.reason = { 30, 0x7b },
		.plan = &plan,
		.userspace_exit = KVM_EXIT_IO,
		.vmm_exits = vmm,
	};
	struct counter_set cs;
	char err[256];

	CHECK(judge(10, 10, 0) == VERDICT_EXACT, "equal is exact");
	CHECK(judge(10, 11, 0) == VERDICT_MISMATCH, "off by one, no tolerance: mismatch");
	CHECK(judge(100, 110, 0.1) == VERDICT_WITHIN && judge(100, 90, 0.1) == VERDICT_WITHIN, "within 10%%");
	CHECK(judge(100, 111, 0.1) == VERDICT_MISMATCH, "outside 10%%");
	CHECK(counters_validate("vmm,stats-fd", err, sizeof(err)) == 0, "valid list");
	CHECK(counters_validate("vmm,nope", err, sizeof(err)) && strstr(err, "'nope'"), "unknown source: %s", err);

	CHECK(!counters_open(&cs, "vmm", &t, 0, err, sizeof(err)), "open vmm: %s", err);
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 101;
	counters_end(&cs, false, 101);
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 101;
	counters_end(&cs, false, 101);
	CHECK(counters_verdict(&cs) == VERDICT_EXACT && counters_primary(&cs)->counted == 202 &&
	      counters_primary(&cs)->expected == 202, "two exact windows sum to exact");
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 99;
	vmm[KVM_EXIT_MMIO] += 2;
	counters_end(&cs, false, 101);
	CHECK(counters_verdict(&cs) == VERDICT_MISMATCH, "one short window makes a mismatch");
	counters_close(&cs);

	/* Compensating windows still mismatch: each window is judged. */
	CHECK(!counters_open(&cs, "vmm", &t, 0, err, sizeof(err)), "reopen");
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 9;
	counters_end(&cs, false, 10);
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 11;
	counters_end(&cs, false, 10);
	CHECK(counters_primary(&cs)->counted == 20 && counters_verdict(&cs) == VERDICT_MISMATCH,
	      "20 of 20 over two wrong windows is still a mismatch");
	counters_close(&cs);

	/* The untimed window: every source counts the same loop; agreement is checked. */
	CHECK(!counters_open(&cs, "vmm", &t, 0, err, sizeof(err)), "open vmm for a cross-check");
	counters_begin(&cs, false);
	vmm[KVM_EXIT_IO] += 5;
	counters_end(&cs, false, 5);
	{
		bool agree;

		CHECK(counters_cross_check(&cs, &agree) == 0, "no cross-check without a perturbing window");
		counters_begin(&cs, true);
		vmm[KVM_EXIT_IO] += 7;
		counters_end(&cs, true, 7);
		CHECK(cs.xcheck_expected == 7 && cs.src[0].xcheck && cs.src[0].xcheck_counted == 7 &&
		      counters_primary(&cs)->windows == 2 && counters_primary(&cs)->expected == 12,
		      "non-perturbing sources count the perturbing window too");
		CHECK(counters_cross_check(&cs, &agree) == 1 && agree, "one source agrees with itself");
		cs.src[cs.n] = cs.src[0];	/* a second source that saw the same loop */
		cs.n++;
		CHECK(counters_cross_check(&cs, &agree) == 2 && agree, "two equal counts agree");
		cs.src[1].xcheck_counted = 8;
		cs.src[1].xcheck_each[0] = 8;
		CHECK(counters_cross_check(&cs, &agree) == 2 && !agree, "7 vs 8 disagree");
		cs.n--;
	}
	counters_close(&cs);

	t.userspace_exit = 0;	/* exits that never reach userspace: vmm cannot see them */
	CHECK(!counters_open(&cs, "vmm", &t, 0, err, sizeof(err)), "open vmm, unseen");
	counters_begin(&cs, false);
	counters_end(&cs, false, 10);
	CHECK(counters_primary(&cs) == NULL && counters_verdict(&cs) == VERDICT_UNVERIFIED,
	      "no source sees the reason: unverified");
	counters_close(&cs);

	t.vendor = VENDOR_OTHER;
	CHECK(counters_open(&cs, "tracepoint", &t, 0, err, sizeof(err)) && strstr(err, "cannot be used"),
	      "a named source that cannot work is an error: %s", err);
}

/* A source that sees every reason (buckets), fed by the test. */
static struct counter_reading fake_now;

static int fake_open(struct counter_source *src, const struct counter_target *t, char *why, size_t len)
{
	(void)src; (void)t; (void)why; (void)len;
	return 0;
}

static int fake_read(struct counter_source *src, struct counter_reading *r, char *why, size_t len)
{
	(void)src; (void)why; (void)len;
	*r = fake_now;
	return 0;
}

static const struct counter_source_ops fake_ops = {
	.name = "fake", .what = "unit test", .open = fake_open, .read = fake_read,
};

static void fake_exits(int bucket, uint64_t n)
{
	fake_now.buckets[bucket] += n;
	fake_now.total += n;
}

static bool when_apicv(const struct kvm_config *c)
{
	return c->apicv;
}

static void test_plan(void)
{
	/* VMX: self-IPI over x2APIC: two MSR writes, a window; CPUID once a loop; a DR write after each host exit. */
	static const struct exit_expect e[] = {
		{ .reason = { 32, 0x7c }, .per_iteration = 1, .why = "ICR" },
		{ .reason = { 32, 0x7c }, .per_iteration = 1, .why = "EOI" },
		{ .reason = { 56, EXIT_NONE }, .per_iteration = 1, .when = when_apicv, .why = "APIC write with APICv" },
		{ .reason = { 7, 0x64 }, .per_iteration = 1, .timing = true, .why = "window" },
		{ .reason = { 29, 0x27 }, .per_window = 1, .per_host_exit = 1, .why = "DR" },
		{ .reason = { 12, 0x78 }, .per_iteration = 1, .event = 1, .per_event = -1, .why = "HLT" },
		{ .why = NULL },
	};
	struct kvm_config c = { .vendor = VENDOR_VMX };
	struct expect_plan p, sum = { 0 };
	struct counter_target t = { .vendor = VENDOR_VMX, .plan = &p };
	struct counter_set cs;
	uint64_t events[MAX_EVENTS] = { 2 };
	int i, msr = -1, io = -1, ext = -1, apicw = -1;

	CHECK(!expect_resolve(&p, e, &c, true), "resolve");
	for (i = 0; i < p.n; i++) {
		msr = p.r[i].code == 32 ? i : msr;
		io = p.r[i].code == 30 ? i : io;
		ext = p.r[i].code == 1 ? i : ext;
		apicw = p.r[i].code == 56 ? i : apicw;
	}
	CHECK(p.primary == msr && p.r[msr].per_iteration == 2, "two MSR entries merge into one reason, the test's");
	CHECK(apicw >= 0 && p.r[apicw].per_iteration == 0, "an entry that does not apply is kept at 0 (judged)");
	CHECK(io >= 0 && p.r[io].per_window == 1 && p.r[io].harness, "the ucall: one IO exit per window, the harness's");
	CHECK(ext >= 0 && p.r[ext].host, "external interrupts: the host's, not judged");
	c.vendor = VENDOR_SVM;
	CHECK(!expect_resolve(&sum, e, &c, false), "resolve SVM");
	for (i = 0; i < sum.n; i++)
		CHECK(sum.r[i].code != 56 && sum.r[i].code != 30, "SVM: no VMX-only reason, no ucall when asked");
	c.vendor = VENDOR_VMX;
	c.apicv = true;
	CHECK(!expect_resolve(&sum, e, &c, true) && sum.r[apicw].per_iteration == 1, "with APICv it applies");

	memset(&cs, 0, sizeof(cs));
	cs.target = &t;
	cs.n = 1;
	cs.src[0].ops = &fake_ops;
	cs.src[0].usable = true;
	cs.src[0].sees_total = true;
	memset(&fake_now, 0, sizeof(fake_now));
	fake_now.has_buckets = true;
	counters_begin(&cs, false);
	fake_exits(32, 20);		/* 10 iterations */
	fake_exits(7, 3);		/* timing: any count */
	fake_exits(1, 2);		/* two host interrupts */
	fake_exits(29, 3);		/* 1 + 2 host exits */
	fake_exits(12, 8);		/* 10 HLTs less 2 stepped over */
	fake_exits(30, 1);		/* the ucall */
	counters_end_events(&cs, false, 10, events);
	CHECK(counters_verdict(&cs) == VERDICT_EXACT && cs.src[0].judges_other && !cs.src[0].other,
	      "every stated count exact, timing and host exits not judged: exact (verdict %s)",
	      verdict_name(cs.src[0].verdict));
	CHECK(counters_primary(&cs) == &cs.src[0] && cs.src[0].expected == 20 && cs.src[0].counted == 20,
	      "the test's reason: 20 of 20");
	counters_begin(&cs, false);
	fake_exits(32, 20);
	fake_exits(29, 1);
	fake_exits(12, 10);
	fake_exits(30, 1);
	fake_exits(10, 1);		/* a CPUID nobody expected */
	counters_end_events(&cs, false, 10, NULL);
	CHECK(counters_verdict(&cs) == VERDICT_MISMATCH && cs.src[0].other == 1 &&
	      cs.src[0].other_verdict == VERDICT_MISMATCH, "an exit of no stated reason is a mismatch");
	counters_begin(&cs, false);
	fake_exits(32, 20);
	fake_exits(29, 1);
	fake_exits(12, 10);
	fake_exits(30, 1);
	fake_exits(56, 1);		/* APIC write, not with this configuration */
	counters_end_events(&cs, false, 10, NULL);
	CHECK(cs.src[0].r_verdict[apicw] == VERDICT_MISMATCH, "an alternative that does not apply must not occur");

	/* Two vCPUs' plans add up. */
	memset(&sum, 0, sizeof(sum));
	CHECK(!expect_add(&sum, &p) && !expect_add(&sum, &p) && sum.n == p.n &&
	      sum.r[msr].per_iteration == 4 && sum.r[io].per_window == 2 && sum.primary == p.primary,
	      "the sum of two plans");
}

/* A nested test's plan: per level, reflections, sums for sources that see no levels. */
static void test_nested_plan(void)
{
	/* VMX: L2's CPUID reflected to L1, L1's VMRESUME, L2's VMCALL once a window; L2 I/O too. */
	static const struct exit_expect e[] = {
		{ .reason = { 10, 0x72 }, .level = EXIT_L2, .reflected = true, .per_iteration = 1, .why = "CPUID" },
		{ .reason = { 18, 0x81 }, .level = EXIT_L2, .reflected = true, .per_window = 1, .why = "done" },
		{ .reason = { 24, 0x80 }, .per_iteration = 1, .per_window = 1, .why = "VMRESUME" },
		{ .reason = { 30, 0x7b }, .level = EXIT_L2, .per_iteration = 2, .why = "L2 I/O" },
		{ .why = NULL },
	};
	struct kvm_config c = { .vendor = VENDOR_VMX };
	struct expect_plan p;
	struct counter_target t = { .vendor = VENDOR_VMX, .plan = &p };
	struct counter_set cs;
	int i, cpuid = -1, refl = -1, io1 = -1, io2 = -1, io12 = -1, ext1 = -1, ext2 = -1, ext12 = -1;
	char name[64];

	CHECK(!expect_resolve(&p, e, &c, true) && p.nested, "resolve a nested plan");
	for (i = 0; i < p.n; i++) {
		const struct expect_reason *r = &p.r[i];

		CHECK(r->nested, "every entry of a nested plan knows it");
		cpuid = r->code == 10 && r->level == EXIT_L2 ? i : cpuid;
		refl = r->code == 10 && r->level == EXIT_L2_REFLECTED ? i : refl;
		io1 = r->code == 30 && r->level == EXIT_L1 ? i : io1;
		io2 = r->code == 30 && r->level == EXIT_L2 ? i : io2;
		io12 = r->code == 30 && r->level == EXIT_L1_L2 ? i : io12;
		ext1 = r->code == 1 && r->level == EXIT_L1 ? i : ext1;
		ext2 = r->code == 1 && r->level == EXIT_L2 ? i : ext2;
		ext12 = r->code == 1 && r->level == EXIT_L1_L2 ? i : ext12;
	}
	CHECK(p.primary == cpuid && p.r[cpuid].per_iteration == 1 && !p.r[cpuid].shared,
	      "the test's reason is L2's CPUID, expected at one level only");
	CHECK(refl >= 0 && p.r[refl].per_iteration == 1, "its reflection to L1 is an entry of its own");
	CHECK(io1 >= 0 && io2 >= 0 && io12 >= 0 && p.r[io1].shared && p.r[io2].shared &&
	      p.r[io12].per_iteration == 2 && p.r[io12].per_window == 1,
	      "I/O in both levels (L2's loop, L1's ucall): an L1+L2 sum");
	CHECK(ext1 >= 0 && ext2 >= 0 && ext12 >= 0 && p.r[ext1].host && p.r[ext2].host && p.r[ext12].host,
	      "the host's interrupts come in both levels");
	CHECK(!strcmp(expect_reason_name(VENDOR_VMX, &p.r[refl], name, sizeof(name)), "L2 CPUID reflected to L1") &&
	      !strcmp(expect_reason_name(VENDOR_VMX, &p.r[io12], name, sizeof(name)), "L1+L2 IO_INSTRUCTION"),
	      "names carry the level: %s", name);

	/* A source of every reason that sees no levels: judged on sums and one-level reasons. */
	memset(&cs, 0, sizeof(cs));
	cs.target = &t;
	cs.n = 1;
	cs.src[0].ops = &fake_ops;
	cs.src[0].usable = true;
	cs.src[0].sees_total = true;
	memset(&fake_now, 0, sizeof(fake_now));
	fake_now.has_buckets = true;
	counters_begin(&cs, false);
	fake_exits(10, 10);		/* L2's CPUIDs */
	fake_exits(18, 1);		/* L2's VMCALL */
	fake_exits(24, 11);		/* L1's VMRESUMEs */
	fake_exits(30, 21);		/* L2's 20 OUTs and L1's ucall */
	fake_exits(1, 3);		/* host interrupts, either level */
	counters_end(&cs, false, 10);
	CHECK(counters_verdict(&cs) == VERDICT_EXACT && cs.src[0].judges_other && !cs.src[0].other,
	      "levels unseen: each exit counted once, exact (verdict %s, other %llu)",
	      verdict_name(cs.src[0].verdict), (unsigned long long)cs.src[0].other);
	CHECK(counters_sees(&cs, &cs.src[0], cpuid) && counters_sees(&cs, &cs.src[0], io12) &&
	      !counters_sees(&cs, &cs.src[0], io2) && !counters_sees(&cs, &cs.src[0], refl),
	      "it sees one-level reasons and sums, not a level of a shared reason, nor reflections");
	CHECK(counters_primary(&cs) == &cs.src[0] && cs.src[0].counted == 10, "L2's CPUID: 10 of 10");

	/* What KVM handled itself (stock stats): only L1's own reasons. */
	cs.src[0].l0_handled = true;
	CHECK(!counters_sees(&cs, &cs.src[0], cpuid) && !counters_sees(&cs, &cs.src[0], io12),
	      "a count of what KVM handled judges no L2 exit");
	cs.src[0].l0_handled = false;

	/* A source that tells the levels apart (each entry read on its own). */
	memset(&cs, 0, sizeof(cs));
	cs.target = &t;
	cs.n = 1;
	cs.src[0].ops = &fake_ops;
	cs.src[0].usable = true;
	cs.src[0].sees_total = true;
	cs.src[0].sees_levels = true;
	cs.src[0].sees_reflected = true;
	for (i = 0; i < p.n; i++)
		cs.src[0].sees |= 1u << i;
	memset(&fake_now, 0, sizeof(fake_now));
	counters_begin(&cs, false);
	fake_now.each[cpuid] += 10;
	fake_now.each[refl] += 10;
	for (i = 0; i < p.n; i++) {
		const struct expect_reason *r = &p.r[i];

		if (r->code == 18 && r->level != EXIT_L1_L2)
			fake_now.each[i] += 1;
		if (r->code == 24 && r->level == EXIT_L1)
			fake_now.each[i] += 11;
	}
	fake_now.each[io1] += 1;
	fake_now.each[io2] += 20;
	fake_now.each[io12] += 21;	/* a sum it is not judged on */
	fake_now.total += 10 + 1 + 11 + 21;
	counters_end(&cs, false, 10);
	CHECK(counters_verdict(&cs) == VERDICT_EXACT && cs.src[0].judges_other && !cs.src[0].other,
	      "levels seen: exact, reflections not counted as exits (verdict %s, other %llu)",
	      verdict_name(cs.src[0].verdict), (unsigned long long)cs.src[0].other);
	counters_begin(&cs, false);
	fake_now.each[cpuid] += 10;
	fake_now.each[refl] += 9;	/* one CPUID KVM kept from L1 */
	fake_now.each[io1] += 1;
	fake_now.each[io2] += 20;
	for (i = 0; i < p.n; i++) {
		if (p.r[i].code == 18 && p.r[i].level != EXIT_L1_L2)
			fake_now.each[i] += 1;
		if (p.r[i].code == 24 && p.r[i].level == EXIT_L1)
			fake_now.each[i] += 11;
	}
	fake_now.total += 10 + 1 + 11 + 21;
	counters_end(&cs, false, 10);
	CHECK(cs.src[0].r_verdict[refl] == VERDICT_MISMATCH && counters_verdict(&cs) == VERDICT_MISMATCH,
	      "a reflection short is a mismatch");

	/*
	 * The patched kernel's readings: buckets of both levels with an L2
	 * part. L2 entries read the part, L1 entries the rest; no reflections.
	 */
	memset(&cs, 0, sizeof(cs));
	cs.target = &t;
	cs.n = 1;
	cs.src[0].ops = &fake_ops;
	cs.src[0].usable = true;
	cs.src[0].sees_total = true;
	memset(&fake_now, 0, sizeof(fake_now));
	fake_now.has_buckets = true;
	fake_now.has_l2 = true;
	counters_begin(&cs, false);
	fake_exits(10, 10);
	fake_now.l2_buckets[10] += 10;	/* L2's CPUIDs */
	fake_exits(18, 1);
	fake_now.l2_buckets[18] += 1;	/* L2's VMCALL */
	fake_exits(24, 11);		/* L1's VMRESUMEs */
	fake_exits(30, 21);
	fake_now.l2_buckets[30] += 20;	/* L2's 20 OUTs, L1's ucall */
	fake_exits(1, 3);
	fake_now.l2_buckets[1] += 2;	/* host interrupts, 2 of them in L2 */
	counters_end(&cs, false, 10);
	CHECK(cs.src[0].sees_levels && counters_verdict(&cs) == VERDICT_EXACT &&
	      cs.src[0].judges_other && !cs.src[0].other,
	      "an L2 part: levels seen, exact (verdict %s, other %llu)",
	      verdict_name(cs.src[0].verdict), (unsigned long long)cs.src[0].other);
	CHECK(counters_sees(&cs, &cs.src[0], io1) && counters_sees(&cs, &cs.src[0], io2) &&
	      !counters_sees(&cs, &cs.src[0], io12) && !counters_sees(&cs, &cs.src[0], refl) &&
	      cs.src[0].r_counted[io1] == 1 && cs.src[0].r_counted[io2] == 20,
	      "each level of a shared reason apart (L1 %llu, L2 %llu of I/O), no sums, no reflections",
	      (unsigned long long)cs.src[0].r_counted[io1], (unsigned long long)cs.src[0].r_counted[io2]);
	counters_begin(&cs, false);
	fake_exits(10, 10);
	fake_now.l2_buckets[10] += 10;
	fake_exits(18, 1);
	fake_now.l2_buckets[18] += 1;
	fake_exits(24, 11);
	fake_exits(30, 21);
	fake_now.l2_buckets[30] += 19;	/* one OUT of L2 counted as L1's */
	counters_end(&cs, false, 10);
	CHECK(cs.src[0].r_verdict[io1] == VERDICT_MISMATCH && cs.src[0].r_verdict[io2] == VERDICT_MISMATCH &&
	      counters_verdict(&cs) == VERDICT_MISMATCH,
	      "an exit counted at the wrong level is a mismatch at both");
}

static void test_buckets(void)
{
	char buf[32];
	int b;

	for (b = 0; b < EXIT_BUCKET_UNKNOWN; b++)
		if (exit_bucket(VENDOR_SVM, (uint32_t)exit_bucket_code(VENDOR_SVM, b)) != b)
			break;
	CHECK(b == EXIT_BUCKET_UNKNOWN, "SVM buckets round-trip through their codes (first bad 0x%x)", b);
	for (b = 0; b < EXIT_BUCKET_UNKNOWN; b++)
		if (exit_bucket(VENDOR_VMX, (uint32_t)exit_bucket_code(VENDOR_VMX, b)) != b)
			break;
	CHECK(b == EXIT_BUCKET_UNKNOWN, "VMX buckets round-trip through their reasons (first bad 0x%x)", b);
	CHECK(exit_bucket_code(VENDOR_SVM, 0xF0) == 0x400 && exit_bucket(VENDOR_SVM, 0x40A) == 0xFA &&
	      exit_bucket(VENDOR_SVM, 0x40B) == EXIT_BUCKET_UNKNOWN, "SVM 0x400-0x40A in 0xF0-0xFA, 0x40B unknown");
	CHECK(exit_bucket(VENDOR_SVM, 0xFFFFFFFF) == 0xFE && exit_bucket(VENDOR_SVM, 0xFFFFFFFC) == 0xFB &&
	      exit_bucket(VENDOR_SVM, 0xFFFFFFFB) == EXIT_BUCKET_UNKNOWN && exit_bucket_code(VENDOR_SVM, 0xFE) == 0xFFFFFFFF,
	      "SVM error codes -1..-4 in 0xFE..0xFB, -5 unknown");
	CHECK(!strcmp(exit_bucket_name(VENDOR_SVM, 0xF0, buf, sizeof(buf)), "npf") &&
	      !strcmp(exit_bucket_name(VENDOR_SVM, 0xFE, buf, sizeof(buf)), "invalid_guest_state") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, 10, buf, sizeof(buf)), "CPUID") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, EXIT_BUCKET_UNKNOWN, buf, sizeof(buf)), "UNKNOWN") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, 0xC8, buf, sizeof(buf)), "UNKNOWN(200)"),
	      "bucket names: npf, invalid_guest_state, CPUID, UNKNOWN, UNKNOWN(200)");
	CHECK(exit_bucket(VENDOR_VMX, 10) == 10 && exit_bucket(VENDOR_VMX, 0) == 0, "VMX basic reasons index themselves");
	CHECK(exit_bucket(VENDOR_VMX, 0x80000021) == 33 && exit_bucket(VENDOR_VMX, 0x80000029) == 41,
	      "VMX failed entries count by their basic reason (33, 41)");
	CHECK(exit_bucket(VENDOR_VMX, 0xFE) == 0xFE && exit_bucket(VENDOR_VMX, 0xFF) == EXIT_BUCKET_UNKNOWN &&
	      exit_bucket(VENDOR_VMX, 0xFFFF) == EXIT_BUCKET_UNKNOWN, "VMX reasons from 0xFF: unknown");
	CHECK(exit_bucket(VENDOR_VMX, 0x0800000a) == 10, "VMX flag bits (SGX enclave) keep the basic reason");
	CHECK(exit_bucket(VENDOR_SVM, 0x72) == 0x72 && exit_bucket(VENDOR_SVM, 0xEF) == 0xEF, "SVM low codes");
	CHECK(exit_bucket(VENDOR_SVM, 0x400) == 0xF0 && exit_bucket(VENDOR_SVM, 0x403) == 0xF3, "SVM NPF/VMGEXIT");
	CHECK(exit_bucket(VENDOR_SVM, 0x80000010) == EXIT_BUCKET_UNKNOWN && exit_bucket(VENDOR_SVM, 0xF0) == EXIT_BUCKET_UNKNOWN,
	      "SVM VMGEXIT sub-codes and gaps: unknown");
	CHECK(exit_bucket(VENDOR_OTHER, 10) == -1, "no buckets without a vendor");
}

#define HDR "# reason count cycles l2_count l2_cycles name\n"

static void test_debugfs_table(void)
{
	struct exit_table_row row;
	struct exit_table t;
	char why[256];

	CHECK(!exit_table_parse("# vendor vmx\n" HDR "10 1234 99 4 9 CPUID\n30 5 7 0 0 IO_INSTRUCTION\n- 2 0 0 0 UNKNOWN\n",
				&t, why, sizeof(why)), "VMX table: %s", why);
	CHECK(t.vendor == VENDOR_VMX && t.nrows == 3 && t.total == 1241 && t.l2_total == 4,
	      "rows %d total %llu l2 %llu", t.nrows, (unsigned long long)t.total, (unsigned long long)t.l2_total);
	CHECK(exit_table_count(&t, 10) == 1234 && exit_table_count(&t, 30) == 5 && exit_table_count(&t, 12) == 0 &&
	      exit_table_row(&t, 10)->l2_count == 4 && exit_table_row(&t, 10)->l2_cycles == 9 &&
	      t.rows[2].reason == -1 && exit_table_row_bucket(VENDOR_VMX, &t.rows[2]) == EXIT_BUCKET_UNKNOWN,
	      "counts by reason, L2 columns, the UNKNOWN row");
	CHECK(!exit_table_parse("# vendor svm\n" HDR "0x72 3 4 0 0 cpuid\n0x400 9 1 0 0 npf\n0xffffffff 1 0 0 0 invalid_guest_state\n",
				&t, why, sizeof(why)) &&
	      t.vendor == VENDOR_SVM && exit_table_count(&t, 0x400) == 9 &&
	      exit_table_row_bucket(VENDOR_SVM, &t.rows[2]) == 0xFE, "SVM hex reasons, VMEXIT_INVALID: %s", why);
	CHECK(!exit_table_parse("# vendor svm\n" HDR "0x46 5 100 0 0 UD excp\n", &t, why, sizeof(why)) &&
	      !strcmp(t.rows[0].name, "UD excp") && t.rows[0].count == 5 && t.rows[0].cycles == 100,
	      "SVM names with a space (UD excp): %s", why);
	CHECK(!exit_table_parse("# vendor vmx\n" HDR "5 1 0 0 0 -\n", &t, why, sizeof(why)) && !strcmp(t.rows[0].name, "-"),
	      "a defined reason without a trace name: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 12 3 4 5 6 CPUID\n", &t, why, sizeof(why)) && strstr(why, "line 3"),
	      "a sixth number is an error: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 12 3 13 5 CPUID\n", &t, why, sizeof(why)),
	      "more L2 exits than exits is an error");
	CHECK(exit_table_parse("", &t, why, sizeof(why)) && strstr(why, "empty"), "empty table: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n", &t, why, sizeof(why)) && strstr(why, "truncated"), "no header: %s", why);
	CHECK(exit_table_parse("# vendor pvm\n", &t, why, sizeof(why)) && strstr(why, "line 1"), "bad vendor: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n# reason name count cycles\n10 CPUID 12 3\n", &t, why, sizeof(why)) &&
	      strstr(why, "older kernel/patches"), "the old format says so: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 12 3 0\n", &t, why, sizeof(why)) && strstr(why, "line 3"),
	      "short row: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "x10 12 3 0 0 CPUID\n", &t, why, sizeof(why)) && strstr(why, "line 3"),
	      "bad reason: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 -5 3 0 0 CPUID\n", &t, why, sizeof(why)) && strstr(why, "line 3"),
	      "negative count (not 2^64-5): %s", why);
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 5 -3 0 0 CPUID\n", &t, why, sizeof(why)), "negative cycles");
	CHECK(exit_table_parse("# vendor vmx\n" HDR "10 18446744073709551616 3 0 0 CPUID\n", &t, why, sizeof(why)),
	      "a count past 2^64-1");
	CHECK(exit_table_parse("# vendor svm\n" HDR "0x100000000 1 1 0 0 cpuid\n", &t, why, sizeof(why)),
	      "a reason past 32 bits");
	CHECK(exit_table_parse("# vendor svm\n" HDR "-0x72 1 1 0 0 cpuid\n", &t, why, sizeof(why)), "a negative reason");
	CHECK(!exit_table_parse_row("0x72 7 8 1 2 cpuid", &row) && row.reason == 0x72 && row.l2_cycles == 2,
	      "a kernel log summary's row parses alone");
}

/* Fake binary stats: descriptors laid out as KVM_GET_STATS_FD returns them. */
static void test_stats_abi(void)
{
	char buf[4 * (sizeof(struct kvm_stats_desc) + 48)], why[256];
	struct kvm_stats s = { .fd = -1 };
	struct kvm_stats_desc *d;
	int i;

	memset(buf, 0, sizeof(buf));
	s.header.name_size = 48;
	s.header.num_desc = 4;
	s.desc = (struct kvm_stats_desc *)buf;
	for (i = 0; i < 4; i++) {
		d = (struct kvm_stats_desc *)(buf + i * (sizeof(*d) + 48));
		snprintf(d->name, 48, "stat%d", i);
		d->flags = KVM_STATS_TYPE_CUMULATIVE;
		d->size = 1;
	}
	CHECK(kvm_stats_check_abi(&s, why, sizeof(why)) == 0, "size-1 counters follow the ABI");
	d = (struct kvm_stats_desc *)(buf + 1 * (sizeof(*d) + 48));
	d->flags = KVM_STATS_TYPE_LINEAR_HIST;
	d->size = 256;
	d->bucket_size = 1;
	CHECK(kvm_stats_check_abi(&s, why, sizeof(why)) == 0, "a linear histogram of 256 buckets follows the ABI");
	d->bucket_size = 0;
	CHECK(kvm_stats_check_abi(&s, why, sizeof(why)) == 1 && strstr(why, "stat1"),
	      "a linear histogram of bucket size 0 breaks it: %s", why);
	d->bucket_size = 1;
	d = (struct kvm_stats_desc *)(buf + 3 * (sizeof(*d) + 48));
	d->size = 256;	/* the old series' exits_by_reason: CUMULATIVE, 256 */
	CHECK(kvm_stats_check_abi(&s, why, sizeof(why)) == 1 && strstr(why, "stat3") && strstr(why, "size 256"),
	      "a cumulative stat of size 256 breaks it: %s", why);
}


/* Course-kernel interfaces: dump lines, dumps, counter files, CPUID layouts. */
static void test_course_parse(void)
{
	struct dump_parser dp;
	struct exit_dump d;
	struct leaf_probe lp;
	char name[32], why[512];
	uint32_t r;
	uint64_t c;

	CHECK(!kmsg_dump_parse_line("KVM Exit: 10 (CPUID) occurred 1234 times", &r, &c, name, sizeof(name)) &&
	      r == 10 && c == 1234 && !strcmp(name, "CPUID"), "report's format: %u %llu '%s'", r,
	      (unsigned long long)c, name);
	CHECK(!kmsg_dump_parse_line("kvm: exit reason 0x30 [EPT_VIOLATION]: 77 exits", &r, &c, name, sizeof(name)) &&
	      r == 48 && c == 77 && !strcmp(name, "EPT_VIOLATION"), "hex reason, brackets: %u %llu '%s'", r,
	      (unsigned long long)c, name);
	CHECK(!kmsg_dump_parse_line("exit_reason=30 name=IO_INSTRUCTION count=5", &r, &c, name, sizeof(name)) &&
	      r == 30 && c == 5 && !strcmp(name, "IO_INSTRUCTION"), "key=value: %u %llu '%s'", r,
	      (unsigned long long)c, name);
	CHECK(!kmsg_dump_parse_line("Exit 12 HLT count 9", &r, &c, name, sizeof(name)) &&
	      r == 12 && c == 9 && !strcmp(name, "HLT"), "bare name: %u %llu '%s'", r, (unsigned long long)c, name);
	CHECK(!kmsg_dump_parse_line("KVM Exit: 114 (read_cr0) occurred 3 times", &r, &c, name, sizeof(name)) &&
	      r == 114 && c == 3 && !strcmp(name, "read_cr0"), "digits in a name are no count: %llu",
	      (unsigned long long)c);
	CHECK(kmsg_dump_parse_line("KVM Exit total: 10000", &r, &c, name, sizeof(name)), "a total is no dump line");
	CHECK(kmsg_dump_parse_line("kvm: exit_stats: pid 5 vcpu 0 10 4 400 0 0 CPUID", &r, &c, name, sizeof(name)),
	      "the project's own summaries are no dump line");
	CHECK(kmsg_dump_parse_line("KVM Exit: 10 (CPUID)", &r, &c, name, sizeof(name)), "no count");
	CHECK(kmsg_dump_parse_line("usb 1-1: new device", &r, &c, name, sizeof(name)), "another line");

	dump_parser_init(&dp, VENDOR_VMX);
	dump_parser_line(&dp, "KVM Exit: 1 (EXTERNAL_INTERRUPT) occurred 7 times");
	dump_parser_line(&dp, "KVM Exit: 10 (CPUID) occurred 9000 times");
	dump_parser_line(&dp, "KVM Exit: 30 (MSR_WRITE) occurred 993 times");
	CHECK(dp.dumps == 0, "a dump is not complete before its end");
	dump_parser_line(&dp, "KVM Exit: 1 (EXTERNAL_INTERRUPT) occurred 8 times");
	CHECK(dp.dumps == 1 && dp.last.total == 10000 && dp.last.buckets[10] == 9000 &&
	      dp.last.buckets[30] == 993 && dp.last.n_names == 3, "a falling reason starts the next dump");
	dump_parser_line(&dp, "KVM Exit: 10 (CPUID) occurred 18000 times");
	dump_parser_flush(&dp);
	CHECK(dp.dumps == 2 && dp.last.total == 18008 && dp.last.buckets[1] == 8, "flush ends a dump");
	dump_parser_flush(&dp);
	CHECK(dp.dumps == 2, "flushing nothing makes no dump");
	dump_parser_init(&dp, VENDOR_SVM);
	dump_parser_line(&dp, "KVM Exit: 114 (cpuid) occurred 5 times");
	dump_parser_line(&dp, "KVM Exit: 1024 (npf) occurred 6 times");
	dump_parser_line(&dp, "something else");
	CHECK(dp.dumps == 1 && dp.last.buckets[0x72] == 5 && dp.last.buckets[0xF0] == 6,
	      "SVM codes map to the patched kernel's buckets (npf: 0xF0)");

	CHECK(!counter_file_parse("# reason count\n10 5 CPUID\n0x1e: 7\n\n48=2\n", FILE_PAIRS, VENDOR_VMX, &d,
				  why, sizeof(why)) && d.buckets[10] == 5 && d.buckets[30] == 7 &&
	      d.buckets[48] == 2 && d.total == 14 && d.n_names == 1, "pairs: %s", why);
	CHECK(counter_file_parse("10 five\n", FILE_PAIRS, VENDOR_VMX, &d, why, sizeof(why)) &&
	      strstr(why, "line 1"), "pairs with a word for a count: %s", why);
	CHECK(counter_file_parse("10 -5\n", FILE_PAIRS, VENDOR_VMX, &d, why, sizeof(why)), "negative count");
	CHECK(counter_file_parse("300 5\n", FILE_PAIRS, VENDOR_VMX, &d, why, sizeof(why)) &&
	      strstr(why, "not a vmx"), "reason beyond VMX's: %s", why);
	CHECK(!counter_file_parse("0\n3\n\n4\n", FILE_ARRAY, VENDOR_VMX, &d, why, sizeof(why)) &&
	      d.buckets[1] == 3 && d.buckets[2] == 4 && d.total == 7, "array: %s", why);
	CHECK(counter_file_parse("1\nx\n", FILE_ARRAY, VENDOR_VMX, &d, why, sizeof(why)) && strstr(why, "line 2"),
	      "array with a word: %s", why);
	CHECK(!counter_file_parse("KVM Exit: 10 (CPUID) occurred 4 times\nKVM Exit: 10 (CPUID) occurred 6 times\n",
				  FILE_KMSG, VENDOR_VMX, &d, why, sizeof(why)) && d.buckets[10] == 6,
	      "kmsg: the last dump counts: %s", why);
	CHECK(counter_file_parse("nothing\n", FILE_KMSG, VENDOR_VMX, &d, why, sizeof(why)), "kmsg without dumps");

	/* Leaves C D E F: per-reason cycles, per-reason exits, total cycles, total exits. */
	lp = (struct leaf_probe){ .rise_cpuid = { 1500, 1, 3000, 2 }, .rise_idle = { 0, 0, 2900, 3 } };
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_A, "order A");
	lp = (struct leaf_probe){ .rise_cpuid = { 2, 3100, 1, 1400 }, .rise_idle = { 2, 2800, 0, 0 } };
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_B, "order B");
	lp = (struct leaf_probe){ .rise_cpuid = { 0, 0, 1, 2 }, .rise_idle = { 0, 0, 0, 2 },
				  .rise_ebx_ecx = { 0, 0, 0, 2500 } };
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_TWO_LEAF, "two-leaf");
	lp.rise_ebx_ecx[3] = 0;
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_NONE, "two-leaf without cycles");
	lp = (struct leaf_probe){ 0 };
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_NONE && strstr(why, "no known layout"),
	      "a kernel without the leaves: %s", why);
	/* A per-reason leaf that also counts its idle reason is no per-reason leaf. */
	lp = (struct leaf_probe){ .rise_cpuid = { 1500, 1, 3000, 2 }, .rise_idle = { 0, 1, 2900, 2 } };
	CHECK(course_layout_classify(&lp, why, sizeof(why)) == LAYOUT_NONE, "per-reason leaf ignoring ECX");

	{
		struct counter_set cs;
		char err[512];

		CHECK(!counters_validate("default,try:kmsg-dump,file:/proc/x:pairs", err, sizeof(err)),
		      "default, try: and file:PATH:FORMAT are list elements: %s", err);
		CHECK(counters_validate("file", err, sizeof(err)) && strstr(err, "file:ARG"),
		      "file wants its argument: %s", err);
		CHECK(counters_validate("try:nosuch", err, sizeof(err)), "try: of an unknown source");
		CHECK(!counters_open(&cs, "try:file:/nonexistent/x:pairs", &(struct counter_target){
					     .vendor = VENDOR_VMX, .reason = { 10, 0x72 } }, 0, err, sizeof(err)) &&
		      cs.n == 1 && !cs.src[0].usable && strstr(cs.src[0].why, "cannot open"),
		      "try: an unusable source is no error: %s", cs.src[0].why);
		counters_close(&cs);
		CHECK(counters_open(&cs, "file:/nonexistent/x:pairs", &(struct counter_target){
					    .vendor = VENDOR_VMX, .reason = { 10, 0x72 } }, 0, err, sizeof(err)) &&
		      strstr(err, "cannot be used"), "named, it is: %s", err);
		counters_close(&cs);
		CHECK(counters_validate("file:/dev/null:csv", err, sizeof(err)) &&
		      strstr(err, "unknown counter file format"), "bad format: %s", err);
		CHECK(counters_validate("file:pairs", err, sizeof(err)) && strstr(err, "a path and a format"),
		      "no path: %s", err);
	}
}

static int claim_returned;

static void *claim_second(void *arg)
{
	(void)arg;
	result_claim();
	__atomic_store_n(&claim_returned, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The first thread to claim the result goes on; a second one waits for good. */
static void test_result_claim(void)
{
	pthread_t th;

	/* The claiming thread may claim again (a second call would hang if not). */
	result_claim();
	result_claim();
	if (pthread_create(&th, NULL, claim_second, NULL)) {
		CHECK(0, "result_claim: pthread_create failed");
		return;
	}
	usleep(200000);
	CHECK(!__atomic_load_n(&claim_returned, __ATOMIC_ACQUIRE),
	      "result_claim: another thread waits (returned after 200 ms: %d)", claim_returned);
	pthread_detach(th);
}

int main(void)
{
	printf("TAP version 13\n");
	test_stats();
	test_json();
	test_cli();
	test_reasons();
	test_counters();
	test_plan();
	test_nested_plan();
	test_buckets();
	test_debugfs_table();
	test_stats_abi();
	test_course_parse();
	test_result_claim();
	printf("# unit tests\n%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
