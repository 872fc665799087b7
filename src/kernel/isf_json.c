/*
 * isf_json.c - the JSON numbers an ISF holds and jansson cannot.
 *
 * ISF symbol addresses are unsigned 64-bit (0xffffffff81000000 is above
 * INT64_MAX), dwarf2json writes them as plain numbers, and jansson, which
 * keeps integers as long long, refuses the file ("too big integer"). So
 * before parsing, every plain number outside a string that is above
 * INT64_MAX is quoted, and the readers here accept a decimal string where
 * a number belongs. Quoting is a lexical pass that only needs to tell
 * strings (with escapes) from the rest; anything odd it leaves for
 * jansson to reject.
 *
 * Not for: the meaning of any field (isf_import.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/isf_plan.h"
/*
 * jansson keeps integers as long long and refuses larger ones; ISF
 * addresses are unsigned 64-bit. Numbers outside strings that are plain
 * digits above INT64_MAX are therefore quoted before parsing, and the
 * readers below accept such strings where numbers belong.
 */
char *cp_isf_json_quote_big(const char *in, size_t len, size_t *out_len)
{
	static const char max[] = "9223372036854775807";
	size_t extra = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *out = pass ? malloc(len + extra + 1) : NULL;
		size_t o = 0;
		bool in_str = false, esc = false;
		if (pass && !out)
			return NULL;
		for (size_t i = 0; i < len;) {
			char c = in[i];
			if (in_str || !isdigit((unsigned char)c) ||
			    (i && (isalnum((unsigned char)in[i - 1]) ||
				   in[i - 1] == '-' || in[i - 1] == '.'))) {
				if (in_str) {
					if (esc)
						esc = false;
					else if (c == '\\')
						esc = true;
					else if (c == '"')
						in_str = false;
				} else if (c == '"') {
					in_str = true;
				}
				if (pass)
					out[o++] = c;
				i++;
				continue;
			}
			size_t j = i;
			while (j < len && isdigit((unsigned char)in[j]))
				j++;
			size_t n = j - i;
			bool big = (j == len || !strchr(".eE", in[j])) &&
				   (n > 19 ||
				    (n == 19 && memcmp(in + i, max, 19) > 0));
			if (!pass) {
				extra += big ? 2 : 0;
			} else {
				if (big)
					out[o++] = '"';
				memcpy(out + o, in + i, n);
				o += n;
				if (big)
					out[o++] = '"';
			}
			i = j;
		}
		if (pass) {
			out[o] = '\0';
			*out_len = o;
			return out;
		}
	}
	return NULL;
}

bool cp_isf_json_u64(const json_t *v, uint64_t *ret)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return false;
		*ret = (uint64_t)i;
		return true;
	}
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long u = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*ret = u;
	return true;
}

/* A signed or big unsigned constant, as its 64-bit pattern. */
bool cp_isf_json_value(const json_t *v, uint64_t *ret, bool *negative)
{
	*negative = json_is_integer(v) && json_integer_value(v) < 0;
	if (*negative) {
		*ret = (uint64_t)json_integer_value(v);
		return true;
	}
	return cp_isf_json_u64(v, ret);
}

bool cp_isf_json_u32(const json_t *obj, const char *key, uint32_t *ret)
{
	uint64_t v;
	if (!cp_isf_json_u64(json_object_get(obj, key), &v) || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}
