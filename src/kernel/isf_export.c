/*
 * isf_export.c - writing a kernel profile as a Volatility 3 ISF file.
 *
 * The file looks like what dwarf2json makes from a -dbg vmlinux, so
 * Volatility 3 treats it the same way: format 6.2.0; base_types for every
 * integer and float plus "void" and "pointer"; user_types for structs and
 * unions with each field's byte offset and a type descriptor in which
 * typedefs and qualifiers are resolved away; enums with a base type of
 * the same size and signedness; symbols at link-time addresses, with
 * linux_banner's bytes as constant_data so Volatility can match the file
 * to an image by scanning for them.
 *
 * Names must be unique JSON keys, and BTF does not promise that: anonymous
 * structs become "unnamed_struct_<id>", a second definition of a struct
 * name "NAME#<id>" (the preferred one, with most members, keeps NAME),
 * anonymous members "unnamed_field_<hex offset>" with "anonymous": true
 * (Volatility 6.2 flattens those), and a name seen twice in one object is
 * suffixed. Bitfields are described as Volatility reads them: the offset
 * of a storage unit of the field's type, aligned to its size, and the
 * field's bit position within it.
 *
 * JSON is written directly rather than through jansson: addresses are
 * unsigned 64-bit numbers (jansson's integers are signed), and a kernel's
 * ISF is tens of MB that need not exist twice in memory. Strings from the
 * guest are escaped so the output is valid JSON whatever bytes they hold.
 *
 * Not for: reading ISF (isf_import.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/btf.h"
#include "kernel/isf.h"
#include "kernel/isf_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Descriptor nesting written before giving up with "void". */
#define MAX_DESC_DEPTH 32

/*
 * Types Volatility needs on symbols that BTF does not type (vmlinux BTF
 * only types per-CPU variables): its plugins read init_task as a
 * task_struct, modules as a list_head, and so on.
 */
static const struct {
	const char *symbol;
	bool pointer;		/* a pointer to the struct, not the struct */
	const char *type;	/* struct name */
} known_symbols[] = {
	{ "init_task", false, "task_struct" },
	{ "init_files", false, "files_struct" },
	{ "init_fs", false, "fs_struct" },
	{ "init_mm", false, "mm_struct" },
	{ "init_net", false, "net" },
	{ "init_nsproxy", false, "nsproxy" },
	{ "init_pid_ns", false, "pid_namespace" },
	{ "init_user_ns", false, "user_namespace" },
	{ "init_uts_ns", false, "uts_namespace" },
	{ "init_cred", false, "cred" },
	{ "modules", false, "list_head" },
	{ "net_namespace_list", false, "list_head" },
	{ "super_blocks", false, "list_head" },
	{ "tcp_hashinfo", false, "inet_hashinfo" },
	{ "prb", true, "printk_ringbuffer" },
	{ "mount_hashtable", true, "hlist_head" },
};

struct exporter {
	FILE *f;
	const struct btf *btf;
	uint32_t ntypes;
	struct cp_isf_map best;		/* struct/union name -> preferred id */
	struct cp_isf_map best_enum;	/* enum name -> preferred id */
	struct cp_isf_map vars;		/* BTF variable name -> type id */
	char **names;			/* user_types/enums key per type id */
	struct cp_isf_map keys;		/* keys of the object being written */
	char **owned;			/* generated keys of that object */
	size_t nowned, cap_owned;
	bool nomem;
};

/* --------------------------------------------------------- JSON output */

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 :
		     s[0] >= 0xe0		 ? 3 :
		     s[0] >= 0xc2 && s[0] < 0xe0 ? 2 :
						   0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Reject overlong 3/4-byte forms, surrogates and > U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* Writes s as a JSON string; bytes that are not UTF-8 become \u00XX. */
static void put_str(struct exporter *x, const char *str)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t n = strlen(str);
	fputc('"', x->f);
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len;
		if (c == '"' || c == '\\') {
			fprintf(x->f, "\\%c", c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(x->f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, x->f);
			i++;
		} else if ((len = utf8_len(s + i, n - i))) {
			fwrite(s + i, 1, len, x->f);
			i += len;
		} else {
			fprintf(x->f, "\\u%04x", c);
			i++;
		}
	}
	fputc('"', x->f);
}

