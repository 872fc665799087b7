/*
 * modules.c - the kernel's module list and the `lsmod` view (see
 * modules.h).
 *
 * What /proc/modules prints comes from kernel/module/procfs.c: size is the
 * sum of the module's memory areas (6.1: init_layout + core_layout, plus
 * data_layout where the arch has one; 6.4+: every mod->mem[type]), the
 * address is the text base (core_layout.base / mem[MOD_TEXT].base), the
 * refcount is refcnt - MODULE_REF_BASE, users come from source_list. Which
 * of those layouts a kernel has is a table of field alternatives resolved
 * through BTF, never a version check.
 *
 * Parameters: module.kp[num_kp] of struct kernel_param; the value's type
 * is known by which kernel_param_ops it points to (param_ops_int, ...),
 * compared with the guest's own symbols, and formatted as the matching
 * param_get_* would for sysfs. Everything is bounded: at most
 * MAX_PARAMS parameters, array elements and string bytes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/kread.h"
#include "linux/modules.h"
#include "linux/view.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAX_MODULES 8192
#define MAX_PARAMS 256
#define MAX_USERS 256
#define MAX_ARRAY 64
#define MAX_STRING 1024
#define MODULE_REF_BASE 1

/* How a parameter's value is stored, by the ops it uses. */
enum param_kind {
	P_BYTE, P_SHORT, P_USHORT, P_INT, P_UINT, P_LONG, P_ULONG, P_ULLONG,
	P_HEXINT, P_BOOL, P_INVBOOL, P_CHARP, P_STRING, P_ARRAY,
	P_NKINDS,
};

/* kernel/params.c's ops, by symbol; several may share a kind. */
static const struct {
	const char *symbol;
	enum param_kind kind;
} param_ops[] = {
	{ "param_ops_byte", P_BYTE },
	{ "param_ops_short", P_SHORT },
	{ "param_ops_ushort", P_USHORT },
	{ "param_ops_int", P_INT },
	{ "param_ops_bint", P_INT },
	{ "param_ops_uint", P_UINT },
	{ "param_ops_long", P_LONG },
	{ "param_ops_ulong", P_ULONG },
	{ "param_ops_ullong", P_ULLONG },
	{ "param_ops_hexint", P_HEXINT },
	{ "param_ops_bool", P_BOOL },
	{ "param_ops_bool_enable_only", P_BOOL },
	{ "param_ops_invbool", P_INVBOOL },
	{ "param_ops_charp", P_CHARP },
	{ "param_ops_string", P_STRING },
	{ "param_array_ops", P_ARRAY },
};

/*
 * Taint letters by bit (include/linux/panic.h, kernel/panic.c's
 * taint_flags[].c_true): the fallback when the guest's own table cannot be
 * read. The bits are ABI (Documentation/admin-guide/tainted-kernels.rst).
 */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTNJ";

struct cp_module_reader {
	struct cp_profile *p;
	uint64_t modules_head;
	uint64_t module_size;
	struct cp_resolved_field state, list, name, taints, refcnt, kp, num_kp;
	struct cp_resolved_field source_list, init, exit;
	struct cp_resolved_field mem, core_layout, init_layout, data_layout;
	struct cp_resolved_field mm_base, mm_size, ml_base, ml_size;
	struct cp_resolved_field use_source_list, use_source;
	struct cp_resolved_field kp_name, kp_ops, kp_arg;
	struct cp_resolved_field ks_maxlen, ks_string;
	struct cp_resolved_field ka_max, ka_elemsize, ka_num, ka_ops, ka_elem;
	uint64_t kp_size, mm_elem_size;
	int64_t state_value[CP_MODULE_STATE_UNKNOWN];
	bool state_known[CP_MODULE_STATE_UNKNOWN];
	int64_t mod_text;		/* MOD_TEXT, 0 when absent */
	uint64_t ops_addr[CP_ARRAY_SIZE(param_ops)];
	/* the guest's taint_flags[]: its address and entry layout */
	uint64_t taint_table, taint_entry_size, taint_c_true;
};

