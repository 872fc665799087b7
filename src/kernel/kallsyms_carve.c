/*
 * kallsyms_carve.c - finding the kallsyms tables with no VMCOREINFO.
 *
 * A guest may erase its VMCOREINFO page; the kallsyms tables themselves
 * cannot go without breaking the kernel's own stack traces. We find them
 * by shape, in three steps, each bounded and each validating what the last
 * one assumed:
 *
 * 1. The token table. Every character that occurs in a symbol name is its
 *    own one-character token at its own code, so the table holds runs like
 *    "0\0" "1\0" ... "9\0" at codes '0'..'9'. A scan for such a run (the
 *    anchors below) gives candidates; from one we walk back to token 1 and
 *    forward to token 255 by counting strings, and the token index must
 *    follow, 256 u16 offsets matching those string boundaries exactly.
 *    The scan stops at the first candidate whose tables all decode.
 * 2. num_syms, names and markers. For each layout (kallsyms_layout.c) the
 *    markers' place follows from the token table and num_syms alone; we
 *    walk back from the token table looking at each aligned u32 as a
 *    possible num_syms, check the predicted markers cheaply, then walk the
 *    names records from there: they must end exactly at the markers and
 *    pass every marker on the way.
 * 3. Everything else by the layout, then ks_build() validates all tables
 *    together (a layout that does not fit fails there and the next is
 *    tried).
 *
 * Runtime addresses: up to 6.19 the table stores relative_base, relocated
 * at boot, so addresses come out runtime. From 7.0 offsets are relative to
 * their own virtual address, which nothing stores: we decode with the
 * physical one, then learn the kernel image's va - pa from a hint, or by a
 * vote of the kernel's self-pointers: an empty static list_head holds its
 * own runtime address twice, so for each data symbol whose bytes hold a
 * pair (v, v) pointing into the kernel map, v - pa is a candidate, and
 * must be a multiple of 2 MiB (both KASLR shifts are). On the 7.2 guest 29
 * symbols agree and none disagree. With a stored base the same vote, over
 * the few 2 MiB steps that keep the token table inside .rodata, still
 * yields va - pa (phys_base) for the profile: 770-900 votes on 6.x guests.
 *
 * Not for: module symbols, or reading anything but the tables (and the
 * voters' first 64 bytes).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kallsyms_internal.h"
#include "mem/scan.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Runs of one-character tokens at their own codes. */
static const struct anchor {
	unsigned code;		/* code of the first character */
	const char *text;
	size_t len;
} anchors[] = {
	{ '0', "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9", 19 },
	{ 'a', "a\0" "b\0" "c\0" "d\0" "e\0" "f\0" "g\0" "h\0" "i\0" "j\0"
	       "k\0" "l\0" "m\0" "n\0" "o\0" "p\0" "q\0" "r\0" "s\0" "t\0"
	       "u\0" "v\0" "w\0" "x\0" "y\0" "z", 51 },
};

/*
 * Bounds on the work a planted decoy can cause. A real table is found at
 * the first token table examined, after a few thousand num_syms
 * candidates (2781 on Debian 6.1, 562 on 7.2) and one or two walks.
 */
#define MAX_HITS 256		/* anchor hits examined per pattern */
#define MAX_TOKEN_TABLES 16	/* valid token tables searched around */
#define MAX_CANDIDATES (1u << 16) /* num_syms candidates per token table */
#define MAX_NAME_WALKS 64	/* full names walks per token table */
#define CARVE_BACK (64ull << 20) /* num_syms, names, markers, seqs */
#define VOTE_ALIGN (2ull << 20)	/* KASLR moves the image in 2 MiB steps */
#define VOTE_MIN 4
#define VOTE_CANDIDATES 64
#define VOTE_SPAN 64		/* bytes of each data symbol examined */

/*
 * The most advanced failure so far: what the error message reports.
 * Stages: 0 token table, 1 num_syms, 2 names walk, 3 ks_build (with its
 * own depth). Ties keep the first, i.e. the newer layout.
 */
struct failure {
	int stage;
	uint64_t depth;
	struct cp_error *err;
};

