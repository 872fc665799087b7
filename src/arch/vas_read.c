/*
 * vas_read.c - reading guest memory by virtual address.
 *
 * Everything here is built on cp_vas_translate(): a read is cut at page
 * boundaries, each piece translated, physically adjacent pieces merged,
 * and the pieces read through the memory source, in one batched read when
 * there are several (one process_vm_readv for a live qemu: source). Reads
 * are all or nothing; a batch is all or nothing per request.
 *
 * Guest pointers and lengths are not trusted here either: a read that
 * would wrap the address space fails, strings stop at a caller's bound and
 * never touch the page after their NUL, and pointers read with
 * cp_vas_read_ptr() must be canonical.
 *
 * Not here: page walks and the cache (x86_64.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/vas_internal.h"
#include "mem/mem.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/vector.h"

CP_DEFINE_VECTOR(mem_request_vector, struct cp_mem_request)

/* Bytes from va to the end of its page as translated (4 KiB - 1 GiB). */
static uint64_t left_in_page(uint64_t va, const struct cp_vas_translation *t)
{
	return t->page_size - (va & (t->page_size - 1));
}

/*
 * Cuts [va, va+len) into physical pieces appended to v, merging pieces
 * that are physically adjacent. Fails on the first untranslatable page.
 */
static struct cp_error *add_pieces(struct cp_vas *vas, uint64_t va,
				   uint8_t *buf, size_t len,
				   struct mem_request_vector *v, size_t first)
{
	if (len && va + (len - 1) < va)
		return cp_error_create(CP_ERR_FAULT,
				       "read of %zu bytes at 0x%" PRIx64
				       " wraps the address space", len, va);
	while (len) {
		struct cp_vas_translation t;
		struct cp_error *err = cp_vas_translate(vas, va, &t);
		if (err)
			return err;
		size_t n = len;
		if (n > left_in_page(va, &t))
			n = (size_t)left_in_page(va, &t);
		vas->stats.pages_touched++;
		struct cp_mem_request *last =
			v->size > first ? &v->data[v->size - 1] : NULL;
		if (last && last->paddr + last->len == t.paddr &&
		    (uint8_t *)last->buf + last->len == buf) {
			last->len += n;
		} else {
			struct cp_mem_request *q = mem_request_vector_append_entry(v);
			if (!q)
				return &cp_enomem;
			*q = (struct cp_mem_request){ .paddr = t.paddr,
						      .buf = buf, .len = n };
		}
		va += n;
		buf += n;
		len -= n;
	}
	return NULL;
}

struct cp_error *cp_vas_read(struct cp_vas *vas, uint64_t va, void *buf,
			     size_t len)
{
	if (len == 0)
		return NULL;
	/* The common case, a read inside one page: no allocation. */
	struct cp_vas_translation t;
	struct cp_error *err = cp_vas_translate(vas, va, &t);
	if (err)
		return err;
	if (len <= left_in_page(va, &t)) {
		vas->stats.pages_touched++;
		err = cp_mem_read(vas->mem, t.paddr, buf, len);
		if (err)
			return cp_error_wrap(err, "0x%" PRIx64
					     " (physical 0x%" PRIx64 ")",
					     va, t.paddr);
		vas->stats.bytes_read += len;
		return NULL;
	}
	/* Several pages: translate them all, then one batched read. */
	struct cp_vas_request req = { .va = va, .buf = buf, .len = len };
	return cp_vas_read_batch(vas, &req, 1);
}

struct cp_error *cp_vas_read_u8(struct cp_vas *vas, uint64_t va,
				uint8_t *ret)
{
	return cp_vas_read(vas, va, ret, sizeof(*ret));
}

struct cp_error *cp_vas_read_u16(struct cp_vas *vas, uint64_t va,
				 uint16_t *ret)
{
	return cp_vas_read(vas, va, ret, sizeof(*ret));
}

struct cp_error *cp_vas_read_u32(struct cp_vas *vas, uint64_t va,
				 uint32_t *ret)
{
	return cp_vas_read(vas, va, ret, sizeof(*ret));
}

struct cp_error *cp_vas_read_u64(struct cp_vas *vas, uint64_t va,
				 uint64_t *ret)
{
	return cp_vas_read(vas, va, ret, sizeof(*ret));
}

struct cp_error *cp_vas_read_ptr(struct cp_vas *vas, uint64_t va,
				 uint64_t *ret)
{
	uint64_t v;
	struct cp_error *err = cp_vas_read(vas, va, &v, sizeof(v));
	if (err)
		return err;
	if (!cp_x86_canonical(v, vas->levels))
		return cp_error_create(CP_ERR_CORRUPT,
				       "pointer at 0x%" PRIx64 " holds 0x%"
				       PRIx64 ", not a canonical address",
				       va, v);
	*ret = v;
	return NULL;
}