/* Starts a new object whose keys must be unique. */
static void keys_reset(struct exporter *x)
{
	for (size_t i = 0; i < x->nowned; i++)
		free(x->owned[i]);
	x->nowned = 0;
	cp_isf_map_deinit(&x->keys);
	if (!cp_isf_map_init(&x->keys, 16))
		x->nomem = true;
}

/*
 * Claims key in the current object; returns the key to write (key itself,
 * or key with "_N" appended if taken), or NULL when out of memory.
 */
static const char *claim(struct exporter *x, const char *key, bool copy)
{
	char *made = NULL;
	if (x->nomem)
		return NULL;
	for (unsigned n = 1; cp_isf_map_get(&x->keys, made ? made : key); n++) {
		free(made);
		if (asprintf(&made, "%s_%u", key, n) < 0) {
			x->nomem = true;
			return NULL;
		}
	}
	if (!made && copy && !(made = strdup(key))) {
		x->nomem = true;
		return NULL;
	}
	if (made) {
		if (x->nowned == x->cap_owned) {
			size_t cap = x->cap_owned ? 2 * x->cap_owned : 64;
			char **o = realloc(x->owned, cap * sizeof(*o));
			if (!o) {
				free(made);
				x->nomem = true;
				return NULL;
			}
			x->owned = o;
			x->cap_owned = cap;
		}
		x->owned[x->nowned++] = made;
	}
	if (!cp_isf_map_put(&x->keys, made ? made : key, 1)) {
		x->nomem = true;
		return NULL;
	}
	return made ? made : key;
}

/* -------------------------------------------------------------- naming */

static const char *btf_name(const struct exporter *x, uint32_t off)
{
	const char *s = btf__name_by_offset(x->btf, off);
	return s ? s : "";
}

/*
 * The key of a struct, union or enum: its name for the preferred
 * definition, "NAME#<id>" for others, "unnamed_<kind>_<id>" if it has
 * none. A guest can name a type like a generated key, so keys are made
 * unique ("_N" appended) once, here, and used for definitions and
 * references alike.
 */
static bool make_names(struct exporter *x)
{
	struct cp_isf_map used;
	bool ok = cp_isf_map_init(&used, 4096);
	x->names = calloc(x->ntypes, sizeof(*x->names));
	if (!x->names || !ok) {
		cp_isf_map_deinit(&used);
		return false;
	}
	for (uint32_t id = 1; id < x->ntypes && ok; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		bool is_enum = btf_is_any_enum(t);
		if (!btf_is_composite(t) && !is_enum)
			continue;
		const char *n = btf_name(x, t->name_off);
		uint32_t *best = *n ? cp_isf_map_get(is_enum ? &x->best_enum :
							       &x->best,
						     n) :
				      NULL;
		char *key;
		int r;
		if (!*n)
			r = asprintf(&key, "unnamed_%s_%" PRIu32,
				     is_enum		? "enum" :
				     btf_is_union(t)	? "union" :
							  "struct",
				     id);
		else if (best && *best != id)
			r = asprintf(&key, "%s#%" PRIu32, n, id);
		else
			r = asprintf(&key, "%s", n);
		for (unsigned k = 1; r >= 0 && cp_isf_map_get(&used, key);
		     k++) {
			char *again;
			r = asprintf(&again, "%s_%u", key, k);
			free(key);
			key = r >= 0 ? again : NULL;
		}
		ok = r >= 0 && cp_isf_map_put(&used, key, id);
		if (r >= 0)
			x->names[id] = key;
	}
	cp_isf_map_deinit(&used);
	return ok;
}

static const char *type_key(const struct exporter *x, uint32_t id)
{
	return x->names[id] ? x->names[id] : "void";
}