static void fail_at(struct failure *f, int stage, uint64_t depth,
		    struct cp_error *err)
{
	if (!err)
		return;
	bool deeper = !f->err || stage > f->stage ||
		      (stage == f->stage && depth > f->depth);
	if (deeper && err != &cp_enomem) {
		cp_error_destroy(f->err);
		f->stage = stage;
		f->depth = depth;
		f->err = err;
	} else {
		cp_error_destroy(err);
	}
}

static void fail(struct failure *f, int stage, struct cp_error *err)
{
	fail_at(f, stage, 0, err);
}

/* ------------------------------------------------- step 1: the token table */

static bool token_char(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

struct token_table {
	uint64_t pa;
	size_t len;
	uint64_t index_pa;
};

/*
 * From a hit (the token of `code` starts at span offset at): token 1 is
 * code - 1 strings back, token 255 is 255 - code strings on, and the index
 * follows at the next aligned address. Where token 0 starts cannot be told
 * by walking back (the bytes before the table may be printable too); the
 * index says: token 1 is index[1] bytes into the table. *edge is set when
 * the span was too short to tell.
 */
static bool token_table_at(const struct ks_span *s, size_t at, unsigned code,
			   struct token_table *tt, bool *edge)
{
	*edge = false;
	size_t first = at;	/* start of token 1 */
	for (unsigned c = code; c-- > 1;) {
		/* first - 1 is the NUL ending token c; it begins after the
		 * NUL before that one. */
		if (first < 1 || s->p[first - 1] != 0)
			return false;
		size_t q = first - 1, len = 0;
		while (q > 0 && s->p[q - 1] != 0) {
			if (!token_char(s->p[q - 1]) || ++len > KS_NAME_MAX)
				return false;
			q--;
		}
		if (q == 0) {
			*edge = s->paddr != 0;
			return false;
		}
		first = q;
	}
	if (first < 2 || s->p[first - 1] != 0) {
		*edge = first < 2 && s->paddr != 0;
		return false;
	}
	size_t end = at;
	for (unsigned c = code; c < 256; c++) {
		size_t len = 0;
		while (end < s->len && s->p[end] != 0) {
			if (!token_char(s->p[end]) || ++len > KS_NAME_MAX)
				return false;
			end++;
		}
		if (end++ >= s->len) {
			*edge = true;
			return false;
		}
	}
	/* The index label is aligned (4 or 8) in guest addresses. */
	size_t idx = end + (size_t)((4 - (s->paddr + end) % 4) % 4);
	for (; idx < end + 8; idx += 4) {
		if (idx + KS_TOKEN_INDEX_SIZE > s->len) {
			*edge = true;
			return false;
		}
		size_t t1 = ks_le16(s->p + idx + 2);
		if (ks_le16(s->p + idx) != 0 || t1 < 1 || t1 >= first)
			continue;
		size_t start = first - t1;
		/* Every layout aligns its labels to at least 4. */
		if ((s->paddr + start) % 4)
			continue;
		size_t len;
		struct cp_error *err = ks_check_tokens(s->p + start, end - start,
						       s->p + idx, &len);
		if (!err) {
			tt->pa = s->paddr + start;
			tt->len = len;
			tt->index_pa = s->paddr + idx;
			return true;
		}
		cp_error_destroy(err);
	}
	return false;
}

/* Tests a hit with a few KiB around it (a real table is about 1.5 KiB),
 * and with all a table could span only if that was too short. */
static bool find_token_table(struct cp_mem *mem, uint64_t hit, unsigned code,
			     struct token_table *tt)
{
	static const uint64_t reach[] = { 8 << 10,
					  256 * (KS_NAME_MAX + 1ull) + 1024 };
	for (size_t r = 0; r < CP_ARRAY_SIZE(reach); r++) {
		uint64_t from = hit > reach[r] ? hit - reach[r] : 0;
		while (from < hit && ks_mem_avail(mem, from) < hit - from)
			from += 4096 - from % 4096;	/* a hole below */
		uint64_t len = hit - from + reach[r];
		if (len > ks_mem_avail(mem, from))
			len = ks_mem_avail(mem, from);
		struct ks_span s;
		struct cp_error *err = ks_span_get(mem, from, len, &s);
		if (err) {
			cp_error_destroy(err);
			return false;
		}
		bool edge, ok = token_table_at(&s, (size_t)(hit - from), code,
					       tt, &edge);
		ks_span_release(&s);
		if (ok || !edge)
			return ok;
	}
	return false;
}

/* ---------------------------------- step 2: num_syms, names and markers */

/* A window of memory around the token table, and where it lies. */
struct window {
	struct ks_span s;
	uint64_t lo, hi;	/* guest-physical [lo, hi) */
};

static const uint8_t *at_pa(const struct window *w, uint64_t pa, uint64_t len)
{
	if (pa < w->lo || pa > w->hi || len > w->hi - pa)
		return NULL;
	return w->s.p + (pa - w->lo);
}

/* Cheap tests of a num_syms candidate: the predicted markers start at 0,
 * rise, and leave room for the names. */
static bool markers_plausible(const struct window *w, uint64_t names_pa,
			      uint64_t markers_pa, uint32_t n)
{
	uint32_t m = (n + 255) / 256;
	if (markers_pa < names_pa || markers_pa - names_pa < 2ull * n)
		return false;
	const uint8_t *mk = at_pa(w, markers_pa, 4ull * m);
	if (!mk || ks_le32(mk) != 0)
		return false;
	if (m >= 2 && ks_le32(mk + 4) < 2 * 256)
		return false;
	return ks_le32(mk + 4 * (m - 1)) < markers_pa - names_pa;
}

/* The full test: n records from names_pa, passing every marker, ending
 * where the layout puts the markers. */
static struct cp_error *walk_to_markers(const struct window *w,
					const struct ks_layout *l,
					uint64_t names_pa, uint64_t markers_pa,
					uint32_t n, uint64_t *names_len,
					uint32_t *at)
{
	const uint8_t *names = at_pa(w, names_pa, markers_pa - names_pa);
	const uint8_t *mk = at_pa(w, markers_pa, 4ull * ((n + 255) / 256));
	uint64_t limit = markers_pa - names_pa, off = 0;
	for (uint32_t i = 0; i < n; i++) {
		*at = i;
		if (i % 256 == 0 && ks_le32(mk + 4 * (i / 256)) != off)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: marker %u says names offset 0x%x, "
				"the names walk from 0x%" PRIx64
				" is at 0x%" PRIx64,
				i / 256, ks_le32(mk + 4 * (i / 256)), names_pa,
				off);
		uint32_t k;
		if (!ks_name_record(names, limit, off, &k, &off))
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: names: symbol %u of %u at 0x%" PRIx64
				" runs past the markers at 0x%" PRIx64,
				i, n, names_pa + off, markers_pa);
	}
	uint64_t end = names_pa + off;
	*at = n;
	if ((end + l->align - 1) / l->align * l->align != markers_pa)
		return cp_error_create(
			CP_ERR_CORRUPT,
			"kallsyms: names: %u symbols end at 0x%" PRIx64
			", the markers start at 0x%" PRIx64,
			n, end, markers_pa);
	*names_len = off;
	return NULL;
}

