/* SPDX-License-Identifier: GPL-2.0-only */
/* Guest-side helpers shared by the exit tests. */
#ifndef EXITBENCH_GUEST_H
#define EXITBENCH_GUEST_H

#include <stdint.h>

/* rdtsc ordered against the loop it brackets (lfence is dispatch-serializing). */
static inline uint64_t rdtsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

#define EXITBENCH_UNPAREN(...) __VA_ARGS__

/*
 * A counted loop around one asm body; the counter lives in a register so that
 * a test's loop and its baseline differ by the exiting instruction only.
 * @inputs is a parenthesized asm input list, e.g. ([port] "i"(0x80)) or ().
 */
#define GUEST_LOOP(n, body, inputs, ...)				\
	do {								\
		uint64_t __n = (n);					\
		if (__n)						\
			__asm__ __volatile__("1:\n\t" body "\n\t"	\
					     "dec %[cnt]\n\t"		\
					     "jnz 1b"			\
					     : [cnt] "+r"(__n)		\
					     : EXITBENCH_UNPAREN inputs	\
					     : "memory", "cc", ##__VA_ARGS__); \
	} while (0)

#endif
