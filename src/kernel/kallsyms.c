/*
 * kallsyms.c - decoding the kernel's compressed symbol table, and queries.
 *
 * The tables (see kallsyms_layout.c for where each lies): kallsyms_names
 * holds one record per symbol, a length then that many token codes;
 * expanding each code through kallsyms_token_index/_token_table gives the
 * type letter followed by the name, exactly what /proc/kallsyms prints.
 * kallsyms_markers gives the names offset of every 256th record,
 * kallsyms_offsets one 32-bit value per symbol that becomes its address by
 * the layout's encoding, kallsyms_seqs_of_names a name-sorted permutation.
 *
 * ks_build() trusts nothing: the token index must describe the token
 * table's string boundaries, every record must fit, every marker must match
 * the walk, the permutation must be one, addresses must come out sorted
 * (the kernel's own binary search needs it) and inside the kernel image.
 * The result is compact: one string arena, and per symbol an address, a
 * type byte, an arena offset and a slot in an open-addressing name index.
 *
 * Finding the tables is kallsyms_vmcoreinfo.c (at the addresses VMCOREINFO
 * gives) and kallsyms_carve.c (by their shape).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "kernel/kallsyms_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

struct cp_kallsyms {
	uint32_t count;
	uint64_t *addrs;	/* sorted, in table order */
	uint32_t *name_off;	/* into arena */
	char *types;
	char *arena;
	size_t arena_size;
	/*
	 * The name index: open addressing with linear probing over distinct
	 * names. A slot holds the first index + 1 of a name (low
	 * SLOT_INDEX_BITS) and the top bits of its hash (a tag that spares
	 * most string compares); 0 is empty. Later symbols of the same name
	 * chain through next_same (0 = none; a chain only ascends, so 0
	 * cannot be a successor). Duplicates therefore cost nothing to
	 * insert, whatever a guest puts in its table; the hash is seeded
	 * from the process's random bytes so colliding names cannot be
	 * precomputed either.
	 */
	uint64_t seed;
	uint32_t *hash;
	uint32_t hash_mask;
	uint32_t *next_same;
	struct cp_kallsyms_info info;
};

/* ------------------------------------------------------------ guest bytes */

uint64_t ks_mem_avail(struct cp_mem *mem, uint64_t paddr)
{
	/* Ranges are sorted and disjoint; adjacent ones join up. */
	const struct cp_mem_range *r = cp_mem_ranges(mem);
	size_t n = cp_mem_range_count(mem);
	uint64_t at = paddr;
	for (size_t i = 0; i < n; i++) {
		if (at < r[i].start)
			break;
		if (at - r[i].start < r[i].size)
			at = r[i].start + r[i].size;
	}
	return at - paddr;
}

struct cp_error *ks_span_get(struct cp_mem *mem, uint64_t paddr, uint64_t len,
			     struct ks_span *span)
{
	memset(span, 0, sizeof(*span));
	span->paddr = paddr;
	if (len > SIZE_MAX || len > ks_mem_avail(mem, paddr))
		return cp_error_create(CP_ERR_FAULT,
				       "no memory for 0x%" PRIx64
				       " bytes at physical 0x%" PRIx64,
				       len, paddr);
	span->len = (size_t)len;
	if (len == 0) {
		span->p = (const uint8_t *)"";
		return NULL;
	}
	span->p = cp_mem_map(mem, paddr, (size_t)len);
	if (span->p)
		return NULL;
	span->owned = malloc((size_t)len);
	if (!span->owned)
		return &cp_enomem;
	struct cp_error *err = cp_mem_read(mem, paddr, span->owned, span->len);
	if (err) {
		ks_span_release(span);
		return err;
	}
	span->p = span->owned;
	return NULL;
}

void ks_span_release(struct ks_span *span)
{
	free(span->owned);
	memset(span, 0, sizeof(*span));
}

