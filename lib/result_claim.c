// SPDX-License-Identifier: GPL-2.0-only
/* One result per run, whichever thread finishes it (result.h). */
#include <pthread.h>
#include <unistd.h>

#include "result.h"

void result_claim(void)
{
	static pthread_t finisher;
	static int claimed;

	if (__atomic_exchange_n(&claimed, 1, __ATOMIC_ACQ_REL)) {
		if (pthread_equal(__atomic_load_n(&finisher, __ATOMIC_ACQUIRE), pthread_self()))
			return;
		for (;;)
			pause();
	}
	__atomic_store_n(&finisher, pthread_self(), __ATOMIC_RELEASE);
}