/* Tries layout l with num_syms at p; on success *ret is built with
 * addresses that may still be physical (KS_PLACE_RELATIVE). */
static struct cp_error *try_layout(struct cp_mem *mem, const struct window *w,
				   const struct token_table *tt,
				   const struct ks_layout *l, uint64_t p,
				   uint32_t n, int *walks,
				   struct failure *f, struct cp_kallsyms **ret)
{
	uint64_t markers_pa;
	if (!ks_markers_before_token_table(l, n, tt->pa, &markers_pa))
		return NULL;
	uint64_t names_pa = (p + 4 + l->align - 1) / l->align * l->align;
	if (!markers_plausible(w, names_pa, markers_pa, n))
		return NULL;
	if (++*walks > MAX_NAME_WALKS)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kallsyms: more than %d names walks "
				       "before the token table at 0x%" PRIx64
				       " (a decoy?)",
				       MAX_NAME_WALKS, tt->pa);
	struct ks_geometry g = {
		.layout = l, .num_syms = n, .token_table_len = tt->len,
	};
	uint32_t at = 0;
	struct cp_error *err = walk_to_markers(w, l, names_pa, markers_pa, n,
					       &g.names_len, &at);
	if (err) {
		fail_at(f, 2, at, err);
		return NULL;
	}
	if (!ks_place(&g, KS_TOKEN_TABLE, tt->pa) || g.pa[KS_NUM_SYMS] != p ||
	    g.pa[KS_NAMES] != names_pa || g.pa[KS_TOKEN_INDEX] != tt->index_pa)
		return NULL;
	struct ks_source src = {
		.geo = g,
		.offsets_va = g.pa[KS_OFFSETS],
		.addresses_physical = l->encoding == KS_PLACE_RELATIVE,
		.origin = "carved",
	};
	struct ks_span spans[KS_NTABLES];
	uint64_t depth = 0;
	err = ks_read_tables(mem, &src, spans);
	if (!err) {
		err = ks_build(&src, ret, &depth);
		for (int t = 0; t < KS_NTABLES; t++)
			ks_span_release(&spans[t]);
	}
	if (err && cp_error_code(err) == CP_ERR_NOMEM)
		return err;
	fail_at(f, 3, depth, cp_error_wrap(err, "layout %s", l->name));
	return NULL;
}

