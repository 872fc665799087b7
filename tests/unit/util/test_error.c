/* Unit tests for the error type: codes, context wrapping, exit statuses. */
#include <errno.h>

#include "unit.h"

static void test_create_and_wrap(void **state)
{
	(void)state;
	struct cp_error *err = cp_error_create(CP_ERR_NOT_FOUND,
					       "token table not found in %d MiB",
					       256);
	assert_int_equal(cp_error_code(err), CP_ERR_NOT_FOUND);
	err = cp_error_wrap(err, "kallsyms");
	err = cp_error_wrap(err, "profile of %s", "raw:x");
	assert_string_equal(cp_error_message(err),
			    "profile of raw:x: kallsyms: token table not found "
			    "in 256 MiB");
	assert_int_equal(cp_error_exit_status(err), 2);
	cp_error_destroy(err);
}

static void test_os_error_keeps_errno(void **state)
{
	(void)state;
	struct cp_error *err = cp_error_os(ENOENT, "open %s", "/nope");
	assert_int_equal(cp_error_code(err), CP_ERR_OS);
	assert_int_equal(cp_error_errno(err), ENOENT);
	assert_non_null(strstr(cp_error_message(err), "No such file"));
	cp_error_destroy(err);
}

static void test_static_enomem_is_never_freed(void **state)
{
	(void)state;
	struct cp_error *err = cp_error_wrap(&cp_enomem, "context");
	assert_ptr_equal(err, &cp_enomem);
	assert_string_equal(cp_error_message(err), "out of memory");
	cp_error_destroy(err); /* must not free a static object */
	assert_null(cp_error_wrap(NULL, "nothing"));
}

static void test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(cp_error_exit_status(NULL), 0);
	struct cp_error *err = cp_error_create(CP_ERR_PARTIAL, "3 tasks lost");
	assert_int_equal(cp_error_exit_status(err), 1);
	cp_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_wrap),
		cmocka_unit_test(test_os_error_keeps_errno),
		cmocka_unit_test(test_static_enomem_is_never_freed),
		cmocka_unit_test(test_exit_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