struct cp_error *ks_read_tables(struct cp_mem *mem, struct ks_source *src,
				struct ks_span spans[KS_NTABLES])
{
	static const char *const names[KS_NTABLES] = {
		"offsets", "relative_base", "num_syms", "names",
		"markers", "seqs_of_names", "token_table", "token_index",
	};
	const struct ks_geometry *g = &src->geo;
	for (int t = 0; t < KS_NTABLES; t++) {
		memset(&spans[t], 0, sizeof(spans[t]));
		src->bytes[t] = NULL;
	}
	for (int t = 0; t < KS_NTABLES; t++) {
		if (!ks_layout_has(g->layout, (enum ks_table)t))
			continue;
		uint64_t size = ks_table_size(g, (enum ks_table)t);
		struct cp_error *err = ks_span_get(mem, g->pa[t], size,
						   &spans[t]);
		if (err) {
			for (int u = 0; u < t; u++)
				ks_span_release(&spans[u]);
			return cp_error_wrap(err, "kallsyms: kallsyms_%s",
					     names[t]);
		}
		src->bytes[t] = spans[t].p;
	}
	return NULL;
}

/* ---------------------------------------------------------------- decoding */

struct cp_error *ks_check_tokens(const uint8_t *table, size_t table_len,
				 const uint8_t *index, size_t *len)
{
	size_t expect = 0;
	for (unsigned c = 0; c < 256; c++) {
		size_t off = ks_le16(index + 2 * c);
		/* scripts/kallsyms writes the tokens back to back, in code
		 * order: each index entry is where the previous string
		 * ended. */
		if (off != expect)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: token index %u points to 0x%zx, "
				"token %u ends at 0x%zx",
				c, off, c ? c - 1 : 0, expect);
		const uint8_t *nul = NULL;
		if (off < table_len) {
			size_t max = table_len - off;
			if (max > KS_NAME_MAX + 1)
				max = KS_NAME_MAX + 1;
			nul = memchr(table + off, 0, max);
		}
		if (!nul)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: token %u at 0x%zx is not a string "
				"inside the 0x%zx-byte token table",
				c, off, table_len);
		expect = (size_t)(nul - table) + 1;
	}
	*len = expect;
	return NULL;
}

/* The tokens, copied out of guest memory so that short ones can be
 * copied with one fixed-size move (the hot loop of decoding). */
#define TOKEN_SHORT 24

struct tokens {
	char s[256][TOKEN_SHORT];	/* NUL-padded copy when short */
	const char *str[256];		/* in the guest's table */
	uint32_t len[256];
};

static void tokens_init(struct tokens *t, const uint8_t *table,
			const uint8_t *index)
{
	memset(t->s, 0, sizeof(t->s));
	for (unsigned c = 0; c < 256; c++) {
		t->str[c] = (const char *)table + ks_le16(index + 2 * c);
		t->len[c] = (uint32_t)strlen(t->str[c]);
		if (t->len[c] <= TOKEN_SHORT)
			memcpy(t->s[c], t->str[c], t->len[c]);
	}
}

/* Length of one record's expansion, type letter included, cut like the
 * kernel cuts it. */
static uint32_t expanded_len(const struct tokens *t, const uint8_t *codes,
			     uint32_t n)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += t->len[codes[i]];
	return total < KS_NAME_MAX + 1 ? total : KS_NAME_MAX + 1;
}

/* Expands a record into out, which has room for KS_NAME_MAX + 1 +
 * TOKEN_SHORT bytes (short tokens are moved whole, padding and all). */
static uint32_t expand(const struct tokens *t, const uint8_t *codes,
		       uint32_t n, char *out)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < n && total < KS_NAME_MAX + 1; i++) {
		uint8_t c = codes[i];
		if (t->len[c] <= TOKEN_SHORT)
			memcpy(out + total, t->s[c], TOKEN_SHORT);
		else
			memcpy(out + total, t->str[c],
			       t->len[c] < KS_NAME_MAX + 1 - total ?
				       t->len[c] :
				       KS_NAME_MAX + 1 - total);
		total += t->len[c];
	}
	return total < KS_NAME_MAX + 1 ? total : KS_NAME_MAX + 1;
}

#define SLOT_INDEX_BITS 22	/* KS_MAX_SYMS + 1 fits */
#define SLOT_INDEX_MASK ((1u << SLOT_INDEX_BITS) - 1)

static uint64_t hash_seed(void)
{
	/* AT_RANDOM: 16 bytes the kernel gave this process at exec */
	const uint8_t *r = (const uint8_t *)getauxval(AT_RANDOM);
	return r ? ks_le64(r) : 0x9e3779b97f4a7c15ull;
}

