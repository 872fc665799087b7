/*
 * fuzz_task_text.c - the process views' parsers of guest bytes: argv
 * escaping (and its inverse), environ splitting, the /proc/PID/cmdline
 * setproctitle rule, the ps state letter, and the backwards path buffer.
 * Invariants checked, not only "no crash": every argv element round-trips
 * through escape/unescape, environ entries stay inside the input, the
 * cmdline length never exceeds what was read, and the path buffer never
 * writes past its size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/path.h"
#include "linux/tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	if (size >= 8) {
		uint32_t st, ex;
		memcpy(&st, data, 4);
		memcpy(&ex, data + 4, 4);
		if (!strchr("RSDTtXZPI", cp_task_state_letter(st, ex)))
			abort();
	}

	/* argv: the escaped line splits on spaces into the elements. */
	char *line = cp_argv_escape(s, size);
	if (line) {
		size_t len = size && s[size - 1] == '\0' ? size - 1 : size;
		char *out = malloc(strlen(line) + 1);
		const char *el = line, *src = s;
		size_t left = len;
		for (;;) {
			const char *sp = strchr(el, ' ');
			size_t n = sp ? (size_t)(sp - el) : strlen(el);
			size_t got = cp_argv_unescape(el, n, out);
			const char *nul = memchr(src, '\0', left);
			size_t want = nul ? (size_t)(nul - src) : left;
			if (got != want || memcmp(out, src, got))
				abort();
			if (!sp)
				break;
			if (!nul)
				abort();
			left -= want + 1;
			src = nul + 1;
			el = sp + 1;
		}
		free(out);
		free(line);
	}

	struct cp_env_iter it = { .data = s, .len = size };
	const char *k, *v;
	size_t kl, vl, n = 0;
	bool eq;
	while (cp_env_next(&it, &k, &kl, &v, &vl, &eq)) {
		if (k < s || k + kl > s + size || v < s || v + vl > s + size ||
		    ++n > size)
			abort();
	}

	if (size) {
		size_t arg_len = data[0] % (size + 1);
		if (cp_cmdline_length(s, arg_len, size) > size)
			abort();
	}

	char buf[64 + 8];
	memset(buf + 64, 0x5a, 8);
	struct cp_prepend b;
	cp_prepend_init(&b, buf, 64);
	for (size_t i = 0; i + 1 < size; i += 2) {
		size_t take = data[i] % 24;
		if (take > size - i - 1)
			take = size - i - 1;
		cp_prepend(&b, s + i + 1, take);
	}
	if (cp_prepend_len(&b) > 63 || cp_prepend_text(&b)[cp_prepend_len(&b)])
		abort();
	for (size_t i = 64; i < sizeof(buf); i++)
		if ((uint8_t)buf[i] != 0x5a)
			abort();
	return 0;
}