/* The preferred definition per name: most members, then lowest id. */
static bool pick_best(struct exporter *x)
{
	for (uint32_t id = 1; id < x->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		const char *n = btf_name(x, t->name_off);
		struct cp_isf_map *m = btf_is_composite(t) ? &x->best :
				       btf_is_any_enum(t)  ? &x->best_enum :
							     NULL;
		if (btf_is_var(t) && *n && !cp_isf_map_get(&x->vars, n) &&
		    !cp_isf_map_put(&x->vars, n, t->type))
			return false;
		if (!m || !*n)
			continue;
		uint32_t *cur = cp_isf_map_get(m, n);
		if (cur &&
		    btf_vlen(btf__type_by_id(x->btf, *cur)) >= btf_vlen(t))
			continue;
		if (!cp_isf_map_put(m, n, id))
			return false;
	}
	return true;
}

/* ------------------------------------------------------ type descriptors */

static void put_base(struct exporter *x, const char *name)
{
	fputs("{\"kind\":\"base\",\"name\":", x->f);
	put_str(x, name);
	fputc('}', x->f);
}

/* Writes the descriptor of type id (typedefs and qualifiers resolved). */
static void put_desc(struct exporter *x, uint32_t id, int depth)
{
	id = cp_btf_strip(x->btf, id);
	const struct btf_type *t = id ? btf__type_by_id(x->btf, id) : NULL;
	if (!t || depth > MAX_DESC_DEPTH) {
		put_base(x, "void");
		return;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		put_base(x, btf_name(x, t->name_off));
		return;
	case BTF_KIND_PTR:
		fputs("{\"kind\":\"pointer\",\"subtype\":", x->f);
		put_desc(x, t->type, depth + 1);
		fputc('}', x->f);
		return;
	case BTF_KIND_ARRAY:
		fprintf(x->f, "{\"kind\":\"array\",\"count\":%" PRIu32
			      ",\"subtype\":",
			btf_array(t)->nelems);
		put_desc(x, btf_array(t)->type, depth + 1);
		fputc('}', x->f);
		return;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		fprintf(x->f, "{\"kind\":\"%s\",\"name\":",
			btf_is_union(t) ? "union" : "struct");
		put_str(x, type_key(x, id));
		fputc('}', x->f);
		return;
	case BTF_KIND_FWD:
		fprintf(x->f, "{\"kind\":\"%s\",\"name\":",
			btf_kflag(t) ? "union" : "struct");
		put_str(x, btf_name(x, t->name_off));
		fputc('}', x->f);
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		fputs("{\"kind\":\"enum\",\"name\":", x->f);
		put_str(x, type_key(x, id));
		fputc('}', x->f);
		return;
	case BTF_KIND_FUNC_PROTO:
		fputs("{\"kind\":\"function\"}", x->f);
		return;
	default:
		put_base(x, "void");
		return;
	}
}

/* ---------------------------------------------------------- the sections */