/* A word-at-a-time multiplicative hash of n bytes. */
static uint32_t name_hash(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = seed ^ n;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h >> 32);
}

static const char *sym_name(const struct cp_kallsyms *ks, uint32_t i)
{
	return ks->arena + ks->name_off[i];
}

/* The first symbol named name (hash h), or UINT32_MAX. */
static uint32_t hash_head(const struct cp_kallsyms *ks, const char *name,
			  uint32_t h)
{
	uint32_t tag = h & ~SLOT_INDEX_MASK;
	for (;; h++) {
		uint32_t slot = ks->hash[h & ks->hash_mask];
		if (!slot)
			return UINT32_MAX;
		uint32_t i = (slot & SLOT_INDEX_MASK) - 1;
		if ((slot & ~SLOT_INDEX_MASK) == tag &&
		    strcmp(sym_name(ks, i), name) == 0)
			return i;
	}
}

/* hv[i] is the hash of symbol i's name. */
static struct cp_error *build_hash(struct cp_kallsyms *ks, const uint32_t *hv)
{
	uint32_t size = 16;
	while (size < 2 * ks->count)
		size *= 2;
	ks->hash = calloc(size, sizeof(*ks->hash));
	ks->next_same = calloc(ks->count, sizeof(*ks->next_same));
	_cleanup_free_ uint32_t *tail = malloc(ks->count * sizeof(*tail));
	if (!ks->hash || !ks->next_same || !tail)
		return &cp_enomem;
	ks->hash_mask = size - 1;
	for (uint32_t i = 0; i < ks->count; i++) {
		/* The slots are random accesses: ask for them early. */
		if (i + 16 < ks->count)
			__builtin_prefetch(&ks->hash[hv[i + 16] & ks->hash_mask]);
		uint32_t head = hash_head(ks, sym_name(ks, i), hv[i]);
		if (head != UINT32_MAX) {
			ks->next_same[tail[head]] = i;
			tail[head] = i;
			continue;
		}
		uint32_t h = hv[i];
		while (ks->hash[h & ks->hash_mask])
			h++;
		ks->hash[h & ks->hash_mask] = (hv[i] & ~SLOT_INDEX_MASK) | (i + 1);
		tail[i] = i;
	}
	return NULL;
}

/* Every record fits, every marker matches; sizes the arena and reads
 * each type letter (the first character of the first token, as the
 * kernel's kallsyms_get_symbol_type() does). */
static struct cp_error *walk_names(const struct ks_source *src,
				   const struct tokens *tok, char *types,
				   size_t *arena_size, uint32_t *at)
{
	const struct ks_geometry *g = &src->geo;
	const uint8_t *names = src->bytes[KS_NAMES];
	const uint8_t *markers = src->bytes[KS_MARKERS];
	uint64_t off = 0;
	size_t total = 0;
	for (uint32_t i = 0; i < g->num_syms; i++) {
		*at = i;
		if (i % 256 == 0 && ks_le32(markers + 4 * (i / 256)) != off)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: marker %u says names offset 0x%x, "
				"the names walk is at 0x%" PRIx64,
				i / 256, ks_le32(markers + 4 * (i / 256)), off);
		uint32_t n = 0;
		uint64_t next = 0;
		if (!ks_name_record(names, g->names_len, off, &n, &next))
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: names: symbol %u of %u at offset "
				"0x%" PRIx64 " runs past the 0x%" PRIx64
				"-byte table",
				i, g->num_syms, off, g->names_len);
		uint32_t len = expanded_len(tok, names + next - n, n);
		if (len < 2)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: names: symbol %u expands to %u "
				"bytes, less than a type and a name",
				i, len);
		total += len;	/* the type byte's place holds the NUL */
		types[i] = tok->str[names[next - n]][0];
		off = next;
	}
	if (off != g->names_len)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kallsyms: names: %u symbols end at 0x%" PRIx64
				       ", the table is 0x%" PRIx64 " bytes",
				       g->num_syms, off, g->names_len);
	*arena_size = total;
	return NULL;
}

