/*
 * btf_ctype.c - spelling BTF types in C the way pahole does.
 *
 * pahole's BTF loader turns each BTF type into a DWARF-like tag and names
 * it with its own rules, and `pahole -C` output depends on them: "struct
 * list_head *", "char * *", "const struct cred  *" (two spaces: the const
 * is named with a trailing space, then the star added after a space),
 * "volatile unsigned char " (qualifiers other than a leading const keep
 * that trailing space), function pointers as "ret (*name)(params)" with
 * unnamed parameters, "(void)" when there are none and ", ...)" for
 * varargs. These functions produce exactly those spellings into bounded
 * buffers; a name longer than the buffer is cut, and a type chain deeper
 * than CP_PAHOLE_MAX_DEPTH (a loop in forged BTF) reads "<ERROR: type
 * loop>".
 *
 * Not for: declarators, padding and layout (btf_print.c).
 */
#include <stdarg.h>
#include <stdio.h>

#include "kernel/btf.h"
#include "kernel/btf_pahole.h"

/* snprintf into a bounded name buffer; long names are cut, by design. */
static void bprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}


/* pahole's tag__name: the C spelling of a type without a declarator. */
void cp_pahole_type_name(struct cp_pahole *p, uint32_t id, char *buf,
			 size_t len, int depth)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	char inner[512];
	if (depth > CP_PAHOLE_MAX_DEPTH) {
		bprintf(buf, len, "<ERROR: type loop>");
		return;
	}
	if (!t) {
		bprintf(buf, len, "void");
		return;
	}
	const char *n = cp_pahole_name(p, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		bprintf(buf, len, "%s", n ? n : "");
		return;
	case BTF_KIND_PTR: {
		const struct btf_type *target = cp_pahole_type(p, t->type);
		const char *cp = "";
		uint32_t tid = t->type;
		if (!target) {
			bprintf(buf, len, "void *");
			return;
		}
		/* T * const *: pahole names the const after the star. */
		if (btf_is_const(target)) {
			const struct btf_type *next =
				cp_pahole_type(p, target->type);
			if (next && btf_is_ptr(next)) {
				cp = "const ";
				tid = target->type;
			}
		}
		cp_pahole_type_name(p, tid, inner, sizeof(inner), depth + 1);
		bprintf(buf, len, "%s %s*", inner, cp);
		return;
	}
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT: {
		const char *prefix = btf_is_const(t)	? "const " :
				     btf_is_volatile(t) ? "volatile " :
							  "";
		cp_pahole_type_name(p, t->type, inner, sizeof(inner),
				    depth + 1);
		bprintf(buf, len, "%s%s%s ", prefix, inner,
			 btf_is_restrict(t) ? " restrict" : "");
		return;
	}
	case BTF_KIND_TYPE_TAG:
		cp_pahole_type_name(p, t->type, buf, len, depth + 1);
		return;
	case BTF_KIND_ARRAY:
		cp_pahole_type_name(p, btf_array(t)->type, buf, len, depth + 1);
		return;
	case BTF_KIND_FUNC_PROTO:
		cp_pahole_ftype_name(p, id, NULL, false, 0, buf, len,
				     depth + 1);
		return;
	case BTF_KIND_STRUCT:
		bprintf(buf, len, "struct %s", n ? n : "");
		return;
	case BTF_KIND_UNION:
		bprintf(buf, len, "union %s", n ? n : "");
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		bprintf(buf, len, "enum %s", n ? n : "");
		return;
	case BTF_KIND_FWD:
		bprintf(buf, len, "%s %s", btf_kflag(t) ? "union" : "struct",
			 n ? n : "");
		return;
	default:
		bprintf(buf, len, "%s", n ? n : "");
		return;
	}
}

/* Is id a pointer to a function prototype (through type tags)? */
bool cp_pahole_func_ptr(const struct cp_pahole *p, uint32_t id, uint32_t *proto)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	if (!t || !btf_is_ptr(t))
		return false;
	uint32_t tid = t->type;
	for (int i = 0; i < CP_PAHOLE_MAX_DEPTH; i++) {
		const struct btf_type *x = cp_pahole_type(p, tid);
		if (!x)
			return false;
		if (btf_is_func_proto(x)) {
			*proto = tid;
			return true;
		}
		if (btf_kind(x) != BTF_KIND_TYPE_TAG)
			return false;
		tid = x->type;
	}
	return false;
}

/* pahole's ftype__fprintf_parms: "(type, type, ...)". */
static void params_name(struct cp_pahole *p, uint32_t id, char *buf,
			size_t len, int depth)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	const struct btf_param *prm = btf_params(t);
	size_t at = (size_t)snprintf(buf, len, "(");
	bool first = true, varargs = false;
	char one[512];
	for (uint16_t i = 0; i < btf_vlen(t) && at < len; i++) {
		uint32_t proto;
		if (prm[i].type == 0 && i == btf_vlen(t) - 1) {
			varargs = true;
			break;
		}
		const char *pn = cp_pahole_name(p, prm[i].name_off);
		if (cp_pahole_func_ptr(p, prm[i].type, &proto))
			cp_pahole_ftype_name(p, proto, pn ? pn : "", true, 0,
					     one, sizeof(one), depth + 1);
		else {
			char tn[512];
			cp_pahole_type_name(p, prm[i].type, tn, sizeof(tn),
					    depth + 1);
			bprintf(one, sizeof(one), "%s%s%s", tn, pn ? " " : "",
				 pn ? pn : "");
		}
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       first ? "" : ", ", one);
		first = false;
	}
	if (at >= len)
		return;
	bprintf(buf + at, len - at, "%s",
		 first ? "void)" : varargs ? ", ...)" : ")");
}

/* pahole's ftype__fprintf: "ret (*name)(params)". */
void cp_pahole_ftype_name(struct cp_pahole *p, uint32_t id, const char *name,
		       bool is_pointer, int spacing, char *buf, size_t len,
		       int depth)
{
	const struct btf_type *t = cp_pahole_type(p, id);
	char ret[512], params[1536];
	if (depth > CP_PAHOLE_MAX_DEPTH) {
		bprintf(buf, len, "<ERROR: type loop>");
		return;
	}
	cp_pahole_type_name(p, t->type, ret, sizeof(ret), depth + 1);
	params_name(p, id, params, sizeof(params), depth + 1);
	bprintf(buf, len, "%-*s (%s%s)%s", spacing, ret, is_pointer ? "*" : "",
		 name ? name : "", params);
}
