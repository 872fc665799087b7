# cloudprobe - one plain Makefile, pkg-config for libraries.
#
#   make            build/cloudprobe and build/libcloudprobe.a
#   make demo       install what is missing, boot lab guests, read them
#   make check      unit tests, the sanitizer run, fuzz smoke, lab and e2e
#   make asan       unit tests under ASan + UBSan
#   make fuzz       longer fuzzing of every guest-data parser
#   make bench      benchmarks (figures with units and physical limits)
#
# Missing Debian packages are installed by scripts/ensure-deps (as root) or
# named with the command to install them (otherwise).

CC      ?= cc
BUILD   ?= build
PKGS    := libbpf jansson sqlite3 zlib
TEST_PKGS := cmocka

# `make V=1` shows whole command lines.
Q := $(if $(V),,@)

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wvla \
           -Wmissing-prototypes -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
CPPFLAGS_ALL := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Isrc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

LIB_SRCS  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRCS  := $(sort $(wildcard src/cli/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HDRS      := $(wildcard include/*.h src/*/*.h)

# Two flavours of the same sources: normal, and ASan+UBSan for tests.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

define objs
$(patsubst %.c,$(1)/obj/%.o,$(2))
endef

LIB_OBJS  := $(call objs,$(BUILD),$(LIB_SRCS))
CLI_OBJS  := $(call objs,$(BUILD),$(CLI_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
ASAN_LIB_OBJS := $(call objs,$(BUILD)/asan,$(LIB_SRCS))
ASAN_CLI_OBJS := $(call objs,$(BUILD)/asan,$(CLI_SRCS))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/unit/%,$(UNIT_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps lab-deps unit asan check demo bench fuzz fuzz-smoke \
        lab-test e2e clean
.DELETE_ON_ERROR:

all: deps $(BUILD)/cloudprobe $(BUILD)/libcloudprobe.a

deps:
	@scripts/ensure-deps scripts/DEPS

lab-deps:
	@scripts/ensure-deps tests/lab/DEPS

$(BUILD)/obj/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARN) -O1 -g $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libcloudprobe.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/asan/libcloudprobe.a: $(ASAN_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/cloudprobe: $(CLI_OBJS) $(BUILD)/libcloudprobe.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libcloudprobe.a $(PKG_LIBS)

$(BUILD)/asan/cloudprobe: $(ASAN_CLI_OBJS) $(BUILD)/asan/libcloudprobe.a
	@$(if $(Q),echo "  LD-SAN  $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(ASAN_CLI_OBJS) $(BUILD)/asan/libcloudprobe.a $(PKG_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libcloudprobe.a $(HDRS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD-TEST $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(TEST_CFLAGS) $(WARN) $(CFLAGS) -Itests/unit \
	  -o $@ $< $(BUILD)/libcloudprobe.a $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/asan/tests/unit/%: tests/unit/%.c $(BUILD)/asan/libcloudprobe.a $(HDRS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD-TEST $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(TEST_CFLAGS) $(WARN) -O1 -g $(SAN_FLAGS) -Itests/unit \
	  -o $@ $< $(BUILD)/asan/libcloudprobe.a $(PKG_LIBS) $(TEST_LIBS)

# Fuzz targets: libFuzzer needs clang; the library is built once more with
# coverage instrumentation and sanitizers, and each target links it.
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(call objs,$(BUILD)/fuzz,$(LIB_SRCS))

$(BUILD)/fuzz/obj/%.o: %.c $(HDRS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)clang $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/libcloudprobe.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libcloudprobe.a $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD-FUZZ $@")
	$(Q)clang $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
	  -o $@ $< $(BUILD)/fuzz/libcloudprobe.a $(PKG_LIBS)

unit: all $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

asan: deps $(ASAN_UNIT_BINS) $(BUILD)/asan/cloudprobe
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 tests/run-unit $(ASAN_UNIT_BINS)

fuzz-smoke: deps $(FUZZ_BINS)
	@tests/fuzz/run smoke $(FUZZ_BINS)

fuzz: deps $(FUZZ_BINS)
	@tests/fuzz/run long $(FUZZ_BINS)

lab-test: all lab-deps
	@tests/lab/selftest

e2e: all lab-deps $(BUILD)/asan/cloudprobe
	@tests/e2e/run

check: unit asan fuzz-smoke lab-test e2e
	@echo "make check: all suites passed"

demo: all lab-deps
	@scripts/demo

BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

$(BUILD)/bench/%: bench/%.c $(BUILD)/libcloudprobe.a $(HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -o $@ $< \
	  $(BUILD)/libcloudprobe.a $(PKG_LIBS)

bench: all lab-deps $(BENCH_BINS)
	@bench/run

clean:
	rm -rf $(BUILD)