struct cp_error *cp_vas_read_string(struct cp_vas *vas, uint64_t va,
				    size_t max, char **ret, bool *truncated)
{
	if (max == SIZE_MAX)
		max--;	/* room for the NUL */
	size_t cap = max < CP_PAGE_SIZE ? max + 1 : CP_PAGE_SIZE + 1;
	_cleanup_free_ char *s = malloc(cap);
	if (!s)
		return &cp_enomem;
	size_t pos = 0;
	while (pos < max) {
		uint64_t at = va + pos;
		if (at < va)
			return cp_error_create(CP_ERR_FAULT,
					       "string at 0x%" PRIx64
					       " runs off the address space",
					       va);
		/* 4 KiB steps even inside a huge page: stop near the NUL. */
		size_t n = (size_t)(CP_PAGE_SIZE - (at & (CP_PAGE_SIZE - 1)));
		if (n > max - pos)
			n = max - pos;
		if (pos + n + 1 > cap) {
			size_t want = cap * 2 > pos + n + 1 ? cap * 2 :
							      pos + n + 1;
			if (want > max + 1)
				want = max + 1;
			char *grown = realloc(s, want);
			if (!grown)
				return &cp_enomem;
			s = grown;
			cap = want;
		}
		struct cp_error *err = cp_vas_read(vas, at, s + pos, n);
		if (err)
			return cp_error_wrap(err, "string at 0x%" PRIx64
					     " (%zu bytes read)", va, pos);
		char *nul = memchr(s + pos, '\0', n);
		if (nul) {
			if (truncated)
				*truncated = false;
			*ret = cp_steal_ptr(&s);
			return NULL;
		}
		pos += n;
	}
	s[pos] = '\0';
	if (truncated)
		*truncated = true;
	*ret = cp_steal_ptr(&s);
	return NULL;
}

/*
 * The precise error of a failed physical piece, for a batch's message: the
 * piece is read again alone (one extra read, on the failure path only).
 */
static struct cp_error *piece_error(struct cp_vas *vas,
				    const struct cp_mem_request *q)
{
	_cleanup_free_ void *tmp = malloc(q->len ? q->len : 1);
	if (!tmp)
		return &cp_enomem;
	struct cp_error *err = cp_mem_read(vas->mem, q->paddr, tmp, q->len);
	if (!err)	/* it worked this time: the guest is changing */
		err = cp_error_create(CP_ERR_FAULT,
				      "physical 0x%" PRIx64 " failed in the "
				      "batch, then read alone", q->paddr);
	return err;
}

struct cp_error *cp_vas_read_batch(struct cp_vas *vas,
				   struct cp_vas_request *reqs, size_t n)
{
	if (n == 0)
		return NULL;
	struct mem_request_vector v;
	mem_request_vector_init(&v);
	/* first[i]..first[i+1]: the physical pieces of request i. */
	_cleanup_free_ size_t *first = malloc((n + 1) * sizeof(*first));
	if (!first)
		return &cp_enomem;
	struct cp_error *err = NULL;	/* the first failure by index */
	size_t err_index = n, failed = 0;

	for (size_t i = 0; i < n; i++) {
		first[i] = v.size;
		reqs[i].ok = true;
		struct cp_error *e = add_pieces(vas, reqs[i].va, reqs[i].buf,
						reqs[i].len, &v, v.size);
		if (e) {
			v.size = first[i];	/* drop its pieces */
			reqs[i].ok = false;
			failed++;
			if (!err) {
				err = e;
				err_index = i;
			} else {
				cp_error_destroy(e);
			}
		}
	}
	first[n] = v.size;

	struct cp_error *merr = cp_mem_read_batch(vas->mem, v.data, v.size);
	if (merr) {
		cp_error_destroy(merr);
		for (size_t i = 0; i < n; i++) {
			if (!reqs[i].ok)
				continue;
			for (size_t j = first[i]; j < first[i + 1]; j++) {
				if (v.data[j].ok)
					continue;
				reqs[i].ok = false;
				failed++;
				if (i < err_index) {
					cp_error_destroy(err);
					err = piece_error(vas, &v.data[j]);
					err = cp_error_wrap(
						err, "0x%" PRIx64 " (physical 0x%"
						PRIx64 ")", reqs[i].va +
						(uint64_t)((uint8_t *)v.data[j].buf -
							   (uint8_t *)reqs[i].buf),
						v.data[j].paddr);
					err_index = i;
				}
				break;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (reqs[i].ok)
			vas->stats.bytes_read += reqs[i].len;
	mem_request_vector_deinit(&v);
	if (!failed)
		return NULL;
	if (n == 1)
		return err;
	return cp_error_wrap(err, "%zu of %zu reads failed, first (#%zu)",
			     failed, n, err_index);
}
