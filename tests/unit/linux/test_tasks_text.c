/*
 * test_tasks_text.c - the pure parts of the process views: ps state
 * letters, argv escaping (the lab truth's labps format), environ
 * splitting, /proc/PID/cmdline's setproctitle rule, and the backwards path
 * buffer. Guest walks themselves are tested against lab guests in
 * tests/e2e/test_views_tasks.py.
 */
#include "unit.h"

#include "linux/path.h"
#include "linux/tasks.h"

static void test_state_letters(void **state)
{
	(void)state;
	assert_int_equal(cp_task_state_letter(0x0, 0), 'R');
	assert_int_equal(cp_task_state_letter(0x1, 0), 'S');
	assert_int_equal(cp_task_state_letter(0x2, 0), 'D');
	/* TASK_IDLE = UNINTERRUPTIBLE | NOLOAD reads as I, not D. */
	assert_int_equal(cp_task_state_letter(0x402, 0), 'I');
	/* TASK_STOPPED = WAKEKILL | __TASK_STOPPED. */
	assert_int_equal(cp_task_state_letter(0x104, 0), 'T');
	assert_int_equal(cp_task_state_letter(0x8, 0), 't');
	assert_int_equal(cp_task_state_letter(0x80, 0x20), 'Z');	/* zombie */
	assert_int_equal(cp_task_state_letter(0x80, 0x10), 'X');
	assert_int_equal(cp_task_state_letter(0x40, 0), 'P');
	/* Frozen and RT-lock waits are reported as D. */
	assert_int_equal(cp_task_state_letter(0x8000, 0), 'D');
	assert_int_equal(cp_task_state_letter(0x1000, 0), 'D');
	/* Only TASK_REPORT bits count: WAKEKILL alone is running. */
	assert_int_equal(cp_task_state_letter(0x100, 0), 'R');
}

static void test_argv_escape(void **state)
{
	(void)state;
	static const char argv[] = "labthreads\0" "4\0"
				   "--label=hello world\0" "--tab=a\tb";
	_cleanup_free_ char *a = cp_argv_escape(argv, sizeof(argv));
	assert_string_equal(a, "labthreads 4 --label=hello\\x20world "
			       "--tab=a\\tb");
	static const char odd[] = "x\\y\0new\nline\0bad\xff\x01\0";
	_cleanup_free_ char *b = cp_argv_escape(odd, sizeof(odd) - 1);
	assert_string_equal(b, "x\\\\y new\\nline bad\\xff\\x01");
	/* An empty last argument survives as a trailing space, as in the
	 * truth ("init" with blanked argv). */
	static const char blank[] = "init\0\0\0";
	_cleanup_free_ char *c = cp_argv_escape(blank, sizeof(blank) - 1);
	assert_string_equal(c, "init  ");
	_cleanup_free_ char *d = cp_argv_escape("", 0);
	assert_string_equal(d, "");
}

static void test_argv_unescape_round_trip(void **state)
{
	(void)state;
	const char in[] = "a b\\\t\n\x7f\xff\x01z";
	_cleanup_free_ char *e = cp_argv_escape(in, sizeof(in) - 1);
	assert_null(strchr(e, ' '));	/* one argument: no separator */
	char out[64];
	size_t n = cp_argv_unescape(e, strlen(e), out);
	assert_int_equal(n, sizeof(in) - 1);
	assert_memory_equal(out, in, n);
}

static void test_env_iter(void **state)
{
	(void)state;
	static const char env[] = "A=1\0\0B=x=y\0NOEQ\0C=\0D=last";
	struct cp_env_iter it = { .data = env, .len = sizeof(env) - 1 };
	const char *k, *v;
	size_t kl, vl;
	bool eq;
	const char *want[][2] = { { "A", "1" }, { "B", "x=y" },
				  { "NOEQ", NULL }, { "C", "" },
				  { "D", "last" } };
	for (size_t i = 0; i < 5; i++) {
		assert_true(cp_env_next(&it, &k, &kl, &v, &vl, &eq));
		assert_int_equal(kl, strlen(want[i][0]));
		assert_memory_equal(k, want[i][0], kl);
		assert_int_equal(eq, want[i][1] != NULL);
		if (want[i][1]) {
			assert_int_equal(vl, strlen(want[i][1]));
			assert_memory_equal(v, want[i][1], vl);
		}
	}
	assert_false(cp_env_next(&it, &k, &kl, &v, &vl, &eq));
	struct cp_env_iter empty = { .data = "\0\0", .len = 2 };
	assert_false(cp_env_next(&empty, &k, &kl, &v, &vl, &eq));
}

static void test_cmdline_length(void **state)
{
	(void)state;
	/* Normal: argv ends in NUL, the environment is ignored. */
	static const char a[] = "ls\0-l\0" "HOME=/\0";
	assert_int_equal(cp_cmdline_length(a, 6, sizeof(a) - 1), 6);
	/* setproctitle: argv's NUL overwritten, the title runs into the
	 * environment up to (and including) the first NUL. */
	static const char b[] = "my title is long" "er than argv\0rest";
	assert_int_equal(cp_cmdline_length(b, 8, sizeof(b) - 1),
			 strlen("my title is longer than argv") + 1);
	/* No NUL at all: everything up to the one-page limit. */
	char big[8192];
	memset(big, 'x', sizeof(big));
	assert_int_equal(cp_cmdline_length(big, 100, sizeof(big)), 4096);
	assert_int_equal(cp_cmdline_length(big, 100, 200), 200);
	assert_int_equal(cp_cmdline_length(big, 0, 200), 0);
	assert_int_equal(cp_cmdline_length(big, 300, 200), 200);
}

static void test_prepend(void **state)
{
	(void)state;
	char buf[12];
	memset(buf, '#', sizeof(buf));
	struct cp_prepend b;
	cp_prepend_init(&b, buf, 8);
	assert_true(cp_prepend(&b, "name", 4));
	assert_true(cp_prepend(&b, "/", 1));
	assert_string_equal(cp_prepend_text(&b), "/name");
	assert_int_equal(cp_prepend_len(&b), 5);
	assert_true(cp_prepend(&b, "ab", 2));	/* exactly full: 7 + NUL */
	assert_false(cp_prepend(&b, "c", 1));
	assert_true(b.overflow);
	assert_false(cp_prepend(&b, "", 0));	/* sticky */
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], '#');	/* nothing past size */
	cp_prepend_init(&b, buf, 0);
	assert_true(b.overflow);
	assert_string_equal(cp_prepend_text(&b), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_letters),
		cmocka_unit_test(test_argv_escape),
		cmocka_unit_test(test_argv_unescape_round_trip),
		cmocka_unit_test(test_env_iter),
		cmocka_unit_test(test_cmdline_length),
		cmocka_unit_test(test_prepend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