static struct cp_error *check_seqs(const struct ks_source *src, uint32_t *at)
{
	const struct ks_geometry *g = &src->geo;
	const uint8_t *seqs = src->bytes[KS_SEQS];
	if (!seqs)
		return NULL;
	_cleanup_free_ uint8_t *seen = calloc(g->num_syms / 8 + 1, 1);
	if (!seen)
		return &cp_enomem;
	for (uint32_t i = 0; i < g->num_syms; i++) {
		*at = i;
		const uint8_t *p = seqs + 3 * (size_t)i;
		uint32_t s = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		if (s >= g->num_syms || (seen[s / 8] & (1u << (s % 8))))
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: seqs_of_names[%u] = %u is %s", i, s,
				s >= g->num_syms ? "past num_syms" :
						   "a repeat");
		seen[s / 8] |= (uint8_t)(1u << (s % 8));
	}
	return NULL;
}

static struct cp_error *decode_addresses(const struct ks_source *src,
					 struct cp_kallsyms *ks, uint32_t *at)
{
	const struct ks_geometry *g = &src->geo;
	const uint8_t *offs = src->bytes[KS_OFFSETS];
	uint64_t base = src->bytes[KS_RELATIVE_BASE] ?
				ks_le64(src->bytes[KS_RELATIVE_BASE]) : 0;
	for (uint32_t i = 0; i < g->num_syms; i++) {
		*at = i;
		uint32_t raw = ks_le32(offs + 4 * (size_t)i);
		int32_t s = (int32_t)raw;
		uint64_t a;
		switch (g->layout->encoding) {
		case KS_ABSOLUTE_PERCPU:
			if (s >= 0) {
				/* Only per-CPU symbols are absolute, and
				 * scripts/kallsyms types them 'A'. */
				if (ks->types[i] != 'A')
					return cp_error_create(
						CP_ERR_CORRUPT,
						"kallsyms: symbol %u is "
						"absolute but of type '%c'",
						i, ks->types[i]);
				a = (uint64_t)s;
			} else {
				a = base - 1 - (uint64_t)(int64_t)s;
			}
			break;
		case KS_BASE_RELATIVE:
			a = base + raw;
			break;
		case KS_PLACE_RELATIVE:
		default:
			a = src->offsets_va + 4 * (uint64_t)i +
			    (uint64_t)(int64_t)s;
			break;
		}
		if (i && a < ks->addrs[i - 1])
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: addresses not sorted at symbol %u: "
				"0x%" PRIx64 " after 0x%" PRIx64,
				i, a, ks->addrs[i - 1]);
		ks->addrs[i] = a;
	}
	return NULL;
}

static void fill_info(const struct ks_source *src, struct cp_kallsyms *ks)
{
	const struct ks_geometry *g = &src->geo;
	ks->info.origin = src->origin;
	ks->info.layout = g->layout->name;
	ks->info.layout_since = g->layout->since;
	ks->info.base_source = g->layout->encoding == KS_PLACE_RELATIVE ?
				       NULL :
				       "relative_base";
	ks->info.names_paddr = g->pa[KS_NAMES];
	ks->info.markers_paddr = g->pa[KS_MARKERS];
	ks->info.token_table_paddr = g->pa[KS_TOKEN_TABLE];
	ks->info.token_index_paddr = g->pa[KS_TOKEN_INDEX];
	ks->info.offsets_paddr = g->pa[KS_OFFSETS];
}