static void put_metadata(struct exporter *x, size_t nsyms, int64_t when)
{
	fprintf(x->f, "\"metadata\":{\"format\":\"%s\",\"producer\":{"
		      "\"name\":\"cloudprobe\",\"version\":\"%s\"",
		CP_ISF_FORMAT, CP_VERSION);
	if (when >= 0) {
		time_t t = when ? (time_t)when : time(NULL);
		struct tm tm;
		char buf[32];
		if (gmtime_r(&t, &tm) &&
		    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			fprintf(x->f, ",\"datetime\":\"%s\"", buf);
	}
	/* ISF's source kinds are dwarf, symtab and system-map: kallsyms is
	 * the kernel's symbol table; BTF has no kind, so types are unnamed. */
	fprintf(x->f, "},\"linux\":{%s}}",
		nsyms ? "\"symbols\":[{\"kind\":\"symtab\","
			"\"name\":\"kallsyms\"}]" :
			"");
}

static const char *base_kind(const struct btf_type *t, const char *name)
{
	if (btf_is_float(t))
		return "float";
	if (btf_int_encoding(t) & BTF_INT_BOOL)
		return "bool";
	if (strstr(name, "char"))
		return "char";
	return "int";
}

static void put_base_types(struct exporter *x)
{
	fputs(",\n\"base_types\":{\n\"void\":{\"size\":0,\"signed\":false,"
	      "\"kind\":\"void\",\"endian\":\"little\"},\n\"pointer\":{"
	      "\"size\":8,\"signed\":false,\"kind\":\"int\",\"endian\":"
	      "\"little\"}",
	      x->f);
	keys_reset(x);
	claim(x, "void", false);
	claim(x, "pointer", false);
	for (uint32_t id = 1; id < x->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		const char *n = btf_name(x, t->name_off);
		if ((!btf_is_int(t) && !btf_is_float(t)) || !*n ||
		    cp_isf_map_get(&x->keys, n))
			continue;
		claim(x, n, false);
		fputs(",\n", x->f);
		put_str(x, n);
		fprintf(x->f,
			":{\"size\":%" PRIu32 ",\"signed\":%s,\"kind\":\"%s\","
			"\"endian\":\"little\"}",
			t->size,
			btf_is_int(t) &&
					(btf_int_encoding(t) & BTF_INT_SIGNED) ?
				"true" :
				"false",
			base_kind(t, n));
	}
	fputs("\n}", x->f);
}

/* Bitfields: storage unit offset and bit position, as Volatility reads. */
static void put_field(struct exporter *x, const struct btf_type *t,
		      uint16_t i, bool *first)
{
	const struct btf_member *m = &btf_members(t)[i];
	uint64_t bits = btf_member_bit_offset(t, i);
	uint32_t bit_size = btf_member_bitfield_size(t, i);
	uint32_t type = cp_btf_strip(x->btf, m->type);
	const struct btf_type *mt = type ? btf__type_by_id(x->btf, type) : NULL;
	const char *name = btf_name(x, m->name_off);
	char gen[64];
	uint64_t offset = bits / 8, pos = 0;
	if (bit_size) {
		/* Volatility's bitfield descriptors hold a base or enum. */
		if (!mt || !(btf_is_int(mt) || btf_is_any_enum(mt)) ||
		    !mt->size || mt->size > 8)
			return;
		uint64_t unit = (uint64_t)mt->size * 8;
		offset = bits / unit * mt->size;
		if (bits - offset * 8 + bit_size > unit)
			offset = bits / 8;
		pos = bits - offset * 8;
	}
	if (!*name)
		snprintf(gen, sizeof(gen), "unnamed_field_%" PRIx64, offset);
	const char *key = claim(x, *name ? name : gen, !*name);
	if (!key)
		return;
	fputs(*first ? "\n " : ",\n ", x->f);
	*first = false;
	put_str(x, key);
	fputs(":{\"type\":", x->f);
	if (bit_size) {
		fprintf(x->f, "{\"kind\":\"bitfield\",\"bit_position\":%" PRIu64
			      ",\"bit_length\":%" PRIu32 ",\"type\":",
			pos, bit_size);
		put_desc(x, type, 1);
		fputc('}', x->f);
	} else {
		put_desc(x, m->type, 0);
	}
	fprintf(x->f, ",\"offset\":%" PRIu64 "%s}", offset,
		*name ? "" : ",\"anonymous\":true");
}

static void put_user_types(struct exporter *x)
{
	bool first = true;
	fputs(",\n\"user_types\":{", x->f);
	for (uint32_t id = 1; id < x->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		if (!btf_is_composite(t))
			continue;
		bool first_field = true;
		fputs(first ? "\n" : ",\n", x->f);
		first = false;
		put_str(x, type_key(x, id));
		fprintf(x->f,
			":{\"kind\":\"%s\",\"size\":%" PRIu32 ",\"fields\":{",
			btf_is_union(t) ? "union" : "struct", t->size);
		keys_reset(x);
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			put_field(x, t, i, &first_field);
		fputs("}}", x->f);
	}
	fputs("\n}", x->f);
}

/* An int base type of the enum's size and signedness, as dwarf2json
 * chooses it (first by name); "void" if the BTF has none. */
static const char *enum_base(const struct exporter *x, uint32_t size,
			     bool is_signed)
{
	const char *best = NULL;
	for (uint32_t id = 1; id < x->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		const char *n = btf_name(x, t->name_off);
		if (!btf_is_int(t) || t->size != size || !*n ||
		    strcmp(base_kind(t, n), "int") != 0 ||
		    !!(btf_int_encoding(t) & BTF_INT_SIGNED) != is_signed)
			continue;
		if (!best || strcmp(n, best) < 0)
			best = n;
	}
	return best ? best : "void";
}

static void put_enums(struct exporter *x)
{
	/* Bases per size and signedness, looked up once. */
	const char *bases[9][2] = { { NULL } };
	bool first = true;
	fputs(",\n\"enums\":{", x->f);
	for (uint32_t id = 1; id < x->ntypes; id++) {
		const struct btf_type *t = btf__type_by_id(x->btf, id);
		if (!btf_is_any_enum(t) || t->size > 8)
			continue;
		bool sgn = btf_kflag(t);
		if (!bases[t->size][sgn])
			bases[t->size][sgn] = enum_base(x, t->size, sgn);
		fputs(first ? "\n" : ",\n", x->f);
		first = false;
		put_str(x, type_key(x, id));
		fprintf(x->f, ":{\"size\":%" PRIu32 ",\"base\":", t->size);
		put_str(x, bases[t->size][sgn]);
		fputs(",\"constants\":{", x->f);
		keys_reset(x);
		bool firstc = true;
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			uint32_t off = btf_is_enum(t) ?
					       btf_enum(t)[i].name_off :
					       btf_enum64(t)[i].name_off;
			const char *key = claim(x, btf_name(x, off), false);
			if (!key || !*key)
				continue;
			fputs(firstc ? "" : ",", x->f);
			firstc = false;
			put_str(x, key);
			if (btf_is_enum(t) && sgn)
				fprintf(x->f, ":%" PRId32, btf_enum(t)[i].val);
			else if (btf_is_enum(t))
				fprintf(x->f, ":%" PRIu32,
					(uint32_t)btf_enum(t)[i].val);
			else if (sgn)
				fprintf(x->f, ":%" PRId64,
					(int64_t)btf_enum64_value(
						&btf_enum64(t)[i]));
			else
				fprintf(x->f, ":%" PRIu64,
					(uint64_t)btf_enum64_value(
						&btf_enum64(t)[i]));
		}
		fputs("}}", x->f);
	}
	fputs("\n}", x->f);
}