/* Walks back from the token table over every aligned u32. */
static struct cp_error *find_tables(struct cp_mem *mem,
				    const struct token_table *tt,
				    struct failure *f, struct cp_kallsyms **ret)
{
	struct window w = { .lo = tt->pa > CARVE_BACK ? tt->pa - CARVE_BACK : 0 };
	while (w.lo < tt->pa && ks_mem_avail(mem, w.lo) < tt->pa - w.lo)
		w.lo += 4096 - w.lo % 4096;
	/* Everything searched lies before the token table; the tables after
	 * it are read by ks_read_tables() once a layout fits. */
	w.hi = tt->pa;
	struct cp_error *err = ks_span_get(mem, w.lo, w.hi - w.lo, &w.s);
	if (err)
		return err;
	int walks = 0;
	uint32_t candidates = 0;
	*ret = NULL;
	for (uint64_t p = (tt->pa - 4) & ~3ull;
	     tt->pa >= w.lo + 4 && p >= w.lo && !*ret && !err; p -= 4) {
		uint32_t n = ks_le32(w.s.p + (p - w.lo));
		if (n == 0 || n > KS_MAX_SYMS)
			goto next;
		if (++candidates > MAX_CANDIDATES) {
			err = cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: more than %u num_syms candidates "
				"before the token table at 0x%" PRIx64
				" (a decoy?)",
				MAX_CANDIDATES, tt->pa);
			break;
		}
		for (size_t i = 0; i < ks_nlayouts && !*ret && !err; i++)
			if (p % ks_layouts[i].align == 0)
				err = try_layout(mem, &w, tt, &ks_layouts[i],
						 p, n, &walks, f, ret);
next:
		if (p < 4)
			break;
	}
	ks_span_release(&w.s);
	if (!err && !*ret)
		err = cp_error_create(
			CP_ERR_NOT_FOUND,
			"kallsyms: no num_syms, names and markers of a known "
			"layout in the %" PRIu64 " MiB before the token table "
			"at 0x%" PRIx64,
			(tt->pa - w.lo) >> 20, tt->pa);
	return err;
}

/* ------------------------------------------- step 3: the runtime base */

struct vote {
	uint64_t delta;
	uint32_t count;
};

static bool is_data(char type)
{
	return type == 'd' || type == 'D' || type == 'b' || type == 'B';
}

/*
 * Votes on the kernel image's va - pa with self-pointing pairs. Each data
 * symbol is read at pa = address - trial; a pair (v, v) at offset k names
 * d = v - k - pa. With exact, only d == trial counts (the addresses are
 * virtual and the trials are candidates); without, the addresses are
 * physical (trial 0) and every 2 MiB-aligned d is a candidate. *votes gets
 * the winner's support, 0 if none wins clearly.
 */
