// SPDX-License-Identifier: GPL-2.0-only
/*
 * profile_helper: the small jobs of ./boot_profile that busybox cannot do.
 *
 *   profile_helper run [--timeout S] -- CMD [ARGS...]
 *	Run CMD (the VM: qemu-system-x86_64 ...) with stdin from /dev/null and
 *	write every line it prints, as it arrives, on stdout prefixed with the
 *	CLOCK_MONOTONIC times (the clock of exit_top's samples) at which its
 *	first and its last byte were read:
 *	    <first: seconds.microseconds> <last> <tag> <text>
 *	tags: start (the command), out (its stdout: the guest's serial
 *	console), err (its stderr), exit (status N | signal N), timeout,
 *	error. After --timeout seconds, CMD's process group gets SIGTERM, then
 *	SIGKILL 2 s later. Exit status: CMD's, 128+N if signal N killed it,
 *	124 on a timeout, 125 on an error of this program, 127 if CMD cannot
 *	be run.
 *   profile_helper now
 *	Print CLOCK_MONOTONIC in seconds (6 decimals).
 *   profile_helper compact <exit_top.csv >packed.csv
 *	Leave out the rows of exit_top --csv that carry no news: a row whose
 *	*_delta fields (exits_delta, cycles_delta and, where the header has
 *	them, l2_exits_delta, l2_cycles_delta) are all 0, unless it belongs to the
 *	first or the last sample (kept whole), or it is the first row of a
 *	sample with no other row kept (so that every sample's time_s and
 *	interval_s survive). The rest is unchanged, so the full CSV can be
 *	rebuilt exactly: a missing row repeats its reason's previous row with
 *	deltas of 0 (analysis/profile_report.py). About 10 times smaller for a boot.
 *
 * Statically linked, it runs in the kernel under test's busybox initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES	4096	/* longer lines are split */
#define KILL_GRACE_NS	2000000000LL

struct stream {
	int fd;
	const char *tag;
	char buf[LINE_MAX_BYTES];
	size_t len;
	long long t_first;	/* when buf[0] arrived */
};

static volatile sig_atomic_t stop_signal;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One whole line per write(), so that a reader never sees half of one. */
static void emit(long long t_first, long long t, const char *tag, const char *text, size_t len)
{
	char line[LINE_MAX_BYTES + 96];
	int n;

	while (len && (text[len - 1] == '\r' || text[len - 1] == '\n'))
		len--;
	n = snprintf(line, sizeof(line), "%lld.%06lld %lld.%06lld %s ", t_first / 1000000000LL,
		     t_first % 1000000000LL / 1000, t / 1000000000LL, t % 1000000000LL / 1000, tag);
	memcpy(line + n, text, len);
	line[n + len] = '\n';
	if (write(STDOUT_FILENO, line, n + len + 1) < 0)
		_exit(125);
}