struct cp_error *ks_build(const struct ks_source *src,
			  struct cp_kallsyms **ret, uint64_t *depth)
{
	uint64_t unused;
	if (!depth)
		depth = &unused;
	*depth = 0;
	const struct ks_geometry *g = &src->geo;
	if (g->num_syms == 0 || g->num_syms > KS_MAX_SYMS)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kallsyms: num_syms %u is outside 1..%u",
				       g->num_syms, KS_MAX_SYMS);
	size_t tt_len;
	struct cp_error *err = ks_check_tokens(src->bytes[KS_TOKEN_TABLE],
					       g->token_table_len,
					       src->bytes[KS_TOKEN_INDEX],
					       &tt_len);
	if (err)
		return err;
	_cleanup_free_ struct tokens *tok = malloc(sizeof(*tok));
	if (!tok)
		return &cp_enomem;
	tokens_init(tok, src->bytes[KS_TOKEN_TABLE], src->bytes[KS_TOKEN_INDEX]);
	struct cp_kallsyms *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return &cp_enomem;
	ks->count = g->num_syms;
	ks->seed = hash_seed();
	ks->addrs = malloc(ks->count * sizeof(*ks->addrs));
	ks->name_off = malloc(ks->count * sizeof(*ks->name_off));
	ks->types = malloc(ks->count);
	if (!ks->addrs || !ks->name_off || !ks->types) {
		cp_kallsyms_destroy(ks);
		return &cp_enomem;
	}
	/* Cheap checks first: a layout that does not fit fails here, before
	 * the names are expanded. */
	size_t arena_size = 0;
	uint32_t at = 0;
	*depth = 1ull << 32;
	err = walk_names(src, tok, ks->types, &arena_size, &at);
	if (!err) {
		*depth = 2ull << 32;
		err = check_seqs(src, &at);
	}
	if (!err) {
		*depth = 3ull << 32;
		err = decode_addresses(src, ks, &at);
	}
	*depth |= at;
	if (!err && !(ks->arena = malloc(arena_size)))
		err = &cp_enomem;
	if (err) {
		cp_kallsyms_destroy(ks);
		return err;
	}
	ks->arena_size = arena_size;
	_cleanup_free_ uint32_t *hv = malloc(ks->count * sizeof(*hv));
	if (!hv) {
		cp_kallsyms_destroy(ks);
		return &cp_enomem;
	}
	/* The walk above proved every record fits. */
	const uint8_t *names = src->bytes[KS_NAMES];
	char buf[KS_NAME_MAX + 1 + TOKEN_SHORT];
	uint64_t off = 0;
	size_t used = 0;
	for (uint32_t i = 0; i < ks->count; i++) {
		uint32_t n = 0;
		uint64_t next = 0;
		ks_name_record(names, g->names_len, off, &n, &next);
		uint32_t len = expand(tok, names + next - n, n, buf);
		ks->name_off[i] = (uint32_t)used;
		memcpy(ks->arena + used, buf + 1, len - 1);
		ks->arena[used + len - 1] = '\0';
		hv[i] = name_hash(ks->seed, buf + 1, len - 1);
		used += len;
		off = next;
	}
	fill_info(src, ks);
	err = build_hash(ks, hv);
	*depth = 4ull << 32;
	if (!err && !src->addresses_physical)
		err = ks_check_range(ks);
	if (err) {
		cp_kallsyms_destroy(ks);
		return err;
	}
	*ret = ks;
	return NULL;
}

struct cp_error *ks_rebase(struct cp_kallsyms *ks, uint64_t delta)
{
	for (uint32_t i = 0; i < ks->count; i++) {
		if (ks->addrs[i] + delta < ks->addrs[i])
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: symbol %u at 0x%" PRIx64
				" + 0x%" PRIx64 " wraps",
				i, ks->addrs[i], delta);
		ks->addrs[i] += delta;
	}
	return NULL;
}

struct cp_error *ks_check_range(const struct cp_kallsyms *ks)
{
	for (uint32_t i = 0; i < ks->count; i++)
		if (ks->types[i] != 'A' && ks->addrs[i] < KS_KERNEL_MAP)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: symbol %u (%s) at 0x%" PRIx64
				" is below the kernel image mapping",
				i, ks->arena + ks->name_off[i], ks->addrs[i]);
	return NULL;
}

struct cp_kallsyms_info *ks_info_mut(struct cp_kallsyms *ks)
{
	return &ks->info;
}

/* ----------------------------------------------------------------- queries */

void cp_kallsyms_destroy(struct cp_kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->addrs);
	free(ks->name_off);
	free(ks->types);
	free(ks->arena);
	free(ks->hash);
	free(ks->next_same);
	free(ks);
}

size_t cp_kallsyms_count(const struct cp_kallsyms *ks)
{
	return ks->count;
}

bool cp_kallsyms_get(const struct cp_kallsyms *ks, size_t i,
		     struct cp_ksym *ret)
{
	if (i >= ks->count)
		return false;
	ret->name = ks->arena + ks->name_off[i];
	ret->addr = ks->addrs[i];
	ret->type = ks->types[i];
	return true;
}