static struct cp_error *resolve(struct cp_module_reader *r)
{
	const char *m = "module";
	const struct cp_field_spec specs[] = {
		{ m, "state", false, &r->state },
		{ m, "list", false, &r->list },
		{ m, "name", false, &r->name },
		{ m, "taints", true, &r->taints },
		{ m, "refcnt", true, &r->refcnt },
		{ m, "kp", true, &r->kp },
		{ m, "num_kp", true, &r->num_kp },
		{ m, "source_list", true, &r->source_list },
		{ m, "init", true, &r->init },
		{ m, "exit", true, &r->exit },
		/* 6.4+: one array of areas; before: fixed layouts */
		{ m, "mem", true, &r->mem },
		{ m, "core_layout", true, &r->core_layout },
		{ m, "init_layout", true, &r->init_layout },
		{ m, "data_layout", true, &r->data_layout },
		{ "module_memory", "base", true, &r->mm_base },
		{ "module_memory", "size", true, &r->mm_size },
		{ "module_layout", "base", true, &r->ml_base },
		{ "module_layout", "size", true, &r->ml_size },
		{ "module_use", "source_list", true, &r->use_source_list },
		{ "module_use", "source", true, &r->use_source },
		{ "kernel_param", "name", true, &r->kp_name },
		{ "kernel_param", "ops", true, &r->kp_ops },
		{ "kernel_param", "arg", true, &r->kp_arg },
		{ "kparam_string", "maxlen", true, &r->ks_maxlen },
		{ "kparam_string", "string", true, &r->ks_string },
		{ "kparam_array", "max", true, &r->ka_max },
		{ "kparam_array", "elemsize", true, &r->ka_elemsize },
		{ "kparam_array", "num", true, &r->ka_num },
		{ "kparam_array", "ops", true, &r->ka_ops },
		{ "kparam_array", "elem", true, &r->ka_elem },
	};
	struct cp_error *err = cp_fields_resolve(r->p, specs,
						 CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	if ((err = cp_struct_size(r->p, m, &r->module_size)))
		return err;
	if (r->mem.found) {
		if (!r->mm_base.found || !r->mm_size.found ||
		    (err = cp_struct_size(r->p, "module_memory",
					  &r->mm_elem_size)))
			return err ? err : cp_error_create(CP_ERR_NOT_FOUND,
				"this kernel's module_memory has no base/size");
		if (!r->mm_elem_size)
			return cp_error_create(CP_ERR_CORRUPT,
					       "module_memory has size 0");
		int64_t v;
		struct cp_error *e = cp_enum_value(r->p, "MOD_TEXT", &v);
		r->mod_text = e ? 0 : v;
		cp_error_destroy(e);
	} else if (!r->core_layout.found || !r->ml_base.found ||
		   !r->ml_size.found) {
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "this kernel's struct module has neither "
				       "mem[] nor core_layout");
	}
	if (r->kp.found && r->kp_name.found && r->kp_ops.found &&
	    r->kp_arg.found) {
		if ((err = cp_struct_size(r->p, "kernel_param", &r->kp_size)))
			return err;
	}
	static const char *const states[] = {
		[CP_MODULE_LIVE] = "MODULE_STATE_LIVE",
		[CP_MODULE_COMING] = "MODULE_STATE_COMING",
		[CP_MODULE_GOING] = "MODULE_STATE_GOING",
		[CP_MODULE_UNFORMED] = "MODULE_STATE_UNFORMED",
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(states); i++) {
		struct cp_error *e = cp_enum_value(r->p, states[i],
						   &r->state_value[i]);
		r->state_known[i] = !e;
		cp_error_destroy(e);
	}
	for (size_t i = 0; i < CP_ARRAY_SIZE(param_ops); i++)
		if (!cp_profile_symbol(r->p, param_ops[i].symbol,
				       &r->ops_addr[i]))
			r->ops_addr[i] = 0;
	struct cp_field c;
	struct cp_error *e = cp_field(r->p, "taint_flag", "c_true", &c);
	if (!e && cp_profile_symbol(r->p, "taint_flags", &r->taint_table) &&
	    !cp_type_size(r->p, "taint_flag", &r->taint_entry_size))
		r->taint_c_true = c.offset;
	else
		r->taint_table = 0;
	cp_error_destroy(e);
	return NULL;
}

