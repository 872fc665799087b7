/*
 * output.c - tables, JSON Lines and CSV from one description of a record.
 *
 * A command declares its columns (name, type) once and then emits cells.
 * Tables are buffered until cp_out_finish() so columns can be aligned to
 * their widest cell; JSON Lines and CSV stream one line per row, so a long
 * listing can be piped without waiting. JSON objects are built with jansson
 * (keys in column order). Strings from the guest are sanitized (text.c):
 * terminal controls never reach a table, invalid UTF-8 never reaches JSON.
 *
 * Errors while emitting cells (out of memory) are sticky and reported by the
 * next cp_out_row_end() or cp_out_finish(), so call sites stay flat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/text.h"
#include "util/vector.h"

CP_DEFINE_VECTOR(cp_cell_vector, char *)

struct cp_out {
	FILE *file;
	enum cp_out_format format;
	const struct cp_out_col *cols;
	size_t ncols;
	size_t col;		/* index of the next cell in the current row */
	struct cp_error *err;	/* sticky; first error wins */
	struct cp_cell_vector cells;	/* tables: every cell, row-major */
	json_t *row;		/* JSON: the row being built */
	bool vertical;		/* tables: "TITLE  value" lines */
};

static const struct {
	const char *name;
	enum cp_out_format format;
} format_names[] = {
	{ "table", CP_OUT_TABLE },
	{ "json", CP_OUT_JSON },
	{ "jsonl", CP_OUT_JSON },
	{ "csv", CP_OUT_CSV },
};

struct cp_error *cp_out_format_parse(const char *name, enum cp_out_format *ret)
{
	for (size_t i = 0; i < CP_ARRAY_SIZE(format_names); i++) {
		if (strcmp(name, format_names[i].name) == 0) {
			*ret = format_names[i].format;
			return NULL;
		}
	}
	return cp_error_create(CP_ERR_USAGE,
			       "unknown output format '%s' (table, json, csv)",
			       name);
}

static void out_fail(struct cp_out *out, struct cp_error *err)
{
	if (!out->err)
		out->err = err;
	else
		cp_error_destroy(err);
}

static char *csv_quote(const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ')
		return strdup(s);
	size_t n = strlen(s), quotes = 0;
	for (size_t i = 0; i < n; i++)
		quotes += s[i] == '"';
	char *q = malloc(n + quotes + 3), *p = q;
	if (!q)
		return NULL;
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	*p = '\0';
	return q;
}

static void csv_header(struct cp_out *out)
{
	for (size_t i = 0; i < out->ncols; i++) {
		_cleanup_free_ char *q = csv_quote(out->cols[i].name);
		fprintf(out->file, "%s%s", i ? "," : "", q ? q : "");
	}
	fputc('\n', out->file);
}

struct cp_error *cp_out_new(FILE *file, enum cp_out_format format,
			    const struct cp_out_col *cols, size_t ncols,
			    struct cp_out **ret)
{
	if (ncols == 0)
		return cp_error_create(CP_ERR_USAGE, "output: no columns");
	struct cp_out *out = calloc(1, sizeof(*out));
	if (!out)
		return &cp_enomem;
	out->file = file;
	out->format = format;
	out->cols = cols;
	out->ncols = ncols;
	cp_cell_vector_init(&out->cells);
	if (format == CP_OUT_CSV)
		csv_header(out);
	*ret = out;
	return NULL;
}

/* Takes ownership of text (a printable rendering) for table and CSV. */
static void put_text(struct cp_out *out, char *text)
{
	if (!text) {
		out_fail(out, &cp_enomem);
		return;
	}
	if (out->format == CP_OUT_TABLE) {
		if (!cp_cell_vector_append(&out->cells, &text)) {
			free(text);
			out_fail(out, &cp_enomem);
		}
	} else {
		_cleanup_free_ char *q = csv_quote(text);
		fprintf(out->file, "%s%s", out->col ? "," : "", q ? q : "");
		if (!q)
			out_fail(out, &cp_enomem);
		free(text);
	}
}

static void put_json(struct cp_out *out, json_t *value)
{
	if (!value) {
		out_fail(out, &cp_enomem);
		return;
	}
	if (!out->row && !(out->row = json_object())) {
		json_decref(value);
		out_fail(out, &cp_enomem);
		return;
	}
	if (json_object_set_new(out->row, out->cols[out->col].name, value))
		out_fail(out, &cp_enomem);
}

/* Checks the cell is expected; returns false (and records why) if not. */
static bool cell_begin(struct cp_out *out)
{
	if (out->col < out->ncols)
		return true;
	out_fail(out, cp_error_create(CP_ERR_USAGE,
				      "output: more than %zu cells in a row",
				      out->ncols));
	return false;
}

void cp_out_str(struct cp_out *out, const char *value)
{
	if (!cell_begin(out))
		return;
	if (!value) {
		cp_out_null(out);
		return;
	}
	size_t n = strlen(value);
	if (out->format == CP_OUT_JSON) {
		if (cp_text_is_clean(value, n, 0)) {
			put_json(out, json_stringn(value, n));
		} else {
			_cleanup_free_ char *s =
				cp_text_sanitize(value, n, CP_TEXT_ESCAPE_BACKSLASH);
			put_json(out, s ? json_string(s) : NULL);
		}
	} else if (cp_text_is_clean(value, n, CP_TEXT_ESCAPE_CONTROL)) {
		put_text(out, strdup(value));
	} else {
		put_text(out, cp_text_sanitize(value, n,
					       CP_TEXT_ESCAPE_CONTROL |
						       CP_TEXT_ESCAPE_BACKSLASH));
	}
	out->col++;
}

