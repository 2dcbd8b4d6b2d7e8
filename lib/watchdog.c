// SPDX-License-Identifier: GPL-2.0-only
/*
 * The loop watchdog: when a loop runs too long, signal the vCPU thread so
 * that a blocked KVM_RUN returns EINTR. Not alarm(): a kernel without
 * CONFIG_POSIX_TIMERS (tinyconfig, our kernels under test) has no alarm,
 * setitimer or timer_create at all, and a process-directed signal may go to
 * another thread. A thread of ours waits for the deadline on a condition
 * variable (futex timeouts always exist) and sends the signal with tgkill().
 * While a loop runs longer than a few seconds, the same thread says so on
 * stderr every few seconds: a wait is never silent.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#include "exitbench.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
/* Seconds between "still waiting" lines while a loop runs. */
#define PROGRESS_EVERY_S 5

static struct timespec deadline;	/* 0: disarmed */
static struct timespec next_note;	/* next "still waiting" line */
static time_t armed_at;
static unsigned int armed_s;
/* The threads that run vCPUs: the main one, and one per vCPU of several. */
#define MAX_WATCHED 32
static pid_t vcpu_tids[MAX_WATCHED];
static int nwatched;
static volatile sig_atomic_t fired;

static void on_signal(int sig)
{
	(void)sig;
	fired = 1;
}

static void *watch(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&lock);
	for (;;) {
		struct timespec now;

		if (!deadline.tv_sec) {
			pthread_cond_wait(&changed, &lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
			int i;

			deadline.tv_sec = 0;
			fired = 1;
			for (i = 0; i < nwatched; i++)
				syscall(SYS_tgkill, getpid(), vcpu_tids[i], SIGALRM);
			continue;
		}
		if (now.tv_sec >= next_note.tv_sec) {
			fprintf(stderr, "%s: still waiting for the guest loop: %lld s of at most %u s\n",
				program_invocation_short_name, (long long)(now.tv_sec - armed_at), armed_s);
			next_note.tv_sec = now.tv_sec + PROGRESS_EVERY_S;
		}
		pthread_cond_timedwait(&changed, &lock,
				       next_note.tv_sec < deadline.tv_sec ? &next_note : &deadline);
	}
	return NULL;
}

void exitbench_watchdog_init(void)
{
	pthread_condattr_t attr;
	pthread_t thr;
	int r;

	vcpu_tids[0] = (pid_t)syscall(SYS_gettid);
	nwatched = 1;
	/* No SA_RESTART: the signal must interrupt KVM_RUN. */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&changed, &attr);
	r = pthread_create(&thr, NULL, watch, NULL);
	TEST_ASSERT(!r, "cannot start the watchdog thread: %s", strerror(r));
	pthread_detach(thr);
}

void exitbench_watchdog_add_thread(void)
{
	pthread_mutex_lock(&lock);
	if (nwatched < MAX_WATCHED)
		vcpu_tids[nwatched++] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_unlock(&lock);
}

void exitbench_watchdog(unsigned int seconds)
{
	pthread_mutex_lock(&lock);
	fired = 0;
	if (seconds) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		armed_at = deadline.tv_sec;
		armed_s = seconds;
		next_note = deadline;
		next_note.tv_sec += PROGRESS_EVERY_S;
		deadline.tv_sec += seconds;
	} else {
		deadline.tv_sec = 0;
	}
	pthread_cond_signal(&changed);
	pthread_mutex_unlock(&lock);
}

bool exitbench_timed_out(void)
{
	return fired;
}
