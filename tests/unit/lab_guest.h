/*
 * lab_guest.h - booting lab guests from a unit test (tests/lab/lab).
 *
 * Tests that need a real guest run only when CLOUDPROBE_TEST_LAB=1 (they
 * take seconds and need QEMU); otherwise they skip. The test process is the
 * guests' owner (CLOUDPROBE_LAB_OWNER), so a crashed test leaves no QEMU
 * behind; tests still `down` what they `up`. Run from the repository root,
 * or set CLOUDPROBE_LAB_TOOL to the lab script.
 */
#ifndef CP_TESTS_LAB_GUEST_H
#define CP_TESTS_LAB_GUEST_H

#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "unit.h"

extern char **environ;

static inline bool lab_enabled(void)
{
	const char *e = getenv("CLOUDPROBE_TEST_LAB");
	return e && strcmp(e, "1") == 0;
}

/*
 * Runs the lab tool with NULL-terminated arguments; *out (optional)
 * receives its stdout, malloc'd. Returns the exit status (-1 on failure to
 * run it).
 */
static inline int lab_run(char **out, const char *arg, ...)
{
	const char *tool = getenv("CLOUDPROBE_LAB_TOOL");
	const char *argv[32] = { tool ? tool : "tests/lab/lab" };
	size_t argc = 1;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	char owner[32];
	snprintf(owner, sizeof(owner), "%d", (int)getpid());
	setenv("CLOUDPROBE_LAB_OWNER", owner, 1);
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -1;
	}
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(fds[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	if (buf)
		buf[len] = '\0';
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Boots NAME (mem e.g. "256M"); returns its run directory, malloc'd. */
static inline char *lab_up(const char *name, const char *mem)
{
	char *out = NULL;
	int rc = lab_run(&out, "up", name, "--kernel", "6.1-cloud", "--mem",
			 mem, NULL);
	if (rc != 0 || !out) {
		free(out);
		fail_msg("lab up %s failed (status %d)", name, rc);
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static inline void lab_down(const char *name)
{
	lab_run(NULL, "down", name, NULL);
}

/* DIR/REL read whole, NUL-terminated, malloc'd; NULL if unreadable. */
static inline char *lab_slurp(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

/* The address of NAME in a kallsyms text ("ADDR T NAME [mod]"), or 0. */
static inline uint64_t lab_kallsyms(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		/* Each line is parsed on its own: sscanf on the whole text
		 * would strlen() megabytes per call. */
		char line[512];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			unsigned long long addr;
			char type;
			int off = 0;
			if (sscanf(line, "%llx %c %n", &addr, &type, &off) == 2 &&
			    off && strncmp(line + off, name, nl) == 0 &&
			    (line[off + nl] == '\0' || line[off + nl] == ' ' ||
			     line[off + nl] == '\t'))
				return addr;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

#endif /* CP_TESTS_LAB_GUEST_H */
