/*
 * symbols.c - `cloudprobe ksyms` and `cloudprobe types`: the kernel's own
 * symbols and types as discovery found them in guest RAM.
 *
 *   ksyms SOURCE [NAME...]   name, type, runtime address (JSON: address as
 *                            a hex string), in address order; with names,
 *                            only those (every symbol of each name)
 *   types SOURCE STRUCT...   struct layouts as `pahole -C STRUCT` prints
 *   profile SOURCE --isf OUT writes the profile as a Volatility 3 ISF
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cp_out_col ksym_cols[] = {
	{ "address", NULL, CP_COL_HEX },
	{ "type", NULL, CP_COL_STR },
	{ "name", NULL, CP_COL_STR },
};

static struct cp_error *emit(struct cp_out *out, const struct cp_symbol *s)
{
	char type[2] = { s->type, '\0' };
	cp_out_hex(out, s->address);
	cp_out_str(out, type);
	cp_out_str(out, s->name);
	return cp_out_row_end(out);
}

static int run_ksyms(const struct cp_cli_common *o, struct cp_profile *p)
{
	struct cp_out *out;
	struct cp_error *err = cp_out_new(stdout, o->format, ksym_cols, 3, &out);
	if (err)
		return cp_cli_fail("ksyms", err);
	size_t n = cp_profile_symbol_count(p), missing = 0;
	struct cp_symbol s;
	if (o->nrest == 0) {
		for (size_t i = 0; !err && i < n; i++)
			if (cp_profile_symbol_at(p, i, &s))
				err = emit(out, &s);
	} else {
		/* A name may be several symbols (static functions). */
		for (int a = 0; !err && a < o->nrest; a++) {
			bool found = false;
			for (size_t i = 0; !err && i < n; i++) {
				if (cp_profile_symbol_at(p, i, &s) &&
				    strcmp(s.name, o->rest[a]) == 0) {
					found = true;
					err = emit(out, &s);
				}
			}
			if (!found) {
				fprintf(stderr, "cloudprobe ksyms: no symbol "
						"'%s'\n", o->rest[a]);
				missing++;
			}
		}
	}
	struct cp_error *ferr = cp_out_finish(out);
	if (err) {
		cp_error_destroy(ferr);
		return cp_cli_fail("ksyms", err);
	}
	if (ferr)
		return cp_cli_fail("ksyms", ferr);
	if (n == 0)
		return cp_cli_fail("ksyms", cp_error_create(
					   CP_ERR_NOT_FOUND,
					   "no kernel symbol table found (see "
					   "`cloudprobe info`)"));
	return missing ? 1 : 0;
}

static int run_types(const struct cp_cli_common *o, struct cp_profile *p)
{
	for (int a = 0; a < o->nrest; a++) {
		if (a)
			putchar('\n');
		struct cp_error *err = cp_profile_print_type(p, stdout,
							     o->rest[a]);
		if (err)
			return cp_cli_fail("types", err);
	}
	return 0;
}

static const char *isf_out;

static int run_profile(const struct cp_cli_common *o, struct cp_profile *p)
{
	(void)o;
	struct cp_error *err = cp_profile_export_isf(p, isf_out);
	if (err)
		return cp_cli_fail("profile", err);
	fprintf(stderr, "cloudprobe profile: wrote %s (%zu types, %zu "
			"symbols, %s)\n", isf_out, cp_profile_type_count(p),
		cp_profile_symbol_count(p), cp_profile_release(p));
	return 0;
}

static int with_profile(const struct cp_cli_command *cmd, int argc,
			char **argv, int min_rest, int max_rest,
			int (*fn)(const struct cp_cli_common *,
				  struct cp_profile *))
{
	struct cp_cli_common o;
	int r = cp_cli_parse_common(cmd, argc, argv, min_rest, max_rest, &o);
	if (r >= 0)
		return r;
	if (fn == run_profile) {
		/* For `profile`, --isf names the output, not an input. */
		isf_out = o.profile_opts.isf_path;
		o.profile_opts.isf_path = NULL;
		if (!isf_out) {
			fprintf(stderr, "usage: cloudprobe %s %s\n", cmd->name,
				cmd->args);
			return 2;
		}
	}
	struct cp_mem *mem;
	struct cp_profile *p;
	struct cp_error *err = cp_mem_open(o.source, &mem);
	if (err)
		return cp_cli_fail(cmd->name, err);
	err = cp_profile_discover_opts(mem, &o.profile_opts, &p);
	if (err) {
		cp_mem_close(mem);
		return cp_cli_fail(cmd->name, err);
	}
	r = fn(&o, p);
	cp_profile_destroy(p);
	cp_mem_close(mem);
	return r;
}

int cp_cli_ksyms(int argc, char **argv)
{
	return with_profile(cp_cli_find("ksyms"), argc, argv, 0, 1 << 20,
			    run_ksyms);
}

int cp_cli_types(int argc, char **argv)
{
	return with_profile(cp_cli_find("types"), argc, argv, 1, 1 << 20,
			    run_types);
}

int cp_cli_profile(int argc, char **argv)
{
	return with_profile(cp_cli_find("profile"), argc, argv, 0, 0,
			    run_profile);
}
