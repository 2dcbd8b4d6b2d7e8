// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "expect.h"

#define VMX_EXTERNAL_INTERRUPT 1
#define VMX_IO 30
#define SVM_INTR 0x60
#define SVM_NMI 0x61
#define SVM_IO 0x7b

uint32_t expect_code(enum vendor v, struct exit_reason_id id)
{
	return v == VENDOR_VMX ? id.vmx : v == VENDOR_SVM ? id.svm : EXIT_NONE;
}

bool expect_applies(const struct exit_expect *e, const struct kvm_config *c)
{
	return !e->when || e->when(c);
}

/* The plan entry for @id taken at @level, added if new; NULL when the plan is full. */
static struct expect_reason *slot_at(struct expect_plan *p, enum vendor v,
				     struct exit_reason_id id, uint8_t level)
{
	uint32_t code = expect_code(v, id);
	int i;

	for (i = 0; i < p->n; i++)
		if ((v == VENDOR_OTHER ? p->r[i].id.vmx == id.vmx && p->r[i].id.svm == id.svm :
		     p->r[i].code == code) && p->r[i].level == level)
			return &p->r[i];
	if (p->n == MAX_TARGET_REASONS)
		return NULL;
	memset(&p->r[p->n], 0, sizeof(p->r[0]));
	p->r[p->n].id = id;
	p->r[p->n].code = code;
	p->r[p->n].level = level;
	return &p->r[p->n++];
}

static struct expect_reason *slot(struct expect_plan *p, enum vendor v,
				  struct exit_reason_id id)
{
	return slot_at(p, v, id, EXIT_L1);
}

static bool same_reason(const struct expect_reason *a, const struct expect_reason *b)
{
	return a->id.vmx == b->id.vmx && a->id.svm == b->id.svm;
}

/* Add @a's counts to @r. */
static void add_counts(struct expect_reason *r, const struct expect_reason *a)
{
	int k;

	r->per_iteration += a->per_iteration;
	r->per_window += a->per_window;
	r->per_host_exit += a->per_host_exit;
	for (k = 0; k < MAX_EVENTS; k++)
		r->per_event[k] += a->per_event[k];
	r->timing |= a->timing;
}

/* Add the counts of expectation @e to @r. */
static void add_expect(struct expect_reason *r, const struct exit_expect *e)
{
	r->per_iteration += e->per_iteration;
	r->per_window += e->per_window;
	r->per_host_exit += e->per_host_exit;
	if (e->event >= 1 && e->event <= MAX_EVENTS)
		r->per_event[e->event - 1] += e->per_event;
	r->timing |= e->timing;
}

/*
 * A nested plan: the host's interrupts come in both levels, every entry
 * knows it is nested, and each reason expected in L1 and in L2 gets an
 * EXIT_L1_L2 entry with the sum, for the sources that see no levels.
 */
static int add_levels(struct expect_plan *p)
{
	int i, j, n = p->n;

	for (i = 0; i < n; i++) {
		struct exit_reason_id id = p->r[i].id;
		int before = p->n;
		struct expect_reason *r;

		if (!p->r[i].host || p->r[i].level != EXIT_L1)
			continue;
		r = slot_at(p, p->vendor, id, EXIT_L2);
		if (!r)
			return -1;
		if (p->n > before)
			r->host = true;
	}
	n = p->n;
	for (i = 0; i < n; i++) {
		struct expect_reason *r = &p->r[i];

		r->nested = true;
		if (r->level != EXIT_L1 && r->level != EXIT_L2)
			continue;
		for (j = 0; j < n; j++)
			if (j != i && same_reason(&p->r[j], r) &&
			    (p->r[j].level == EXIT_L1 || p->r[j].level == EXIT_L2))
				r->shared = true;
	}
	for (i = 0; i < n; i++) {
		struct expect_reason *b;
		int before = p->n;

		if (!p->r[i].shared)
			continue;
		b = slot_at(p, p->vendor, p->r[i].id, EXIT_L1_L2);
		if (!b)
			return -1;
		/* Host interrupts in both levels: the sum is the host's too. */
		b->host = p->n > before ? p->r[i].host : b->host && p->r[i].host;
		b->nested = true;
		add_counts(b, &p->r[i]);
	}
	return 0;
}

