// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: statistics, JSON writer, option parsing, reason tables, counter deltas. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm.h>

#include "cli.h"
#include "counters.h"
#include "debugfs_table.h"
#include "json.h"
#include "reasons.h"
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
	      o.iterations == 0 && o.target_cycles == DEFAULT_TARGET_CYCLES, "defaults");
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
	struct counter_target t = {
		.vendor = VENDOR_OTHER,
		.reason = { 30, 0x7b },
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

static void test_buckets(void)
{
	char buf[32];
	int b;

	for (b = 0; b < 0xF0; b++)
		if (exit_bucket(VENDOR_SVM, (uint32_t)exit_bucket_code(VENDOR_SVM, b)) != b)
			break;
	CHECK(b == 0xF0, "SVM buckets below 0xF0 round-trip (first bad %d)", b);
	CHECK(exit_bucket_code(VENDOR_SVM, 0xF0) == 0x400 && exit_bucket(VENDOR_SVM, 0x40D) == 0xFD &&
	      exit_bucket(VENDOR_SVM, 0x40E) == EXIT_BUCKET_UNKNOWN, "SVM 0x400-0x40D in 0xF0-0xFD, 0x40E unknown");
	CHECK(!strcmp(exit_bucket_name(VENDOR_SVM, 0xF0, buf, sizeof(buf)), "npf") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, 10, buf, sizeof(buf)), "CPUID") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, EXIT_BUCKET_FAILED, buf, sizeof(buf)), "FAILED_ENTRY") &&
	      !strcmp(exit_bucket_name(VENDOR_VMX, 0xC8, buf, sizeof(buf)), "UNKNOWN(200)"),
	      "bucket names: npf, CPUID, FAILED_ENTRY, UNKNOWN(200)");
	CHECK(exit_bucket(VENDOR_VMX, 10) == 10 && exit_bucket(VENDOR_VMX, 0) == 0, "VMX basic reasons index themselves");
	CHECK(exit_bucket(VENDOR_VMX, 0x80000021) == EXIT_BUCKET_FAILED, "VMX failed entry");
	CHECK(exit_bucket(VENDOR_VMX, 0xFE) == EXIT_BUCKET_UNKNOWN && exit_bucket(VENDOR_VMX, 0xFFFF) == EXIT_BUCKET_UNKNOWN,
	      "VMX out-of-range reasons: unknown");
	CHECK(exit_bucket(VENDOR_VMX, 0x0800000a) == 10, "VMX flag bits (SGX enclave) keep the basic reason");
	CHECK(exit_bucket(VENDOR_SVM, 0x72) == 0x72 && exit_bucket(VENDOR_SVM, 0xEF) == 0xEF, "SVM low codes");
	CHECK(exit_bucket(VENDOR_SVM, 0x400) == 0xF0 && exit_bucket(VENDOR_SVM, 0x403) == 0xF3, "SVM NPF/VMGEXIT");
	CHECK(exit_bucket(VENDOR_SVM, 0xFFFFFFFF) == EXIT_BUCKET_FAILED, "SVM_EXIT_ERR");
	CHECK(exit_bucket(VENDOR_SVM, 0x80000010) == EXIT_BUCKET_UNKNOWN && exit_bucket(VENDOR_SVM, 0xF0) == EXIT_BUCKET_UNKNOWN,
	      "SVM VMGEXIT sub-codes and gaps: unknown");
	CHECK(exit_bucket(VENDOR_OTHER, 10) == -1, "no buckets without a vendor");
}

static void test_debugfs_table(void)
{
	struct exit_table t;
	char why[256];

	CHECK(!exit_table_parse("# vendor vmx\n# reason name count cycles\n10 CPUID 1234 99\n30 IO_INSTRUCTION 5 7\n- UNKNOWN 2 0\n",
				&t, why, sizeof(why)), "VMX table: %s", why);
	CHECK(t.vendor == VENDOR_VMX && t.nrows == 3 && t.total == 1241, "rows %d total %llu", t.nrows, (unsigned long long)t.total);
	CHECK(exit_table_count(&t, 10) == 1234 && exit_table_count(&t, 30) == 5 && exit_table_count(&t, 12) == 0,
	      "counts by reason");
	CHECK(!exit_table_parse("# vendor svm\n# reason name count cycles\n0x72 cpuid 3 4\n0x400 npf 9 1\n", &t, why, sizeof(why)) &&
	      t.vendor == VENDOR_SVM && exit_table_count(&t, 0x400) == 9, "SVM hex reasons: %s", why);
	CHECK(!exit_table_parse("# vendor svm\n0x46 UD excp 5 100\n", &t, why, sizeof(why)) &&
	      !strcmp(t.rows[0].name, "UD excp") && t.rows[0].count == 5 && t.rows[0].cycles == 100,
	      "SVM names with a space (UD excp): %s", why);
	CHECK(exit_table_parse("# vendor vmx\n10 CPUID 12 3 4\n", &t, why, sizeof(why)),
	      "a number where a name should be is an error");
	CHECK(exit_table_parse("", &t, why, sizeof(why)) && strstr(why, "empty"), "empty table: %s", why);
	CHECK(exit_table_parse("# vendor pvm\n", &t, why, sizeof(why)) && strstr(why, "line 1"), "bad vendor: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n10 CPUID 12\n", &t, why, sizeof(why)) && strstr(why, "line 2"),
	      "short row: %s", why);
	CHECK(exit_table_parse("# vendor vmx\n10 CPUID 12 3 extra\n", &t, why, sizeof(why)), "extra field");
	CHECK(exit_table_parse("# vendor vmx\nx10 CPUID 12 3\n", &t, why, sizeof(why)) && strstr(why, "bad reason"),
	      "bad reason: %s", why);
}

int main(void)
{
	printf("TAP version 13\n");
	test_stats();
	test_json();
	test_cli();
	test_reasons();
	test_counters();
	test_buckets();
	test_debugfs_table();
	printf("# unit tests\n%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
