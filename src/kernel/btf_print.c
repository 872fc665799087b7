/*
 * btf_print.c - printing a struct's layout the way `pahole -C NAME` does.
 *
 * `cloudprobe types` shows an analyst what the guest kernel's structures
 * look like, and matching pahole (dwarves 1.24, reading the same BTF) line
 * for line lets its output be diffed against the tool everyone knows.
 * pahole's conventions are reproduced deliberately, quirks included:
 *
 *  - columns: the type is padded to 26 characters less 8 per nesting
 *    level, the comment starts 49 characters after the type (47 for
 *    unions) and holds "offset size" with offsets absolute from the
 *    outermost struct, or "offset:bit size" for bitfields;
 *  - a bitfield's offset is its storage unit, aligned to its type's size;
 *  - holes and bit holes after the member they follow, "Force alignment"
 *    for a bitfield that skips to a new unit, "last struct has N bytes of
 *    padding" after a member whose struct type has tail padding;
 *  - forced alignment is inferred as pahole's BTF loader infers it (a
 *    hole before a member, rounded up to a power of two, promoted to the
 *    64-byte cacheline when the offset allows), and __packed__ when
 *    members sit at unnatural offsets;
 *  - BTF arrays of arrays print inner dimension first ("int a[3][2]" for
 *    int a[2][3]), pointer-to-const as "const T  *", and qualifiers other
 *    than const with a trailing space, as pahole's BTF loader does.
 *
 * Guest BTF may loop (a typedef of itself, a struct containing itself):
 * every recursion is depth-bounded, a struct already being printed is not
 * entered again, natural alignments are memoised and one call prints at
 * most MAX_MEMBERS_PRINTED members, so a forged blob prints an error
 * marker in bounded time instead of k^depth lines.
 *
 * Not for: lookups (btf_field.c); the pahole model it formats is in
 * btf_layout.c and btf_ctype.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/btf.h"
#include "kernel/btf_pahole.h"
#include "util/cleanup.h"
#include "util/error.h"

#define TYPE_SPACING 26
#define NAME_SPACING 23		/* 21 for a union printed on its own */
#define MAX_NEST 15		/* pahole's tab string has 16 tabs */
/* Members printed per call at most: forged BTF can nest one anonymous
 * struct k times per level, which would print k^15 lines. */
#define MAX_MEMBERS_PRINTED 100000

static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

struct printer {
	FILE *out;
	struct cp_pahole m;
	uint32_t cacheline;	/* last cacheline announced (shared by
				 * nested members, rewound per union member) */
	uint64_t written;	/* characters printed so far: pahole aligns
				 * comments by what a member line printed */
	uint8_t *open;		/* per type id: being printed (a cycle) */
	uint32_t budget;	/* members left to print */
};

struct conf {
	int indent;
	int type_spacing;
	int name_spacing;
	uint64_t base_offset;
	bool emit_stats;
	bool rel_offset;	/* offsets relative to the struct (a struct
				 * reached through a pointer) */
	bool union_member;
	bool first_member, last_member;
	const char *suffix;	/* name after an inline struct's "}" */
};

