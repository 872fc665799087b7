/*
 * kread.c - bounded, validated reads of guest kernel memory for views
 * (see kread.h). Everything here goes through cp_kread(), which walks the
 * guest's own page tables; nothing here trusts a value it read.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/kread.h"
#include "util/error.h"

struct cp_error *cp_read_u8(struct cp_profile *p, uint64_t va, uint8_t *ret)
{
	return cp_kread(p, va, ret, sizeof(*ret));
}

struct cp_error *cp_read_u16(struct cp_profile *p, uint64_t va,
			     uint16_t *ret)
{
	return cp_kread(p, va, ret, sizeof(*ret));
}

struct cp_error *cp_read_u32(struct cp_profile *p, uint64_t va,
			     uint32_t *ret)
{
	return cp_kread(p, va, ret, sizeof(*ret));
}

struct cp_error *cp_read_u64(struct cp_profile *p, uint64_t va,
			     uint64_t *ret)
{
	return cp_kread(p, va, ret, sizeof(*ret));
}

struct cp_error *cp_read_ptr(struct cp_profile *p, uint64_t va,
			     uint64_t *ret)
{
	uint64_t v;
	struct cp_error *err = cp_kread(p, va, &v, sizeof(v));
	if (err)
		return err;
	if (v && !cp_kernel_ptr_ok(v))
		return cp_error_create(CP_ERR_CORRUPT,
				       "pointer at 0x%" PRIx64 " is 0x%" PRIx64
				       ", not a kernel address", va, v);
	*ret = v;
	return NULL;
}

struct cp_error *cp_read_uint(struct cp_profile *p, uint64_t va, size_t size,
			      uint64_t *ret)
{
	uint8_t b[8] = { 0 };
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "integer of %zu bytes at 0x%" PRIx64, size,
				       va);
	struct cp_error *err = cp_kread(p, va, b, size);
	if (err)
		return err;
	uint64_t v = 0;
	memcpy(&v, b, sizeof(v));	/* little-endian: zero-extends */
	*ret = v;
	return NULL;
}

struct cp_error *cp_read_cstr(struct cp_profile *p, uint64_t va, char *buf,
			      size_t max)
{
	/* Read in pieces that never cross a page: the bytes past the NUL
	 * may be unmapped. */
	size_t done = 0;
	while (done < max) {
		uint64_t at = va + done;
		size_t chunk = 4096 - (size_t)(at & 4095);
		if (chunk > max - done)
			chunk = max - done;
		struct cp_error *err = cp_kread(p, at, buf + done, chunk);
		if (err) {
			buf[done] = '\0';
			return err;
		}
		char *nul = memchr(buf + done, '\0', chunk);
		if (nul)
			return NULL;
		done += chunk;
	}
	buf[max] = '\0';
	return NULL;
}

void cp_walk_stop_set(struct cp_walk_stop *stop, const char *fmt, ...)
{
	if (!stop || stop->partial)
		return;
	stop->partial = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(stop->reason, sizeof(stop->reason), fmt, ap);
	va_end(ap);
}

size_t cp_list_walk(struct cp_profile *p, uint64_t head, size_t max,
		    cp_list_fn *fn, void *arg, struct cp_walk_stop *stop)
{
	uint64_t links[2];	/* struct list_head: next, prev */
	struct cp_error *err = cp_kread(p, head, links, sizeof(links));
	if (err) {
		cp_walk_stop_set(stop, "list head 0x%" PRIx64 ": %s", head,
				 cp_error_message(err));
		cp_error_destroy(err);
		return 0;
	}
	uint64_t last = head, node = links[0];
	/* Brent's cycle detection: a saved node, re-saved at powers of two,
	 * is met again only if the walk loops without reaching head. */
	uint64_t saved = head;
	size_t power = 1, lambda = 0, count = 0;
	while (node != head) {
		if (count == max) {
			cp_walk_stop_set(stop, "list at 0x%" PRIx64 " longer than "
					 "%zu entries", head, max);
			break;
		}
		if (!cp_kernel_ptr_ok(node)) {
			cp_walk_stop_set(stop, "list at 0x%" PRIx64 ": entry %zu "
					 "points to 0x%" PRIx64, head, count,
					 node);
			break;
		}
		if ((err = cp_kread(p, node, links, sizeof(links)))) {
			cp_walk_stop_set(stop, "list at 0x%" PRIx64 ": entry %zu: "
					 "%s", head, count, cp_error_message(err));
			cp_error_destroy(err);
			break;
		}
		if (links[1] != last) {
			cp_walk_stop_set(stop, "list at 0x%" PRIx64 ": entry %zu "
					 "(0x%" PRIx64 ") prev is 0x%" PRIx64
					 ", not 0x%" PRIx64 " (torn or forged)",
					 head, count, node, links[1], last);
			break;
		}
		if (node == saved) {
			cp_walk_stop_set(stop, "list at 0x%" PRIx64 " loops at "
					 "0x%" PRIx64 " without returning to its "
					 "head", head, node);
			break;
		}
		count++;
		if (!fn(arg, node))
			break;
		if (++lambda == power) {
			saved = node;
			power *= 2;
			lambda = 0;
		}
		last = node;
		node = links[0];
	}
	return count;
}

struct cp_error *cp_fields_resolve(struct cp_profile *p,
				   const struct cp_field_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct cp_field_spec *s = &specs[i];
		struct cp_resolved_field *out = s->out;
		memset(out, 0, sizeof(*out));
		const char *alt = s->path;
		while (alt && *alt && !out->found) {
			const char *bar = strchr(alt, '|');
			size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
			char path[128];
			if (len >= sizeof(path))
				return cp_error_create(CP_ERR_USAGE,
						       "field path too long: %s",
						       s->path);
			memcpy(path, alt, len);
			path[len] = '\0';
			struct cp_field f;
			struct cp_error *err = cp_field(p, s->type, path, &f);
			if (!err) {
				out->found = true;
				out->offset = f.offset;
				out->size = f.size;
				out->bit_offset = f.bit_offset;
				out->bit_size = f.bit_size;
				out->path = alt;
			} else if (cp_error_code(err) != CP_ERR_NOT_FOUND) {
				return err;
			} else {
				cp_error_destroy(err);
			}
			alt = bar ? bar + 1 : NULL;
		}
		if (!out->found && !s->optional)
			return cp_error_create(CP_ERR_NOT_FOUND,
					       "this kernel's types have no %s.%s",
					       s->type, s->path);
	}
	return NULL;
}

struct cp_error *cp_struct_size(struct cp_profile *p, const char *type,
				uint64_t *ret)
{
	return cp_type_size(p, type, ret);
}