static void vote_image_delta(struct cp_mem *mem, const struct cp_kallsyms *ks,
			     const uint64_t *trials, size_t ntrials,
			     bool exact, uint64_t *best, uint32_t *votes)
{
	struct vote v[VOTE_CANDIDATES];
	size_t nv = 0, n = cp_kallsyms_count(ks);
	struct cp_ksym sym, next;
	for (size_t t = 0; t < ntrials; t++)
	for (size_t i = 0; i < n; i++) {
		cp_kallsyms_get(ks, i, &sym);
		if (!is_data(sym.type))
			continue;
		uint64_t span = VOTE_SPAN;
		if (cp_kallsyms_get(ks, i + 1, &next) && next.addr - sym.addr < span)
			span = next.addr - sym.addr;
		uint8_t buf[VOTE_SPAN];
		uint64_t pa = sym.addr - trials[t];
		if (span < 16)
			continue;
		struct cp_error *err = cp_mem_read(mem, pa, buf, span);
		if (err) {
			/* a hole is no vote */
			cp_error_destroy(err);
			continue;
		}
		uint64_t last = 0;
		for (uint64_t k = 0; k + 16 <= span; k += 8) {
			uint64_t a = ks_le64(buf + k), b = ks_le64(buf + k + 8);
			uint64_t d = a - k - pa;
			if (a != b || a < KS_KERNEL_MAP || d % VOTE_ALIGN ||
			    d == last || (exact && d != trials[t]))
				continue;
			last = d;	/* one vote per symbol and candidate */
			size_t j = 0;
			while (j < nv && v[j].delta != d)
				j++;
			if (j == nv && nv < VOTE_CANDIDATES)
				v[nv++] = (struct vote){ d, 0 };
			if (j < nv)
				v[j].count++;
		}
	}
	size_t w = 0;
	uint32_t second = 0;
	for (size_t j = 1; j < nv; j++)
		if (v[j].count > v[w].count)
			w = j;
	for (size_t j = 0; j < nv; j++)
		if (j != w && v[j].count > second)
			second = v[j].count;
	*votes = 0;
	if (nv && v[w].count >= VOTE_MIN && v[w].count >= 4 * second) {
		*best = v[w].delta;
		*votes = v[w].count;
	}
}

/*
 * With runtime addresses (relative_base) the image's va - pa is not needed
 * for them, but the profile wants it (KASLR, phys_base): the token table
 * lies in .rodata, so va - pa puts it between __start_rodata and
 * __end_rodata, a few 2 MiB steps to try.
 */
static void image_delta_from_rodata(struct cp_mem *mem, struct cp_kallsyms *ks)
{
	struct cp_kallsyms_info *info = ks_info_mut(ks);
	uint64_t lo, hi, tt = info->token_table_paddr;
	if (!cp_kallsyms_address(ks, "__start_rodata", &lo) ||
	    !cp_kallsyms_address(ks, "__end_rodata", &hi) || hi <= lo ||
	    lo < tt)
		return;
	uint64_t trials[VOTE_CANDIDATES];
	size_t n = 0;
	uint64_t d = (lo - tt + VOTE_ALIGN - 1) & ~(VOTE_ALIGN - 1);
	for (; d <= hi - tt && n < VOTE_CANDIDATES; d += VOTE_ALIGN)
		trials[n++] = d;
	uint64_t best;
	uint32_t votes;
	vote_image_delta(mem, ks, trials, n, true, &best, &votes);
	if (!votes)
		return;
	info->has_image_delta = true;
	info->image_va_minus_pa = best;
	info->image_delta_votes = votes;
}

static struct cp_error *runtime_base(struct cp_mem *mem,
				     const struct cp_kallsyms_hints *hints,
				     struct cp_kallsyms *ks)
{
	struct cp_kallsyms_info *info = ks_info_mut(ks);
	uint64_t text;
	bool has_text = cp_kallsyms_address(ks, "_text", &text);
	if (info->base_source) {
		/* relative_base: addresses are already runtime; a hint may
		 * only confirm them. */
		if (hints && hints->has_text_va && has_text &&
		    hints->text_va != text)
			return cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: kallsyms_relative_base puts _text at "
				"0x%" PRIx64 ", the hint says 0x%" PRIx64,
				text, hints->text_va);
		image_delta_from_rodata(mem, ks);
		return NULL;
	}
	uint64_t delta;
	if (hints && hints->has_phys_base) {
		delta = KS_KERNEL_MAP - (uint64_t)hints->phys_base;
		info->base_source = "hint";
	} else if (hints && hints->has_text_va) {
		if (!has_text)
			return cp_error_create(CP_ERR_NOT_FOUND,
					       "kallsyms: a _text hint but no "
					       "_text symbol");
		delta = hints->text_va - text;
		info->base_source = "hint";
	} else {
		static const uint64_t physical = 0;
		vote_image_delta(mem, ks, &physical, 1, false, &delta,
				 &info->image_delta_votes);
		if (!info->image_delta_votes)
			return cp_error_create(
				CP_ERR_NOT_FOUND,
				"kallsyms: runtime base unknown: the table's "
				"offsets are relative to its own virtual "
				"address (7.0+), no self-pointers agreed on "
				"one; give hints->text_va or phys_base");
		info->base_source = "self-pointers";
	}
	struct cp_error *err = ks_rebase(ks, delta);
	if (!err)
		err = ks_check_range(ks);
	if (err)
		return err;
	info->has_image_delta = true;
	info->image_va_minus_pa = delta;
	return NULL;
}