static uint64_t link_address(uint64_t addr, uint64_t shift)
{
	/* Only kernel-image addresses move with KASLR; per-CPU offsets and
	 * absolute symbols are small numbers and stay. */
	if (addr >= CP_ISF_KERNEL_MAP_START && addr < CP_ISF_KERNEL_MAP_END &&
	    addr - shift >= CP_ISF_KERNEL_MAP_START)
		return addr - shift;
	return addr;
}

static void put_symbol_type(struct exporter *x, const char *name)
{
	uint32_t *var = cp_isf_map_get(&x->vars, name);
	if (var) {
		fputs(",\"type\":", x->f);
		put_desc(x, *var, 0);
		return;
	}
	for (size_t i = 0; i < CP_ARRAY_SIZE(known_symbols); i++) {
		if (strcmp(known_symbols[i].symbol, name) != 0)
			continue;
		uint32_t id = cp_btf_find(x->btf, known_symbols[i].type,
					  CP_BTF_STRUCT);
		if (!id)
			return;
		fputs(known_symbols[i].pointer ?
			      ",\"type\":{\"kind\":\"pointer\",\"subtype\":" :
			      ",\"type\":",
		      x->f);
		put_desc(x, id, 0);
		if (known_symbols[i].pointer)
			fputc('}', x->f);
		return;
	}
}

static bool is_global(char type)
{
	return type >= 'A' && type <= 'Z';
}