static void emitf(const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emitf(const char *tag, const char *fmt, ...)
{
	char text[LINE_MAX_BYTES];
	long long t = now_ns();
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(t, t, tag, text, n < 0 ? 0 : (size_t)n >= sizeof(text) ? sizeof(text) - 1 : (size_t)n);
}

/* Read what @s has; emit each complete line. false at EOF or error. */
static int drain(struct stream *s)
{
	char chunk[4096];
	ssize_t got = read(s->fd, chunk, sizeof(chunk));
	long long t = now_ns();
	ssize_t i;

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (got <= 0) {
		if (s->len)
			emit(s->t_first, t, s->tag, s->buf, s->len);
		s->len = 0;
		return 0;
	}
	for (i = 0; i < got; i++) {
		if (chunk[i] == '\n' || s->len == sizeof(s->buf)) {
			emit(s->len ? s->t_first : t, t, s->tag, s->buf, s->len);
			s->len = 0;
			if (chunk[i] == '\n')
				continue;
		}
		if (!s->len)
			s->t_first = t;
		s->buf[s->len++] = chunk[i];
	}
	return 1;
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* ---- compact ---- */

/*
 * Which of the fields after "name" are deltas, counted from the end of a
 * row: the name may hold a quoted comma, the numbers after it never do.
 */
#define MAX_TAIL 16
static int tail_fields;			/* fields after name */
static int tail_is_delta[MAX_TAIL];	/* [0]: the last field */

static int parse_header(const char *h)
{
	char copy[LINE_MAX_BYTES], *tok, *save;
	char *names[64];
	int n = 0, name = -1, i;

	snprintf(copy, sizeof(copy), "%s", h);
	for (tok = strtok_r(copy, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
		names[n++] = tok;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], "name"))
			name = i;
	tail_fields = n - name - 1;
	if (name < 0 || tail_fields < 1 || tail_fields > MAX_TAIL)
		return -1;
	for (i = 0; i < tail_fields; i++) {
		const char *f = names[n - 1 - i];
		size_t len = strlen(f);

		tail_is_delta[i] = len > 6 && !strcmp(f + len - 6, "_delta");
	}
	return 0;
}

/* Every delta field after the name is "0" (the header says which). */
static int row_is_quiet(const char *row)
{
	const char *end = row + strlen(row), *b;
	int i;

	for (i = 0; i < tail_fields; i++) {
		for (b = end - 1; b >= row && *b != ','; b--)
			;
		if (b < row)
			return 0;
		if (tail_is_delta[i] && (end - b != 2 || b[1] != '0'))
			return 0;
		end = b;
	}
	return 1;
}

/* Length of the sample field of @row (up to its first comma), 0 if none. */
static size_t sample_len(const char *row)
{
	const char *comma = strchr(row, ',');

	return comma && comma > row ? (size_t)(comma - row) : 0;
}

static int same_sample(const char *a, const char *b)
{
	size_t n = sample_len(a);

	return n == sample_len(b) && !strncmp(a, b, n);
}

static int compact(void)
{
	char line[LINE_MAX_BYTES], **rows = NULL;
	size_t n = 0, cap = 0, i, j, k;

	while (fgets(line, sizeof(line), stdin)) {
		size_t len = strlen(line);

		if (line[len - 1] != '\n') {
			fprintf(stderr, "profile_helper compact: line %zu: too long or not ended\n", n + 1);
			return 1;
		}
		line[len - 1] = 0;
		if (!n && (strncmp(line, "sample,time_s,", 14) || parse_header(line))) {
			fprintf(stderr, "profile_helper compact: not exit_top --csv output (header '%s')\n", line);
			return 1;
		}
		if (n && !sample_len(line)) {
			fprintf(stderr, "profile_helper compact: line %zu: no sample number\n", n + 1);
			return 1;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			rows = realloc(rows, cap * sizeof(*rows));
		}
		if (!rows || !(rows[n++] = strdup(line))) {
			fprintf(stderr, "profile_helper compact: out of memory\n");
			return 1;
		}
	}
	if (ferror(stdin) || !n) {
		fprintf(stderr, "profile_helper compact: %s\n", n ? strerror(errno) : "empty input");
		return 1;
	}
	printf("%s\n", rows[0]);
	for (i = 1; i < n; i = j) {
		int whole, kept = 0;

		for (j = i + 1; j < n && same_sample(rows[j], rows[i]); j++)
			;
		whole = i == 1 || j == n;	/* the first and the last sample */
		for (k = i; k < j; k++) {
			if (whole || !row_is_quiet(rows[k])) {
				printf("%s\n", rows[k]);
				kept++;
			}
		}
		if (!kept)
			printf("%s\n", rows[i]);
	}
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: profile_helper run [--timeout SECONDS] -- CMD [ARGS...]\n"
		   "       profile_helper now\n"
		   "       profile_helper compact <exit_top.csv >packed.csv\n"
		   "run: CMD's output lines on stdout, each prefixed with the CLOCK_MONOTONIC times\n"
		   "its first and last bytes were read and a tag:\n"
		   "'<s.us> <s.us> out|err|start|exit|timeout|error <text>'.\n"
		   "Exit status: CMD's (128+N: killed by signal N), 124 timeout, 125 error, 127\n"
		   "CMD cannot be run. now: print CLOCK_MONOTONIC in seconds.\n");
	return status;
}