static char *format_text(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *format_text(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

void cp_out_int(struct cp_out *out, int64_t value)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON)
		put_json(out, json_integer(value));
	else
		put_text(out, format_text("%" PRId64, value));
	out->col++;
}

void cp_out_uint(struct cp_out *out, uint64_t value)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON) {
		/* json_int_t is signed 64-bit; larger values become strings. */
		if (value <= INT64_MAX)
			put_json(out, json_integer((json_int_t)value));
		else
			put_json(out, json_sprintf("%" PRIu64, value));
	} else {
		put_text(out, format_text("%" PRIu64, value));
	}
	out->col++;
}

void cp_out_hex(struct cp_out *out, uint64_t value)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON)
		put_json(out, json_sprintf("0x%" PRIx64, value));
	else
		put_text(out, format_text("0x%" PRIx64, value));
	out->col++;
}

void cp_out_bool(struct cp_out *out, bool value)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON)
		put_json(out, json_boolean(value));
	else
		put_text(out, strdup(value ? "true" : "false"));
	out->col++;
}

void cp_out_double(struct cp_out *out, double value)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON)
		put_json(out, json_real(value));
	else
		put_text(out, format_text("%.3f", value));
	out->col++;
}

void cp_out_null(struct cp_out *out)
{
	if (!cell_begin(out))
		return;
	if (out->format == CP_OUT_JSON)
		put_json(out, json_null());
	else
		put_text(out, strdup(out->format == CP_OUT_TABLE ? "-" : ""));
	out->col++;
}

struct cp_error *cp_out_row_end(struct cp_out *out)
{
	if (out->col != out->ncols && !out->err)
		out_fail(out, cp_error_create(CP_ERR_USAGE,
					      "output: row has %zu of %zu cells",
					      out->col, out->ncols));
	out->col = 0;
	if (out->format == CP_OUT_JSON && out->row) {
		char *line = json_dumps(out->row, JSON_COMPACT |
							  JSON_PRESERVE_ORDER);
		json_decref(out->row);
		out->row = NULL;
		if (line) {
			fputs(line, out->file);
			fputc('\n', out->file);
			free(line);
		} else {
			out_fail(out, &cp_enomem);
		}
	} else if (out->format == CP_OUT_CSV) {
		fputc('\n', out->file);
	}
	return cp_steal_ptr(&out->err);
}

static bool column_is_numeric(const struct cp_out_col *col)
{
	return col->type == CP_COL_INT || col->type == CP_COL_UINT ||
	       col->type == CP_COL_DOUBLE;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_cell(FILE *f, const char *s, size_t width, bool right,
		       bool last)
{
	size_t pad = width - text_width(s);
	if (right)
		fprintf(f, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, (int)pad, "");
}

void cp_out_set_vertical(struct cp_out *out)
{
	out->vertical = true;
}

static struct cp_error *print_table(struct cp_out *out)
{
	size_t n = out->ncols, rows = out->cells.size / n;
	_cleanup_free_ size_t *width = calloc(n, sizeof(*width));
	_cleanup_free_ char **titles = calloc(n, sizeof(*titles));
	if (!width || !titles)
		return &cp_enomem;
	struct cp_error *err = NULL;
	for (size_t c = 0; c < n; c++) {
		const char *t = out->cols[c].title;
		titles[c] = t ? strdup(t) : strdup(out->cols[c].name);
		if (!titles[c]) {
			err = &cp_enomem;
			goto out;
		}
		if (!t)
			for (char *p = titles[c]; *p; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		width[c] = text_width(titles[c]);
	}
	if (out->vertical) {
		size_t tw = 0;
		for (size_t c = 0; c < n; c++)
			if (width[c] > tw)
				tw = width[c];
		for (size_t r = 0; r < rows; r++) {
			if (r)
				fputc('\n', out->file);
			for (size_t c = 0; c < n; c++) {
				print_cell(out->file, titles[c], tw, false,
					   false);
				fprintf(out->file, "  %s\n",
					out->cells.data[r * n + c]);
			}
		}
		goto out;
	}
	for (size_t i = 0; i < out->cells.size; i++) {
		size_t w = text_width(out->cells.data[i]);
		if (w > width[i % n])
			width[i % n] = w;
	}
	for (size_t c = 0; c < n; c++) {
		print_cell(out->file, titles[c], width[c],
			   column_is_numeric(&out->cols[c]), c == n - 1);
		fputs(c == n - 1 ? "\n" : "  ", out->file);
	}
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < n; c++) {
			print_cell(out->file, out->cells.data[r * n + c],
				   width[c], column_is_numeric(&out->cols[c]),
				   c == n - 1);
			fputs(c == n - 1 ? "\n" : "  ", out->file);
		}
	}
out:
	for (size_t c = 0; c < n; c++)
		free(titles[c]);
	return err;
}

struct cp_error *cp_out_finish(struct cp_out *out)
{
	struct cp_error *err = cp_steal_ptr(&out->err);
	if (!err && out->col != 0)
		err = cp_error_create(CP_ERR_USAGE,
				      "output: last row is incomplete");
	if (!err && out->format == CP_OUT_TABLE)
		err = print_table(out);
	if (!err && fflush(out->file) != 0)
		err = cp_error_os(errno, "output: write failed");
	cp_out_destroy(out);
	return err;
}

void cp_out_destroy(struct cp_out *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->cells.size; i++)
		free(out->cells.data[i]);
	cp_cell_vector_deinit(&out->cells);
	json_decref(out->row);
	cp_error_destroy(out->err);
	free(out);
}