static void put_symbols(struct exporter *x, const struct cp_isf_symbol *syms,
			size_t n, const struct cp_isf_export_opts *o)
{
	struct cp_isf_map pick;
	bool first = true;
	fputs(",\n\"symbols\":{", x->f);
	/* One entry per name: a global symbol over a local one, else the
	 * first (static functions share names across files). */
	if (!cp_isf_map_init(&pick, n)) {
		x->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!syms[i].name || !*syms[i].name)
			continue;
		uint32_t *cur = cp_isf_map_get(&pick, syms[i].name);
		if (cur && (is_global(syms[*cur].type) ||
			    !is_global(syms[i].type)))
			continue;
		if (!cp_isf_map_put(&pick, syms[i].name, (uint32_t)i)) {
			x->nomem = true;
			break;
		}
	}
	for (size_t i = 0; i < n && !x->nomem; i++) {
		uint32_t *chosen = syms[i].name && *syms[i].name ?
					   cp_isf_map_get(&pick, syms[i].name) :
					   NULL;
		if (!chosen || *chosen != i)
			continue;
		bool banner = strcmp(syms[i].name, "linux_banner") == 0;
		fputs(first ? "\n" : ",\n", x->f);
		first = false;
		put_str(x, syms[i].name);
		fprintf(x->f, ":{\"address\":%" PRIu64,
			link_address(syms[i].address, o->kaslr_shift));
		if (banner && o->banner) {
			/* The bytes as in memory: text, "\n", NUL. */
			size_t len = strlen(o->banner);
			bool nl = len && o->banner[len - 1] == '\n';
			_cleanup_free_ uint8_t *raw = malloc(len + 2);
			_cleanup_free_ char *b64 = NULL;
			if (raw) {
				memcpy(raw, o->banner, len);
				if (!nl)
					raw[len++] = '\n';
				raw[len++] = '\0';
				b64 = cp_isf_base64_encode(raw, len);
			}
			if (!b64) {
				x->nomem = true;
				break;
			}
			fprintf(x->f,
				",\"type\":{\"kind\":\"array\",\"count\":%zu,"
				"\"subtype\":{\"kind\":\"base\",\"name\":"
				"\"char\"}},\"constant_data\":\"%s\"",
				len, b64);
		} else {
			put_symbol_type(x, syms[i].name);
		}
		fputc('}', x->f);
	}
	cp_isf_map_deinit(&pick);
	fputs("\n}", x->f);
}

struct cp_error *cp_isf_export(FILE *out, const struct btf *btf,
			       const struct cp_isf_symbol *syms, size_t nsyms,
			       const struct cp_isf_export_opts *opts)
{
	struct cp_isf_export_opts none = { .datetime = 0 };
	struct exporter x = { .f = out, .btf = btf };
	struct cp_error *err = NULL;
	if (!opts)
		opts = &none;
	x.ntypes = btf__type_cnt(btf);
	if (!cp_isf_map_init(&x.best, 1024) ||
	    !cp_isf_map_init(&x.best_enum, 256) ||
	    !cp_isf_map_init(&x.vars, 256) || !cp_isf_map_init(&x.keys, 16) ||
	    !pick_best(&x) || !make_names(&x)) {
		err = &cp_enomem;
		goto out;
	}
	fputs("{\n", out);
	put_metadata(&x, nsyms, opts->datetime);
	put_base_types(&x);
	put_user_types(&x);
	put_enums(&x);
	put_symbols(&x, syms, nsyms, opts);
	fputs("\n}\n", out);
	if (x.nomem)
		err = &cp_enomem;
	else if (fflush(out) != 0 || ferror(out))
		err = cp_error_os(errno ? errno : EIO, "ISF: write");
out:
	keys_reset(&x);
	free(x.owned);
	cp_isf_map_deinit(&x.keys);
	cp_isf_map_deinit(&x.best);
	cp_isf_map_deinit(&x.best_enum);
	cp_isf_map_deinit(&x.vars);
	for (uint32_t id = 0; x.names && id < x.ntypes; id++)
		free(x.names[id]);
	free(x.names);
	return err;
}