static int run(int argc, char **argv)
{
	struct stream out = { .tag = "out" }, err = { .tag = "err" };
	int p_out[2], p_err[2], p_exec[2], i, open_streams = 2, status, exec_errno = 0;
	long long deadline = 0, kill_at = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	pid_t pid;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			double s = strtod(argv[++i], &end);

			if (*end || s <= 0) {
				fprintf(stderr, "profile_helper: --timeout wants seconds > 0 (got '%s')\n", argv[i]);
				return usage(stderr, 125);
			}
			deadline = now_ns() + (long long)(s * 1e9);
		} else {
			fprintf(stderr, "profile_helper: unknown argument '%s'\n", argv[i]);
			return usage(stderr, 125);
		}
	}
	if (i + 1 >= argc)
		return usage(stderr, 125);
	argv += i + 1;

	if (pipe(p_out) || pipe(p_err) || pipe2(p_exec, O_CLOEXEC)) {
		emitf("error", "pipe: %s", strerror(errno));
		return 125;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	{
		char cmd[LINE_MAX_BYTES] = "";
		size_t n = 0;

		for (i = 0; argv[i] && n < sizeof(cmd) - 2; i++)
			n += snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "", argv[i]);
		emitf("start", "%s", cmd);
	}
	pid = fork();
	if (pid < 0) {
		emitf("error", "fork: %s", strerror(errno));
		return 125;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p_out[1], 1) < 0 || dup2(p_err[1], 2) < 0)
			_exit(125);
		close(p_out[0]);
		close(p_err[0]);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[0], argv);
		exec_errno = errno;
		if (write(p_exec[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p_out[1]);
	close(p_err[1]);
	close(p_exec[1]);
	if (read(p_exec[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
		waitpid(pid, &status, 0);
		emitf("error", "cannot run %s: %s", argv[0], strerror(exec_errno));
		return 127;
	}
	close(p_exec[0]);
	out.fd = p_out[0];
	err.fd = p_err[0];

	while (open_streams) {
		struct pollfd pfd[2];
		int n = 0, timeout_ms = 200;

		if (out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = out.fd, .events = POLLIN };
		if (err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = err.fd, .events = POLLIN };
		if (poll(pfd, n, timeout_ms) < 0 && errno != EINTR) {
			emitf("error", "poll: %s", strerror(errno));
			kill(-pid, SIGKILL);
			return 125;
		}
		for (i = 0; i < n; i++) {
			struct stream *s = pfd[i].fd == out.fd ? &out : &err;

			if (pfd[i].revents && !drain(s)) {
				close(s->fd);
				s->fd = -1;
				open_streams--;
			}
		}
		if (stop_signal && !kill_at) {
			emitf("error", "interrupted by signal %d: stopping %s", (int)stop_signal, argv[0]);
			kill(-pid, SIGTERM);
			kill_at = now_ns() + KILL_GRACE_NS;
		}
		if (deadline && now_ns() > deadline && !kill_at) {
			emitf("timeout", "%s still running after the timeout: SIGTERM", argv[0]);
			kill(-pid, SIGTERM);
			kill_at = now_ns() + KILL_GRACE_NS;
		}
		if (kill_at && now_ns() > kill_at) {
			kill(-pid, SIGKILL);
			kill_at = now_ns() + 1000 * KILL_GRACE_NS;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			emitf("error", "waitpid: %s", strerror(errno));
			return 125;
		}
	}
	if (WIFSIGNALED(status))
		emitf("exit", "signal %d", WTERMSIG(status));
	else
		emitf("exit", "status %d", WEXITSTATUS(status));
	if (stop_signal)
		return 128 + stop_signal;
	if (deadline && kill_at)
		return 124;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "now")) {
		long long t = now_ns();

		printf("%lld.%06lld\n", t / 1000000000LL, t % 1000000000LL / 1000);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "compact"))
		return compact();
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	return usage(stderr, 125);
}