size_t cp_kallsyms_find_all(const struct cp_kallsyms *ks, const char *name,
			    size_t *indices, size_t max)
{
	uint32_t i = hash_head(ks, name,
			       name_hash(ks->seed, name, strlen(name)));
	if (i == UINT32_MAX)
		return 0;
	size_t found = 0;
	do {
		if (found < max)
			indices[found] = i;
		found++;
		i = ks->next_same[i];
	} while (i);
	return found;
}

bool cp_kallsyms_find(const struct cp_kallsyms *ks, const char *name,
		      size_t *index)
{
	size_t i;
	if (!cp_kallsyms_find_all(ks, name, &i, 1))
		return false;
	if (index)
		*index = i;
	return true;
}

bool cp_kallsyms_address(const struct cp_kallsyms *ks, const char *name,
			 uint64_t *addr)
{
	size_t i;
	if (!cp_kallsyms_find(ks, name, &i))
		return false;
	*addr = ks->addrs[i];
	return true;
}

/* The first index whose address is above addr (or at/above, if !after). */
static size_t bound(const struct cp_kallsyms *ks, uint64_t addr, bool after)
{
	size_t lo = 0, hi = ks->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (after ? ks->addrs[mid] <= addr : ks->addrs[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool cp_kallsyms_lookup(const struct cp_kallsyms *ks, uint64_t addr,
			size_t *index, uint64_t *offset)
{
	size_t above = bound(ks, addr, true);
	if (above == 0)
		return false;
	size_t first = bound(ks, ks->addrs[above - 1], false);
	if (index)
		*index = first;
	if (offset)
		*offset = addr - ks->addrs[first];
	return true;
}

const struct cp_kallsyms_info *cp_kallsyms_info(const struct cp_kallsyms *ks)
{
	return &ks->info;
}

/* ------------------------------------------------------ from a plain list */

/*
 * A table from a list of symbols: the profile cache (which stored a
 * validated table) and System.map imports. The list must be sorted by
 * address, as every table here is; names must be non-empty and shorter
 * than KS_NAME_MAX, types printable. Nothing of the list is kept.
 */
struct cp_error *cp_kallsyms_from_list(const struct cp_ksym *syms, size_t n,
				       const char *origin,
				       struct cp_kallsyms **ret)
{
	if (n == 0 || n > KS_MAX_SYMS)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kallsyms: %zu symbols in %s is outside "
				       "1..%u", n, origin, KS_MAX_SYMS);
	size_t arena_size = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = syms[i].name ? strlen(syms[i].name) : 0;
		if (len == 0 || len > KS_NAME_MAX || syms[i].type <= ' ' ||
		    syms[i].type > '~')
			return cp_error_create(CP_ERR_CORRUPT,
					       "kallsyms: symbol %zu of %s is "
					       "malformed", i, origin);
		if (i && syms[i].addr < syms[i - 1].addr)
			return cp_error_create(CP_ERR_CORRUPT,
					       "kallsyms: %s is not sorted by "
					       "address at symbol %zu", origin, i);
		arena_size += len + 1;
	}
	struct cp_kallsyms *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return &cp_enomem;
	ks->count = (uint32_t)n;
	ks->seed = hash_seed();
	ks->addrs = malloc(n * sizeof(*ks->addrs));
	ks->name_off = malloc(n * sizeof(*ks->name_off));
	ks->types = malloc(n);
	ks->arena = malloc(arena_size);
	_cleanup_free_ uint32_t *hv = malloc(n * sizeof(*hv));
	if (!ks->addrs || !ks->name_off || !ks->types || !ks->arena || !hv) {
		cp_kallsyms_destroy(ks);
		return &cp_enomem;
	}
	ks->arena_size = arena_size;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(syms[i].name);
		ks->addrs[i] = syms[i].addr;
		ks->types[i] = syms[i].type;
		ks->name_off[i] = (uint32_t)used;
		memcpy(ks->arena + used, syms[i].name, len + 1);
		hv[i] = name_hash(ks->seed, syms[i].name, len);
		used += len + 1;
	}
	ks->info.origin = origin;
	ks->info.layout = "list";
	struct cp_error *err = build_hash(ks, hv);
	if (err) {
		cp_kallsyms_destroy(ks);
		return err;
	}
	*ret = ks;
	return NULL;
}
