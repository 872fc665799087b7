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

/*
 * XArray walk (include/linux/xarray.h): an entry whose low two bits are
 * 10 is internal; above 4096 it is a node pointer (+2), below it a
 * sibling, retry or zero marker. A node's slots cover 1 << shift indices
 * each; a child's shift is its parent's minus the chunk shift, which
 * bounds the depth (64-bit indices: at most 11 levels) so the walk ends
 * even on a forged tree; a node budget bounds its width.
 */
#define XA_MAX_NODES 65536
#define XA_MAX_SLOTS 256

struct xa_walk {
	struct cp_profile *p;
	struct cp_field shift, offset, slots;
	unsigned chunk_shift;
	size_t nslots, nodes, count, max;
	cp_xa_fn *fn;
	void *arg;
	struct cp_walk_stop *stop;
	bool done;
};

static bool xa_is_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

static void xa_visit(struct xa_walk *w, uint64_t node, uint64_t base,
		     int want_shift, int want_offset)
{
	if (w->done)
		return;
	if (++w->nodes > XA_MAX_NODES) {
		cp_walk_stop_set(w->stop, "xarray: more than %d nodes",
				 XA_MAX_NODES);
		w->done = true;
		return;
	}
	uint8_t shift, offset;
	uint64_t slots[XA_MAX_SLOTS];
	struct cp_error *err;
	if ((err = cp_read_u8(w->p, node + w->shift.offset, &shift)) ||
	    (err = cp_read_u8(w->p, node + w->offset.offset, &offset)) ||
	    (err = cp_kread(w->p, node + w->slots.offset, slots,
			    w->nslots * 8))) {
		cp_walk_stop_set(w->stop, "xarray node 0x%" PRIx64 ": %s", node,
				 cp_error_message(err));
		cp_error_destroy(err);
		w->done = true;
		return;
	}
	if (shift % w->chunk_shift || shift >= 64 ||
	    (want_shift >= 0 && shift != want_shift) ||
	    (want_offset >= 0 && offset != want_offset)) {
		cp_walk_stop_set(w->stop, "xarray node 0x%" PRIx64 ": shift %u "
				 "offset %u, expected %d and %d", node, shift,
				 offset, want_shift, want_offset);
		w->done = true;
		return;
	}
	for (size_t i = 0; i < w->nslots && !w->done; i++) {
		uint64_t e = slots[i];
		uint64_t index = base + ((uint64_t)i << shift);
		if (!e || (e & 1))
			continue;	/* empty, or a value entry */
		if ((e & 3) == 2) {
			if (xa_is_node(e) && shift > 0)
				xa_visit(w, e - 2, index,
					 (int)(shift - w->chunk_shift), (int)i);
			continue;	/* siblings and markers */
		}
		if (!cp_kernel_ptr_ok(e))
			continue;
		if (w->count == w->max) {
			cp_walk_stop_set(w->stop, "xarray: more than %zu "
					 "entries", w->max);
			w->done = true;
			return;
		}
		w->count++;
		if (!w->fn(w->arg, index, e))
			w->done = true;
	}
}

size_t cp_xa_walk(struct cp_profile *p, uint64_t head_va, size_t max,
		  cp_xa_fn *fn, void *arg, struct cp_walk_stop *stop)
{
	struct xa_walk w = { .p = p, .max = max, .fn = fn, .arg = arg,
			     .stop = stop };
	uint64_t head;
	struct cp_error *err;
	if ((err = cp_field(p, "xa_node", "shift", &w.shift)) ||
	    (err = cp_field(p, "xa_node", "offset", &w.offset)) ||
	    (err = cp_field(p, "xa_node", "slots", &w.slots)) ||
	    (err = cp_read_u64(p, head_va, &head))) {
		cp_walk_stop_set(stop, "xarray at 0x%" PRIx64 ": %s", head_va,
				 cp_error_message(err));
		cp_error_destroy(err);
		return 0;
	}
	w.nslots = w.slots.size / 8;
	/* XA_CHUNK_SHIFT: slots are a power of two, 4 to 64 of them */
	for (w.chunk_shift = 2; w.chunk_shift < 8; w.chunk_shift++)
		if ((size_t)1 << w.chunk_shift == w.nslots)
			break;
	if (w.chunk_shift == 8 || w.nslots > XA_MAX_SLOTS) {
		cp_walk_stop_set(stop, "xa_node has %zu slots", w.nslots);
		return 0;
	}
	if (!head || (head & 1))
		return 0;
	if (xa_is_node(head)) {
		xa_visit(&w, head - 2, 0, -1, -1);
	} else if ((head & 3) == 0 && cp_kernel_ptr_ok(head) && max > 0) {
		w.count = 1;	/* a lone entry at index 0 */
		fn(arg, 0, head);
	}
	return w.count;
}