struct cp_error *cp_module_reader_new(struct cp_profile *p,
				      struct cp_module_reader **ret)
{
	struct cp_module_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return &cp_enomem;
	r->p = p;
	struct cp_error *err = resolve(r);
	if (!err && !cp_profile_symbol(p, "modules", &r->modules_head))
		err = cp_error_create(CP_ERR_NOT_FOUND, "no symbol modules");
	if (err) {
		free(r);
		return cp_error_wrap(err, "modules");
	}
	*ret = r;
	return NULL;
}

void cp_module_reader_destroy(struct cp_module_reader *r)
{
	free(r);
}

void cp_module_clear(struct cp_module *m)
{
	free(m->used_by);
	free(m->params);
	memset(m, 0, sizeof(*m));
}

const char *cp_module_state_name(enum cp_module_state s)
{
	switch (s) {
	case CP_MODULE_LIVE: return "Live";
	case CP_MODULE_COMING: return "Loading";
	case CP_MODULE_GOING: return "Unloading";
	case CP_MODULE_UNFORMED: return "Unformed";
	default: return "?";
	}
}

/* Keeps the first trouble with a module's parts (users, params). */
static void set_problem(struct cp_module *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_problem(struct cp_module *m, const char *fmt, ...)
{
	if (m->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->problem, sizeof(m->problem), fmt, ap);
	va_end(ap);
}

static void problem(struct cp_module *m, const char *what,
		    struct cp_error *err)
{
	set_problem(m, "%s: %s", what, cp_error_message(err));
	cp_error_destroy(err);
}

static char taint_letter(struct cp_module_reader *r, unsigned bit)
{
	if (r->taint_table) {
		uint8_t c;
		uint64_t at = r->taint_table + bit * r->taint_entry_size +
			      r->taint_c_true;
		struct cp_error *err = cp_read_u8(r->p, at, &c);
		cp_error_destroy(err);
		if (!err && c >= 'A' && c <= 'Z')
			return (char)c;
	}
	return bit < sizeof(taint_letters) - 1 ? taint_letters[bit] : '?';
}

/* ----------------------------------------------------------- users */

struct users_walk {
	struct cp_module_reader *r;
	FILE *out;
	size_t n;
};

static bool each_use(void *arg, uint64_t node)
{
	struct users_walk *w = arg;
	uint64_t use = node - w->r->use_source_list.offset, src;
	char name[CP_MODULE_NAME_MAX + 1];
	struct cp_error *err = cp_read_ptr(w->r->p, use + w->r->use_source.offset,
					   &src);
	if (!err && src)
		err = cp_read_cstr(w->r->p, src + w->r->name.offset, name,
				   w->r->name.size < sizeof(name) ?
					   w->r->name.size : sizeof(name) - 1);
	if (err || !src) {
		cp_error_destroy(err);
		return true;
	}
	fprintf(w->out, "%s%s", w->n++ ? "," : "", name);
	return true;
}

static void read_users(struct cp_module_reader *r, struct cp_module *m)
{
	if (!r->source_list.found || !r->use_source_list.found ||
	    !r->use_source.found)
		return;
	char *buf = NULL;
	size_t len = 0;
	struct users_walk w = { .r = r, .out = open_memstream(&buf, &len) };
	if (!w.out)
		return;
	struct cp_walk_stop stop = { 0 };
	cp_list_walk(r->p, m->addr + r->source_list.offset, MAX_USERS,
		     each_use, &w, &stop);
	/* /proc/modules: a module with init and no exit cannot unload */
	uint64_t init = 0, exit_fn = 0;
	if (r->init.found && r->exit.found) {
		struct cp_error *e1 = cp_read_u64(r->p, m->addr + r->init.offset,
						  &init);
		struct cp_error *e2 = cp_read_u64(r->p, m->addr + r->exit.offset,
						  &exit_fn);
		if (!e1 && !e2 && init && !exit_fn)
			fprintf(w.out, "%s[permanent]", w.n++ ? "," : "");
		cp_error_destroy(e1);
		cp_error_destroy(e2);
	}
	fclose(w.out);
	if (stop.partial)
		set_problem(m, "users: %s", stop.reason);
	if (w.n)
		m->used_by = buf;
	else
		free(buf);
}

/* ------------------------------------------------------ parameters */

static int ops_kind(struct cp_module_reader *r, uint64_t ops)
{
	for (size_t i = 0; i < CP_ARRAY_SIZE(param_ops); i++)
		if (ops && r->ops_addr[i] == ops)
			return (int)param_ops[i].kind;
	return -1;
}

/* Writes a bounded, comma- and control-free rendering of a string. */
static void put_string(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
}

/* One scalar or string value of kind at va, as param_get_* prints it. */
static struct cp_error *put_value(struct cp_module_reader *r, FILE *out,
				  enum param_kind kind, uint64_t va,
				  uint64_t maxlen)
{
	static const uint8_t width[P_NKINDS] = {
		[P_BYTE] = 1, [P_SHORT] = 2, [P_USHORT] = 2, [P_INT] = 4,
		[P_UINT] = 4, [P_LONG] = 8, [P_ULONG] = 8, [P_ULLONG] = 8,
		[P_HEXINT] = 4, [P_BOOL] = 1, [P_INVBOOL] = 1,
	};
	char s[MAX_STRING + 1];
	uint64_t v = 0, ptr;
	struct cp_error *err;
	if (kind == P_CHARP) {
		if ((err = cp_read_ptr(r->p, va, &ptr)))
			return err;
		if (!ptr) {
			fputs("(null)", out);	/* sprintf's "%s" of NULL */
			return NULL;
		}
		if ((err = cp_read_cstr(r->p, ptr, s, MAX_STRING)))
			return err;
		put_string(out, s);
		return NULL;
	}
	if (kind == P_STRING) {
		if (maxlen > MAX_STRING)
			maxlen = MAX_STRING;
		if ((err = cp_read_cstr(r->p, va, s, maxlen)))
			return err;
		put_string(out, s);
		return NULL;
	}
	if (kind >= P_NKINDS || !width[kind])
		return cp_error_create(CP_ERR_UNSUPPORTED, "kind %d", kind);
	if ((err = cp_read_uint(r->p, va, width[kind], &v)))
		return err;
	switch (kind) {
	case P_BYTE: fprintf(out, "%u", (unsigned)(uint8_t)v); break;
	case P_SHORT: fprintf(out, "%d", (int)(int16_t)v); break;
	case P_USHORT: fprintf(out, "%u", (unsigned)(uint16_t)v); break;
	case P_INT: fprintf(out, "%d", (int32_t)v); break;
	case P_UINT: fprintf(out, "%" PRIu32, (uint32_t)v); break;
	case P_LONG: fprintf(out, "%" PRId64, (int64_t)v); break;
	case P_ULONG:
	case P_ULLONG: fprintf(out, "%" PRIu64, v); break;
	case P_HEXINT: fprintf(out, "%#08" PRIx32, (uint32_t)v); break;
	case P_BOOL: fputc(v ? 'Y' : 'N', out); break;
	case P_INVBOOL: fputc(v ? 'N' : 'Y', out); break;
	default: break;
	}
	return NULL;
}

/* struct kparam_array: max, elemsize, *num, ops, elem */
static struct cp_error *put_array(struct cp_module_reader *r, FILE *out,
				  uint64_t arr)
{
	if (!r->ka_max.found || !r->ka_elemsize.found || !r->ka_num.found ||
	    !r->ka_ops.found || !r->ka_elem.found)
		return cp_error_create(CP_ERR_NOT_FOUND, "no kparam_array type");
	uint64_t max, elemsize, nump, ops, elem, num;
	struct cp_error *err;
	if ((err = cp_read_uint(r->p, arr + r->ka_max.offset, r->ka_max.size,
				&max)) ||
	    (err = cp_read_uint(r->p, arr + r->ka_elemsize.offset,
				r->ka_elemsize.size, &elemsize)) ||
	    (err = cp_read_ptr(r->p, arr + r->ka_num.offset, &nump)) ||
	    (err = cp_read_ptr(r->p, arr + r->ka_ops.offset, &ops)) ||
	    (err = cp_read_ptr(r->p, arr + r->ka_elem.offset, &elem)))
		return err;
	num = max;	/* param_array_get: num ? *num : max */
	if (nump && (err = cp_read_uint(r->p, nump, 4, &num)))
		return err;
	int kind = ops_kind(r, ops);
	if (num > max || max > 4096 || !elemsize || elemsize > 4096 ||
	    kind < 0 || kind == P_ARRAY)
		return cp_error_create(CP_ERR_CORRUPT,
				       "array of %" PRIu64 "/%" PRIu64 " elements "
				       "of %" PRIu64 " bytes", num, max,
				       elemsize);
	for (uint64_t i = 0; i < num && i < MAX_ARRAY; i++) {
		if (i)
			fputc(',', out);
		if ((err = put_value(r, out, (enum param_kind)kind,
				     elem + i * elemsize, elemsize)))
			return err;
	}
	return NULL;
}

static void read_params(struct cp_module_reader *r, struct cp_module *m)
{
	if (!r->kp_size || !r->num_kp.found)
		return;
	uint64_t kp, num;
	struct cp_error *err;
	if ((err = cp_read_ptr(r->p, m->addr + r->kp.offset, &kp)) ||
	    (err = cp_read_uint(r->p, m->addr + r->num_kp.offset,
				r->num_kp.size, &num))) {
		problem(m, "params", err);
		return;
	}
	if (!kp || !num)
		return;
	if (num > MAX_PARAMS) {
		set_problem(m, "params: num_kp %" PRIu64 " (read the first "
			    "%d)", num, MAX_PARAMS);
		num = MAX_PARAMS;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	for (uint64_t i = 0; i < num; i++) {
		uint64_t at = kp + i * r->kp_size, namep, ops, arg;
		char name[128];
		if ((err = cp_read_ptr(r->p, at + r->kp_name.offset, &namep)) ||
		    (err = cp_read_ptr(r->p, at + r->kp_ops.offset, &ops)) ||
		    (err = cp_read_ptr(r->p, at + r->kp_arg.offset, &arg)) ||
		    (err = namep ? cp_read_cstr(r->p, namep, name,
						sizeof(name) - 1)
				 : cp_error_create(CP_ERR_CORRUPT,
						   "NULL name"))) {
			problem(m, "params", err);
			continue;
		}
		fprintf(out, "%s", m->nparams++ ? "," : "");
		put_string(out, name);
		fputc('=', out);
		int kind = ops_kind(r, ops);
		if (kind < 0) {
			fprintf(out, "ops@0x%" PRIx64, ops);
			continue;
		}
		if (kind == P_STRING) {
			/* struct kparam_string: the buffer and its size */
			uint64_t maxlen = 0, str = 0;
			if (!r->ks_maxlen.found || !r->ks_string.found)
				err = cp_error_create(CP_ERR_NOT_FOUND,
						      "no kparam_string type");
			else if (!(err = cp_read_uint(r->p,
						     arg + r->ks_maxlen.offset,
						     r->ks_maxlen.size, &maxlen)))
				err = cp_read_ptr(r->p, arg + r->ks_string.offset,
						  &str);
			if (!err)
				err = put_value(r, out, P_STRING, str, maxlen);
		} else if (kind == P_ARRAY) {
			err = put_array(r, out, arg);
		} else {
			err = put_value(r, out, (enum param_kind)kind, arg, 0);
		}
		if (err) {
			fputc('?', out);
			problem(m, name, err);
		}
	}
	fclose(out);
	if (m->nparams)
		m->params = buf;
	else
		free(buf);
}

/* ----------------------------------------------------------- records */

/* One memory area to read: where its struct is and its members. */
struct area {
	uint64_t at, base_off, size_off, size_len;
};

static struct cp_error *read_regions(struct cp_module_reader *r,
				     struct cp_module *m)
{
	struct cp_error *err;
	struct area areas[CP_MODULE_MAX_REGIONS];
	size_t n = 0;
	size_t text = 0;
	if (r->mem.found) {
		uint64_t count = r->mem.size / r->mm_elem_size;
		for (uint64_t i = 0; i < count && n < CP_MODULE_MAX_REGIONS; i++)
			areas[n++] = (struct area){
				m->addr + r->mem.offset + i * r->mm_elem_size,
				r->mm_base.offset, r->mm_size.offset,
				r->mm_size.size };
		if (r->mod_text >= 0 && (uint64_t)r->mod_text < n)
			text = (size_t)r->mod_text;
	} else {
		/* core first: it holds the text /proc/modules shows */
		const struct cp_resolved_field *layouts[] = {
			&r->core_layout, &r->init_layout, &r->data_layout };
		for (size_t i = 0; i < CP_ARRAY_SIZE(layouts); i++)
			if (layouts[i]->found)
				areas[n++] = (struct area){
					m->addr + layouts[i]->offset,
					r->ml_base.offset, r->ml_size.offset,
					r->ml_size.size };
	}
	for (size_t i = 0; i < n; i++) {
		struct cp_module_region *g = &m->regions[i];
		if ((err = cp_read_ptr(r->p, areas[i].at + areas[i].base_off,
				       &g->base)) ||
		    (err = cp_read_uint(r->p, areas[i].at + areas[i].size_off,
					areas[i].size_len, &g->size)))
			return err;
		m->size += g->size;
	}
	m->nregions = n;
	m->base = m->regions[text].base;
	return NULL;
}

struct cp_error *cp_module_read(struct cp_module_reader *r, uint64_t addr,
				unsigned flags, struct cp_module *m)
{
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	struct cp_error *err;
	size_t nlen = r->name.size < sizeof(m->name) ? r->name.size
						      : sizeof(m->name) - 1;
	if ((err = cp_read_cstr(r->p, addr + r->name.offset, m->name, nlen)))
		return cp_error_wrap(err, "module at 0x%" PRIx64 ": name",
				     addr);
	if (strnlen(m->name, nlen) == nlen || !m->name[0])
		return cp_error_create(CP_ERR_CORRUPT, "module at 0x%" PRIx64
				       ": name is not a string", addr);
	uint64_t state;
	if ((err = cp_read_uint(r->p, addr + r->state.offset, r->state.size,
				&state)))
		return cp_error_wrap(err, "module %s: state", m->name);
	m->state_raw = (int64_t)state;
	m->state = CP_MODULE_STATE_UNKNOWN;
	for (int i = 0; i < CP_MODULE_STATE_UNKNOWN; i++)
		if (r->state_known[i] && r->state_value[i] == (int64_t)state)
			m->state = (enum cp_module_state)i;
	if ((err = read_regions(r, m)))
		return cp_error_wrap(err, "module %s: memory areas", m->name);
	if (r->taints.found) {
		if ((err = cp_read_uint(r->p, addr + r->taints.offset,
					r->taints.size, &m->taints)))
			return cp_error_wrap(err, "module %s: taints", m->name);
		size_t k = 0;
		for (unsigned bit = 0; bit < 64 && k < sizeof(m->taint_letters) - 1;
		     bit++)
			if (m->taints & (UINT64_C(1) << bit))
				m->taint_letters[k++] = taint_letter(r, bit);
		m->taint_letters[k] = '\0';
	}
	if (r->refcnt.found) {
		uint64_t v;
		if ((err = cp_read_uint(r->p, addr + r->refcnt.offset,
					r->refcnt.size, &v)))
			return cp_error_wrap(err, "module %s: refcnt", m->name);
		m->has_refcount = true;
		m->refcount = (int64_t)(int32_t)v - MODULE_REF_BASE;
	}
	if (flags & CP_MODULE_USERS)
		read_users(r, m);
	if (flags & CP_MODULE_PARAMS)
		read_params(r, m);
	return NULL;
}

/* -------------------------------------------------------------- walk */

struct module_walk {
	struct cp_module_reader *r;
	unsigned flags;
	cp_module_fn *fn;
	void *arg;
	size_t bad, partial;
	char reason[200];
	bool stopped;
};

static void walk_note(struct module_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void walk_note(struct module_walk *w, const char *fmt, ...)
{
	if (w->reason[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->reason, sizeof(w->reason), fmt, ap);
	va_end(ap);
}

static bool each_module(void *arg, uint64_t node)
{
	struct module_walk *w = arg;
	struct cp_module m;
	struct cp_error *err = cp_module_read(w->r, node - w->r->list.offset,
					      w->flags, &m);
	if (err) {
		w->bad++;
		walk_note(w, "%s", cp_error_message(err));
		cp_error_destroy(err);
		cp_module_clear(&m);
		return true;
	}
	if (m.problem[0]) {
		w->partial++;
		walk_note(w, "module %s: %s", m.name, m.problem);
	}
	bool go = w->fn(w->arg, &m);
	cp_module_clear(&m);
	w->stopped = !go;
	return go;
}

struct cp_error *cp_module_walk(struct cp_profile *p, unsigned flags,
				cp_module_fn *fn, void *arg)
{
	struct cp_module_reader *r;
	struct cp_error *err = cp_module_reader_new(p, &r);
	if (err)
		return err;
	struct module_walk w = { .r = r, .flags = flags, .fn = fn, .arg = arg };
	struct cp_walk_stop stop = { 0 };
	size_t n = cp_list_walk(p, r->modules_head, MAX_MODULES, each_module,
				&w, &stop);
	cp_module_reader_destroy(r);
	if (stop.partial)
		return cp_error_create(CP_ERR_PARTIAL,
				       "modules: list broke off after %zu "
				       "entries: %s", n, stop.reason);
	if (w.bad || w.partial)
		return cp_error_create(CP_ERR_PARTIAL,
				       "modules: %zu of %zu unreadable, %zu read "
				       "in part; first: %s", w.bad, n, w.partial,
				       w.reason);
	return NULL;
}

/* -------------------------------------------------------------- view */

static const struct cp_out_col lsmod_cols[] = {
	{ "name", NULL, CP_COL_STR },
	{ "base", NULL, CP_COL_HEX },
	{ "size", NULL, CP_COL_UINT },
	{ "state", NULL, CP_COL_STR },
	{ "taints", NULL, CP_COL_STR },
	{ "refcount", NULL, CP_COL_INT },
	{ "used_by", NULL, CP_COL_STR },
	{ "params", NULL, CP_COL_STR },
	{ "offset", NULL, CP_COL_HEX },
};

struct lsmod_emit {
	struct cp_sink *sink;
	struct cp_error *err;
};

static bool emit_module(void *arg, const struct cp_module *m)
{
	struct lsmod_emit *e = arg;
	struct cp_sink *s = e->sink;
	cp_sink_str(s, m->name);
	cp_sink_hex(s, m->base);
	cp_sink_u64(s, m->size);
	cp_sink_str(s, cp_module_state_name(m->state));
	cp_sink_str(s, m->taint_letters[0] ? m->taint_letters : NULL);
	if (m->has_refcount)
		cp_sink_i64(s, m->refcount);
	else
		cp_sink_null(s);
	cp_sink_str(s, m->used_by);
	cp_sink_str(s, m->params);
	cp_sink_hex(s, m->addr);
	e->err = cp_sink_row_end(s);
	return !e->err;
}

static struct cp_error *lsmod_produce(struct cp_profile *p,
				      const struct cp_view_args *args,
				      struct cp_sink *sink)
{
	(void)args;
	struct lsmod_emit e = { .sink = sink };
	struct cp_error *err = cp_module_walk(p, CP_MODULE_PARAMS |
						      CP_MODULE_USERS,
					      emit_module, &e);
	if (e.err) {
		cp_error_destroy(err);
		return e.err;
	}
	return err;
}

const struct cp_view cp_view_lsmod = {
	.name = "lsmod",
	.sql_name = "modules",
	.args = "",
	.summary = "loaded kernel modules: base, size, state, taints, params",
	.cols = lsmod_cols,
	.ncols = CP_ARRAY_SIZE(lsmod_cols),
	.produce = lsmod_produce,
};