/* ---------------------------------------------------------------- driver */

/*
 * The scan: each anchor hit is tested where it is found, and a valid token
 * table is followed to the end at once, so the scan stops at the first
 * table that decodes.
 */
struct carve {
	struct cp_mem *mem;
	const struct anchor *anchor;
	uint64_t hits;
	uint64_t tried[MAX_TOKEN_TABLES];	/* token tables followed */
	size_t ntried;
	bool exhausted;		/* a bound was reached */
	struct failure f;
	struct cp_error *fatal;	/* out of memory */
	struct cp_kallsyms *ks;
};

static int carve_window(void *arg, uint64_t paddr, const uint8_t *buf,
			size_t len)
{
	struct carve *c = arg;
	const struct anchor *a = c->anchor;
	for (const uint8_t *p = buf, *end = buf + len;
	     (p = memmem(p, (size_t)(end - p), a->text, a->len)); p++) {
		if (++c->hits > MAX_HITS) {
			c->exhausted = true;
			return 1;
		}
		struct token_table tt;
		if (!find_token_table(c->mem, paddr + (uint64_t)(p - buf),
				      a->code, &tt))
			continue;
		bool seen = false;
		for (size_t j = 0; j < c->ntried; j++)
			seen |= c->tried[j] == tt.pa;
		if (seen)
			continue;	/* another hit in it, or a window overlap */
		if (c->ntried == MAX_TOKEN_TABLES) {
			c->exhausted = true;
			return 1;
		}
		c->tried[c->ntried++] = tt.pa;
		struct cp_error *err = find_tables(c->mem, &tt, &c->f, &c->ks);
		if (err && cp_error_code(err) == CP_ERR_NOMEM) {
			c->fatal = err;
			return 1;
		}
		fail(&c->f, 1, err);
		if (c->ks)
			return 1;
	}
	return 0;
}

struct cp_error *cp_kallsyms_carve(struct cp_mem *mem,
				   const struct cp_kallsyms_hints *hints,
				   struct cp_kallsyms **ret, uint64_t *scanned)
{
	struct carve c = { .mem = mem };
	uint64_t total = 0;
	struct cp_error *err = NULL;
	for (size_t a = 0; a < CP_ARRAY_SIZE(anchors) && !c.ks; a++) {
		uint64_t n = 0;
		c.anchor = &anchors[a];
		c.hits = 0;
		err = cp_mem_scan(mem, anchors[a].len, carve_window, &c, &n);
		total += n;
		if (err || c.fatal || c.exhausted)
			break;
	}
	if (scanned)
		*scanned = total;
	if (!err)
		err = cp_steal_ptr(&c.fatal);
	if (err) {
		cp_error_destroy(c.f.err);
		cp_kallsyms_destroy(c.ks);
		return cp_error_wrap(err, "kallsyms: scan");
	}
	const char *bound = !c.exhausted ? "" :
			    c.hits > MAX_HITS ? ", stopped after too many hits" :
						", stopped after too many token tables";
	if (!c.ks && !c.ntried)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "kallsyms: token table not found in "
				       "%" PRIu64 " MiB scanned%s",
				       total >> 20, bound);
	if (!c.ks && !c.f.err)	/* only out-of-memory failures were seen */
		return &cp_enomem;
	if (!c.ks)
		return cp_error_wrap(c.f.err,
				     "kallsyms: %zu token table%s, none with "
				     "valid tables around it (%" PRIu64
				     " MiB scanned%s)",
				     c.ntried, c.ntried == 1 ? "" : "s",
				     total >> 20, bound);
	cp_error_destroy(c.f.err);
	struct cp_kallsyms *ks = c.ks;
	ks_info_mut(ks)->anchors = (uint32_t)c.ntried;
	err = runtime_base(mem, hints, ks);
	if (err) {
		cp_kallsyms_destroy(ks);
		return err;
	}
	*ret = ks;
	return NULL;
}
