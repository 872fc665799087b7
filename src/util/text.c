/*
 * text.c - making guest-controlled strings safe to print.
 *
 * Every string cloudprobe prints may come from guest memory, which belongs
 * to the attacker: a process name can hold escape sequences aimed at the
 * operator's terminal, or bytes that are not UTF-8 and would make a JSON
 * document invalid. cp_text_sanitize() keeps valid UTF-8 as it is and
 * spells everything else as a visible "\xNN", so output stays faithful
 * (the bytes can be recovered) and harmless.
 */
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *cp_text_sanitize(const char *s, size_t n, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	/* Worst case: every byte becomes \xNN. */
	if (n > (SIZE_MAX - 1) / 4)
		return NULL;
	char *out = malloc(4 * n + 1), *p = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(u + i, n - i);
		bool control = len == 1 && (u[i] < 0x20 || u[i] == 0x7f);
		bool c1 = len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0;
		if (len == 0 || ((control || c1) && (flags & CP_TEXT_ESCAPE_CONTROL)) ||
		    (u[i] == '\\' && (flags & CP_TEXT_ESCAPE_BACKSLASH))) {
			size_t bytes = len ? len : 1;
			for (size_t k = 0; k < bytes; k++) {
				*p++ = '\\';
				*p++ = 'x';
				*p++ = hex[u[i + k] >> 4];
				*p++ = hex[u[i + k] & 0xf];
			}
			i += bytes;
			continue;
		}
		memcpy(p, u + i, len);
		p += len;
		i += len;
	}
	*p = '\0';
	return out;
}

bool cp_text_is_clean(const char *s, size_t n, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(u + i, n - i);
		if (len == 0)
			return false;
		if (flags & CP_TEXT_ESCAPE_CONTROL) {
			if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))
				return false;
			if (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
				return false;
		}
		if ((flags & CP_TEXT_ESCAPE_BACKSLASH) && u[i] == '\\')
			return false;
		i += len;
	}
	return true;
}