int expect_resolve(struct expect_plan *p, const struct exit_expect *e,
		   const struct kvm_config *c, bool harness_io)
{
	static const struct exit_reason_id io = { VMX_IO, SVM_IO };
	static const struct exit_reason_id host[] = {
		{ VMX_EXTERNAL_INTERRUPT, SVM_INTR },
		{ EXIT_NONE, SVM_NMI },
	};
	enum vendor v = c->vendor;
	struct expect_reason *r, *x;
	size_t i;
	int k;

	memset(p, 0, sizeof(*p));
	p->vendor = v;
	p->primary = -1;
	for (k = 0; k < MAX_EXPECT && e[k].why; k++) {
		/* Not on this vendor (or no vendor numbering, and not on both). */
		if (v == VENDOR_OTHER ? e[k].reason.vmx == EXIT_NONE || e[k].reason.svm == EXIT_NONE :
		    expect_code(v, e[k].reason) == EXIT_NONE)
			continue;
		r = slot_at(p, v, e[k].reason, e[k].level == EXIT_L2 ? EXIT_L2 : EXIT_L1);
		if (!r)
			return -1;
		p->nested |= e[k].level == EXIT_L2;
		/* KVM reflects these L2 exits into L1: counted as such too. */
		x = e[k].level == EXIT_L2 && e[k].reflected ?
		    slot_at(p, v, e[k].reason, EXIT_L2_REFLECTED) : NULL;
		if (e[k].level == EXIT_L2 && e[k].reflected && !x)
			return -1;
		if (!expect_applies(&e[k], c))
			continue;
		/* The test's reason: its first entry that applies here and exits. */
		if (p->primary < 0 && !e[k].timing &&
		    (e[k].per_iteration || e[k].per_window || e[k].per_event > 0))
			p->primary = (int)(r - p->r);
		add_expect(r, &e[k]);
		if (x)
			add_expect(x, &e[k]);
	}
	if (harness_io) {
		int before = p->n;

		r = slot(p, v, io);
		if (!r)
			return -1;
		r->per_window++;
		r->harness = p->n > before;
	}
	for (i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		bool stated;

		if (expect_code(v, host[i]) == EXIT_NONE && v != VENDOR_OTHER)
			continue;
		if (v == VENDOR_OTHER && (host[i].vmx == EXIT_NONE || host[i].svm == EXIT_NONE))
			continue;
		stated = false;
		for (k = 0; k < p->n; k++)
			stated |= p->r[k].id.vmx == host[i].vmx && p->r[k].id.svm == host[i].svm;
		r = slot(p, v, host[i]);
		if (!r)
			return -1;
		r->host = !stated;
	}
	return p->nested ? add_levels(p) : 0;
}

int expect_add(struct expect_plan *sum, const struct expect_plan *a)
{
	enum vendor v = a->vendor;
	int i, k;

	if (!sum->n) {
		sum->vendor = v;
		sum->primary = -1;
	}
	sum->nested |= a->nested;
	for (i = 0; i < a->n; i++) {
		int before = sum->n;
		struct expect_reason *r = slot_at(sum, v, a->r[i].id, a->r[i].level);

		if (!r)
			return -1;
		r->nested = a->r[i].nested;
		r->shared |= a->r[i].shared;
		r->harness = sum->n > before ? a->r[i].harness : r->harness && a->r[i].harness;
		r->per_iteration += a->r[i].per_iteration;
		r->per_window += a->r[i].per_window;
		r->per_host_exit += a->r[i].per_host_exit;
		for (k = 0; k < MAX_EVENTS; k++)
			r->per_event[k] += a->r[i].per_event[k];
		r->timing |= a->r[i].timing;
		r->host |= a->r[i].host;
		if (a->primary == i && sum->primary < 0)
			sum->primary = (int)(r - sum->r);
	}
	return 0;
}

const char *expect_reason_name(enum vendor v, const struct expect_reason *r,
			       char *buf, size_t len)
{
	static const char *const level[] = {
		[EXIT_L1] = "L1 ", [EXIT_L2] = "L2 ", [EXIT_L1_L2] = "L1+L2 ",
		[EXIT_L2_REFLECTED] = "L2 ",
	};
	const char *vmx = vmx_reason_name(r->id.vmx), *svm = svm_reason_name(r->id.svm);
	const char *pre = r->nested && r->level <= EXIT_L2_REFLECTED ? level[r->level] : "";
	const char *post = r->nested && r->level == EXIT_L2_REFLECTED ? " reflected to L1" : "";

	if (v == VENDOR_VMX)
		snprintf(buf, len, "%s%s%s", pre, vmx ? vmx : "UNKNOWN", post);
	else if (v == VENDOR_SVM)
		snprintf(buf, len, "%s%s%s", pre, svm ? svm : "unknown", post);
	else
		snprintf(buf, len, "%s%s/%s%s", pre, vmx ? vmx : "UNKNOWN", svm ? svm : "unknown", post);
	return buf;
}