/* fprintf that counts what it wrote (in p->written) and returns it. */
static int pf(struct printer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int pf(struct printer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(p->out, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->written += (uint64_t)n;
	return n > 0 ? n : 0;
}

/* Enters a struct or union body; false (with a marker printed) for a
 * nesting too deep, a type inside itself, or the output budget spent. */
static bool enter(struct printer *p, uint32_t id, int nest, const char *kind)
{
	const char *why = nest > MAX_NEST ? "too deep" :
			  p->open[id]	  ? "contains itself" :
			  !p->budget	  ? "output limit" :
					    NULL;
	if (why) {
		pf(p, "%s <ERROR: %s>", kind, why);
		return false;
	}
	p->open[id] = 1;
	return true;
}

static void print_class(struct printer *p, const struct conf *conf,
			uint32_t id, int nest);
static void print_union(struct printer *p, const struct conf *conf,
			uint32_t id, int nest);
static void print_type(struct printer *p, const struct conf *conf,
		       uint32_t id, const char *name, int nest);

static const char *enumerator_at(struct printer *p, const struct btf_type *t,
				 uint16_t i)
{
	uint32_t off = btf_is_enum(t) ? btf_enum(t)[i].name_off :
					btf_enum64(t)[i].name_off;
	const char *v = btf__name_by_offset(p->m.btf, off);
	return v ? v : "";
}

/* pahole's enumeration__fprintf, for enums defined inside a struct. */
static void print_enum(struct printer *p, const struct conf *conf,
		       uint32_t id)
{
	const struct btf_type *t = cp_pahole_type(&p->m, id);
	const char *n = cp_pahole_name(&p->m, t->name_off);
	int indent = conf->indent > MAX_NEST ? MAX_NEST : conf->indent;
	int width = 0;
	pf(p, "enum%s%s", n ? " " : "", n ? n : "");
	if (!btf_vlen(t))
		return;
	for (uint16_t i = 0; i < btf_vlen(t); i++)
		if ((int)strlen(enumerator_at(p, t, i)) > width)
			width = (int)strlen(enumerator_at(p, t, i));
	pf(p, " {\n");
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		uint64_t v;
		if (!btf_is_enum(t))
			v = btf_enum64_value(&btf_enum64(t)[i]);
		else if (btf_kflag(t))
			v = (uint64_t)(int64_t)btf_enum(t)[i].val;
		else
			v = (uint32_t)btf_enum(t)[i].val;
		pf(p, "%.*s\t%-*s = ", indent, tabs, width,
		   enumerator_at(p, t, i));
		if (btf_kflag(t))
			pf(p, "%" PRId64 ",\n", (int64_t)v);
		else
			pf(p, "%" PRIu64 ",\n", v);
	}
	pf(p, "%.*s}", indent, tabs);
	if (t->size != sizeof(int))
		pf(p, " __attribute__((__packed__))");
	if (conf->suffix)
		pf(p, " %s", conf->suffix);
}

/* pahole's array_type__fprintf: element type with the name, then dims. */
static void print_array(struct printer *p, const struct conf *conf,
			uint32_t id, const char *name, int nest)
{
	const struct btf_type *t = cp_pahole_type(&p->m, id);
	uint32_t elem = btf_array(t)->type, n = btf_array(t)->nelems;
	const struct btf_type *et = cp_pahole_type(&p->m, elem);
	if (n == 0 && et && btf_is_const(et))
		elem = et->type;
	print_type(p, conf, elem, name, nest + 1);
	bool single = conf->first_member && conf->last_member;
	if (n != 0 || !conf->last_member || single || conf->union_member)
		pf(p, "[%" PRIu32 "]", n);
	else
		pf(p, "[]");
}

/* pahole's type__fprintf: a type with a declarator name. */
static void print_type(struct printer *p, const struct conf *conf,
		       uint32_t id, const char *name, int nest)
{
	struct conf t_conf = *conf;
	char tn[2048], ptr_name[512];
	if (!name)
		name = "";
	if (nest > CP_PAHOLE_MAX_DEPTH) {
		pf(p, "%-*s %s", conf->type_spacing, "<ERROR: type loop>",
		   name);
		return;
	}
	/* Only a struct, union or enum met first (or through a pointer)
	 * is printed as an inner type: without statistics, named by the
	 * declarator. One reached through "const" keeps the outer conf,
	 * statistics included, as pahole does. */
	const struct btf_type *first = cp_pahole_type(&p->m, id);
	if (first && (btf_is_composite(first) || btf_is_any_enum(first))) {
		t_conf.suffix = *name ? name : NULL;
		t_conf.emit_stats = false;
	}
	for (int hops = 0; hops <= CP_PAHOLE_MAX_DEPTH; hops++) {
		const struct btf_type *t = cp_pahole_type(&p->m, id);
		const char *n = t ? cp_pahole_name(&p->m, t->name_off) : NULL;
		const struct btf_type *target;
		uint32_t proto;
		if (!t)
			break;
		switch (btf_kind(t)) {
		case BTF_KIND_PTR:
			if (cp_pahole_func_ptr(&p->m, id, &proto)) {
				cp_pahole_ftype_name(&p->m, proto, name, true,
					   t_conf.type_spacing, tn, sizeof(tn),
					   nest);
				pf(p, "%s", tn);
				return;
			}
			/* A pointer to an anonymous struct prints the
			 * struct inline, named "* name", offsets relative. */
			target = cp_pahole_type(&p->m, t->type);
			if (!target ||
			    cp_pahole_name(&p->m, target->name_off) ||
			    !(btf_is_composite(target) ||
			      btf_is_any_enum(target)))
				goto plain;
			if (snprintf(ptr_name, sizeof(ptr_name), "* %s", name) <
			    0)
				ptr_name[0] = '\0';
			name = ptr_name;
			t_conf.suffix = name;
			t_conf.emit_stats = false;
			t_conf.rel_offset = true;
			t_conf.type_spacing -= 8;
			id = t->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			cp_pahole_ftype_name(&p->m, id, name, false,
					     t_conf.type_spacing, tn,
					     sizeof(tn), nest);
			pf(p, "%s", tn);
			return;
		case BTF_KIND_CONST:
			/* pahole prints "const " and shrinks the column. */
			t_conf.type_spacing -= pf(p, "const ");
			if (!t->type)
				goto plain;
			id = t->type;
			continue;
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		case BTF_KIND_ARRAY:
			print_array(p, &t_conf, id, name, nest);
			return;
		case BTF_KIND_STRUCT:
			if (n) {
				pf(p, "struct %-*s %s", t_conf.type_spacing - 7,
				   n, name);
				return;
			}
			t_conf.type_spacing -= 8;
			print_class(p, &t_conf, id, nest + 1);
			return;
		case BTF_KIND_UNION:
			if (n) {
				pf(p, "union %-*s %s", t_conf.type_spacing - 6,
				   n, name);
				return;
			}
			t_conf.type_spacing -= 8;
			print_union(p, &t_conf, id, nest + 1);
			return;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			if (n) {
				pf(p, "enum %-*s %s", t_conf.type_spacing - 5,
				   n, name);
				return;
			}
			print_enum(p, &t_conf, id);
			return;
		default:
			goto plain;
		}
	}
plain:
	cp_pahole_type_name(&p->m, id, tn, sizeof(tn), nest);
	pf(p, "%-*s %s", t_conf.type_spacing, tn, name);
}

static void cacheline_boundary(struct printer *p, const struct conf *conf,
			       uint64_t offset)
{
	uint64_t line = offset / CP_PAHOLE_CACHELINE,
		 pos = offset % CP_PAHOLE_CACHELINE;
	int indent = conf->indent > MAX_NEST ? MAX_NEST : conf->indent;
	if (line <= p->cacheline)
		return;
	if (pos == 0)
		pf(p, "/* --- cacheline %" PRIu64 " boundary (%" PRIu64
				" bytes) --- */\n",
			line, offset - pos);
	else
		pf(p, "/* --- cacheline %" PRIu64 " boundary (%" PRIu64
				" bytes) was %" PRIu64 " byte%s ago --- */\n",
			line, offset - pos, pos, pos > 1 ? "s" : "");
	pf(p, "%.*s", indent, tabs);
	p->cacheline = (uint32_t)line;
}

/* pahole's class_member__fprintf: one member line, without newline. */
static void print_member(struct printer *p, const struct conf *conf,
			 const struct cp_pahole_member *m, bool union_member,
			 int nest)
{
	struct conf s = *conf;
	uint64_t offset = m->byte_offset;
	const struct btf_type *t = cp_pahole_type(&p->m, m->type);
	bool aggregate = t && (btf_is_composite(t) || btf_is_any_enum(t));
	bool inline_type = aggregate && !cp_pahole_name(&p->m, t->name_off);
	int align_printed = 0, size_spacing = 5, spacing;
	if (!s.rel_offset) {
		offset += s.base_offset;
		if (!union_member)
			s.base_offset = offset;
	}
	cacheline_boundary(p, conf, offset);
	/* pahole aligns the comment by what the member itself printed,
	 * an inline struct's whole body included. */
	uint64_t start = p->written;
	if (aggregate) {
		print_type(p, &s, m->type, NULL, nest);
		if (m->name)
			pf(p, "%s%s", inline_type ? " " : "", m->name);
	} else {
		print_type(p, &s, m->type, m->name, nest);
	}
	if (m->bitfield_size)
		pf(p, ":%" PRIu32, m->bitfield_size);
	if (m->alignment)
		align_printed = pf(p,
				   " __attribute__((__aligned__(%" PRIu64 ")))",
				   m->alignment);
	pf(p, ";");
	if (inline_type) {
		int slen =
			align_printed + (m->name ? (int)strlen(m->name) : -1);
		struct cp_pahole_layout L;
		if (btf_is_struct(t) && cp_pahole_layout(&p->m, m->type, &L)) {
			if (L.packed)
				slen += (int)sizeof(
					"__attribute__((__packed__))");
			cp_pahole_layout_free(&L);
		}
		/* Negative means left-justified in printf: pahole relies
		 * on that for long names after a __packed__ body. */
		spacing = s.type_spacing + s.name_spacing - slen - 3;
	} else {
		spacing = s.type_spacing + s.name_spacing -
			  (int)(p->written - start);
		if (spacing < 0)
			spacing = 0;
	}
	pf(p, "%*s/* %5" PRIu64, spacing, " ", offset);
	if (m->bitfield_size) {
		pf(p, ":%2" PRIu32, m->bitfield_offset);
		size_spacing -= 3;
	}
	pf(p, " %*" PRIu64 " */", size_spacing, m->byte_size);
}

static void print_union(struct printer *p, const struct conf *conf,
			uint32_t id, int nest)
{
	const struct btf_type *t = cp_pahole_type(&p->m, id);
	const char *n = cp_pahole_name(&p->m, t->name_off);
	int indent = conf->indent > MAX_NEST ? MAX_NEST : conf->indent;
	struct conf u = *conf;
	struct cp_pahole_layout L;
	if (!enter(p, id, nest, "union"))
		return;
	if (!cp_pahole_layout(&p->m, id, &L)) {
		pf(p, "union <ERROR: out of memory>");
		p->open[id] = 0;
		return;
	}
	pf(p, "union%s%s {\n", n ? " " : "", n ? n : "");
	u.indent = indent + 1;
	u.union_member = true;
	u.suffix = NULL;
	uint32_t initial = p->cacheline;
	for (uint16_t i = 0; i < L.n && p->budget; i++, p->budget--) {
		pf(p, "%.*s", u.indent, tabs);
		print_member(p, &u, &L.m[i], true, nest);
		pf(p, "\n");
		p->cacheline = initial;
	}
	cp_pahole_layout_free(&L);
	p->open[id] = 0;
	pf(p, "%.*s}%s%s", indent, tabs, conf->suffix ? " " : "",
		conf->suffix ? conf->suffix : "");
}

/* A member's struct type with tail padding: "last struct has ...". */
static int64_t member_type_padding(struct printer *p, uint32_t type)
{
	const struct btf_type *t = cp_pahole_type(&p->m, type);
	struct cp_pahole_layout L;
	if (!t || !btf_is_struct(t) || !cp_pahole_layout(&p->m, type, &L))
		return 0;
	int64_t padding = L.padding;
	cp_pahole_layout_free(&L);
	return padding;
}

struct sums {
	uint64_t bytes, bits, holes, bit_holes;
	unsigned nr_paddings, nr_forced, nr_forced_holes;
	uint64_t sum_paddings, sum_forced_holes;
};

static void newline_once(struct printer *p, int *newline)
{
	if (!(*newline)++)
		pf(p, "\n");
}

static void print_stats(struct printer *p, const struct conf *c,
			const struct cp_pahole_layout *L, const struct sums *s)
{
	pf(p,
	   "\n%.*s/* size: %" PRIu64 ", cachelines: %" PRIu64
	   ", members: %u */\n",
	   c->indent, tabs, L->size,
	   (L->size + CP_PAHOLE_CACHELINE - 1) / CP_PAHOLE_CACHELINE, L->n);
	if (s->holes || s->bit_holes) {
		if (s->bytes) {
			pf(p, "%.*s/* sum members: %" PRIu64, c->indent,
				tabs, s->bytes);
			if (s->holes)
				pf(p, ", holes: %u, sum holes: %" PRIu64,
					L->nr_holes, s->holes);
			pf(p, " */\n");
		}
		if (s->bits) {
			pf(p, "%.*s/* sum bitfield members: %" PRIu64 " bits",
				c->indent, tabs, s->bits);
			if (s->bit_holes)
				pf(p, ", bit holes: %u, sum bit holes: %" PRIu64
						" bits",
					L->nr_bit_holes, s->bit_holes);
			else
				pf(p, " (%" PRIu64 " bytes)", s->bits / 8);
			pf(p, " */\n");
		}
	}
	if (L->padding > 0)
		pf(p, "%.*s/* padding: %" PRId64 " */\n", c->indent, tabs,
			L->padding);
	if (s->nr_paddings)
		pf(p, "%.*s/* paddings: %u, sum paddings: %" PRIu64
				" */\n",
			c->indent, tabs, s->nr_paddings, s->sum_paddings);
	if (L->bit_padding > 0)
		pf(p, "%.*s/* bit_padding: %" PRId64 " bits */\n",
			c->indent, tabs, L->bit_padding);
	if (s->nr_forced) {
		pf(p, "%.*s/* forced alignments: %u", c->indent, tabs,
			s->nr_forced);
		if (s->nr_forced_holes)
			pf(p, ", forced holes: %u, sum forced holes: %" PRIu64,
				s->nr_forced_holes, s->sum_forced_holes);
		pf(p, " */\n");
	}
	uint64_t last = (c->base_offset + L->size) % CP_PAHOLE_CACHELINE;
	if (last)
		pf(p, "%.*s/* last cacheline: %" PRIu64 " bytes */\n",
			c->indent, tabs, last);
	int64_t diff = (int64_t)(L->size * 8) -
		       (int64_t)(s->bytes * 8 + s->bits + s->holes * 8 +
				 s->bit_holes) -
		       L->padding * 8 - L->bit_padding;
	if (diff && L->n)
		pf(p,
		   "\n%.*s/* BRAIN FART ALERT! %" PRIu64 " bytes != %" PRIu64
		   " (member bytes) + %" PRIu64 " (member bits) + %" PRIu64
		   " (byte holes) + %" PRIu64 " (bit holes), diff = %" PRId64
		   " bits */\n",
		   c->indent, tabs, L->size, s->bytes, s->bits, s->holes,
		   s->bit_holes, diff);
}

/* The ":N" lines pahole prints between bitfields (see __class__fprintf). */
static void bitfield_markers(struct printer *p, const struct conf *c,
			     const struct cp_pahole_member *last,
			     uint64_t last_size,
			     const struct cp_pahole_member *pos, int *newline,
			     int nest)
{
	if (!last || !last_size)
		return;
	if (last->bit_hole && pos->bitfield_size) {
		int64_t size = last->bit_hole;
		if (last->byte_offset != pos->byte_offset) {
			pf(p, "\n%.*s/* Force alignment to the next "
					"boundary: */\n",
				c->indent, tabs);
			size = 0;
		}
		pf(p, "%.*s", c->indent, tabs);
		print_type(p, c, pos->type, "", nest);
		pf(p, ":%" PRId64 ";\n", size);
	}
	if (pos->byte_offset < last->byte_offset ||
	    (pos->byte_offset == last->byte_offset && !last->bitfield_size &&
	     pos->bitfield_size)) {
		newline_once(p, newline);
		pf(p, "%.*s/* Bitfield combined with previous fields "
				"*/\n",
			c->indent, tabs);
	} else {
		uint64_t d = pos->byte_offset - last->byte_offset;
		if (d > 0 && d < last_size) {
			newline_once(p, newline);
			pf(p, "%.*s/* Bitfield combined with next "
					"fields */\n",
				c->indent, tabs);
		}
	}
}

/* pahole's __class__fprintf for a struct. */
static void print_class(struct printer *p, const struct conf *conf,
			uint32_t id, int nest)
{
	const struct btf_type *t = cp_pahole_type(&p->m, id);
	const char *n = cp_pahole_name(&p->m, t->name_off);
	int indent = conf->indent > MAX_NEST ? MAX_NEST : conf->indent;
	struct conf c = *conf;
	struct cp_pahole_layout L;
	struct sums s = { 0 };
	const struct cp_pahole_member *last = NULL;
	uint64_t last_size = 0;
	int newline = 0;
	if (!enter(p, id, nest, "struct"))
		return;
	if (!cp_pahole_layout(&p->m, id, &L)) {
		pf(p, "struct <ERROR: out of memory>");
		p->open[id] = 0;
		return;
	}
	pf(p, "struct%s%s {\n", n ? " " : "", n ? n : "");
	/* union_member stays as inherited: pahole prints a flexible array
	 * in a struct inside a union as [0], not []. */
	c.indent = indent + 1;
	if (L.pre_bit_hole > 0) {
		newline_once(p, &newline);
		pf(p, "%.*s/* XXX %" PRId64 " bit%s hole, try to pack */\n",
			c.indent, tabs, L.pre_bit_hole,
			L.pre_bit_hole != 1 ? "s" : "");
		s.bit_holes += (uint64_t)L.pre_bit_hole;
	}
	if (L.pre_hole > 0) {
		newline_once(p, &newline);
		pf(p, "%.*s/* XXX %" PRId64 " byte%s hole, try to pack */\n",
			c.indent, tabs, L.pre_hole, L.pre_hole != 1 ? "s" : "");
		s.holes += (uint64_t)L.pre_hole;
	}
	for (uint16_t i = 0; i < L.n && p->budget; i++, p->budget--) {
		const struct cp_pahole_member *pos = &L.m[i];
		if (pos->alignment) {
			int64_t h = last ? last->hole : L.pre_hole;
			if (h) {
				s.nr_forced_holes++;
				s.sum_forced_holes += (uint64_t)h;
			}
			s.nr_forced++;
		}
		bitfield_markers(p, &c, last, last_size, pos, &newline, nest);
		if (newline) {
			pf(p, "\n");
			newline = 0;
		}
		c.last_member = i == L.n - 1;
		c.first_member = last == NULL;
		pf(p, "%.*s", c.indent, tabs);
		print_member(p, &c, pos, false, nest);
		int64_t padding = member_type_padding(p, pos->type);
		if (padding > 0) {
			s.nr_paddings++;
			s.sum_paddings += (uint64_t)padding;
			newline_once(p, &newline);
			pf(p,
			   "\n%.*s/* XXX last struct has %" PRId64
			   " byte%s of padding */",
			   c.indent, tabs, padding, padding != 1 ? "s" : "");
		}
		if (pos->bit_hole) {
			newline_once(p, &newline);
			pf(p, "\n%.*s/* XXX %" PRId64 " bit%s hole, try to "
					"pack */",
				c.indent, tabs, pos->bit_hole,
				pos->bit_hole != 1 ? "s" : "");
			s.bit_holes += (uint64_t)pos->bit_hole;
		}
		if (pos->hole > 0) {
			newline_once(p, &newline);
			pf(p, "\n%.*s/* XXX %" PRId64 " byte%s hole, try "
					"to pack */",
				c.indent, tabs, pos->hole,
				pos->hole != 1 ? "s" : "");
			s.holes += (uint64_t)pos->hole;
		}
		pf(p, "\n");
		if (pos->bitfield_size)
			s.bits += pos->bitfield_size;
		else
			s.bytes += pos->byte_size;
		if (!last || !last_size ||
		    last->byte_offset != pos->byte_offset ||
		    (!last->bitfield_size && pos->bitfield_size))
			last_size = pos->byte_size;
		last = pos;
	}
	if (conf->emit_stats)
		print_stats(p, &c, &L, &s);
	pf(p, "%.*s}", indent, tabs);
	if (L.packed)
		pf(p, " __attribute__((__packed__))");
	if (conf->suffix)
		pf(p, " %s", conf->suffix);
	if (L.alignment && !L.packed)
		pf(p, " __attribute__((__aligned__(%" PRIu64 ")))",
			L.alignment);
	cp_pahole_layout_free(&L);
	p->open[id] = 0;
}

struct cp_error *cp_btf_print_type(FILE *out, const struct btf *btf,
				   uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !btf_is_composite(t))
		return cp_error_create(CP_ERR_USAGE,
				       "BTF: type %" PRIu32
				       " is not a struct or union",
				       id);
	struct printer p = { .out = out, .budget = MAX_MEMBERS_PRINTED };
	struct cp_error *err = cp_pahole_init(&p.m, btf);
	if (err)
		return err;
	p.open = calloc(p.m.ntypes, 1);
	if (!p.open) {
		cp_pahole_deinit(&p.m);
		return &cp_enomem;
	}
	struct conf c = {
		.type_spacing = TYPE_SPACING,
		.name_spacing = btf_is_union(t) ? NAME_SPACING - 2 :
						  NAME_SPACING,
		.emit_stats = true,
	};
	if (btf_is_union(t))
		print_union(&p, &c, id, 0);
	else
		print_class(&p, &c, id, 0);
	fputs(";\n", out);
	free(p.open);
	cp_pahole_deinit(&p.m);
	if (ferror(out))
		return cp_error_os(errno, "BTF: writing type %" PRIu32, id);
	return NULL;
}

struct cp_error *cp_btf_print_struct(FILE *out, const struct btf *btf,
				     const char *name)
{
	uint32_t id = cp_btf_find(btf, name, CP_BTF_STRUCT);
	if (!id)
		id = cp_btf_find(btf, name, CP_BTF_UNION);
	if (!id)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "BTF: no struct or union %s", name);
	return cp_btf_print_type(out, btf, id);
}
