# sretools — build, test, install.  See README.md and ../shared/DESIGN.md.
#
#   make                 build src/lib/libsretools.a and every command into bin/
#   make check           deps, build, every test (plain, valgrind, ASan+UBSan), lint
#   make SAN=1 ...       ASan+UBSan build (objects and binaries under build/san)
#   make DEVELOPER=1     add -Werror and stricter warnings
#   make install         PREFIX=/usr/local DESTDIR=

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR_I   := $(PREFIX)/bin
MANDIR_I   := $(PREFIX)/share/man
SHAREDIR_I := $(PREFIX)/share

CC         ?= cc
PKGS       := libcurl libarchive libpcre2-8 libssl libcrypto yajl zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Debian 12's libjq-dev ships no libjq.pc.
JQ_LIBS    := $(shell pkg-config --libs libjq 2>/dev/null || echo -ljq)
LIBS       := $(PKG_LIBS) $(JQ_LIBS) -lm -pthread

WARN       := -Wall -Wextra
ifeq ($(DEVELOPER),1)
WARN       += -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
              -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings -Wno-unused-parameter \
              -Wno-format-truncation
endif

ifeq ($(SAN),1)
BUILDDIR   ?= build/san
OPT        := -O1 -g -fno-omit-frame-pointer
SANFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILDDIR   ?= build
OPT        := -O2 -g
SANFLAGS   :=
endif
ifeq ($(BUILDDIR),build)
BINDIR     ?= bin
else
BINDIR     ?= $(BUILDDIR)/bin
endif

CPPFLAGS   += -D_GNU_SOURCE -DSRETOOLS_VERSION='"$(VERSION)"' \
              -DSRETOOLS_DATADIR='"$(SHAREDIR_I)/sretools"' -Isrc/lib
CFLAGS     ?= $(OPT)
CFLAGS     += -std=c11 -pthread $(WARN) $(SANFLAGS) -MMD -MP $(PKG_CFLAGS)
LDFLAGS    += $(SANFLAGS)

LIB_SRC    := $(wildcard src/lib/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILDDIR)/%.o)
LIB_A      := $(BUILDDIR)/libsretools.a
CMDS       := $(notdir $(patsubst %/,%,$(filter-out src/lib/,$(wildcard src/*/))))
CMD_BINS   := $(CMDS:%=$(BINDIR)/%)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILDDIR)/unit/%)
THELP_SRC  := $(wildcard tests/helpers/*.c)
THELP_BINS := $(THELP_SRC:tests/helpers/%.c=$(BUILDDIR)/testbin/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all lib tests-build unit check deps install uninstall clean fuzz fuzz-build demo

all: $(LIB_A) $(CMD_BINS)
	@mkdir -p bin

lib: $(LIB_A)

# src/lib/libsretools.a is the name in the docs; the real archive lives in BUILDDIR
# so that plain and sanitizer builds never mix objects.
$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
ifeq ($(BUILDDIR),build)
	ln -sf ../../$@ src/lib/libsretools.a
endif

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# A command's objects; its unit tests (tests/unit/test_<cmd>_*.c, with '-' in the name
# as '_') and test helpers (tests/helpers/<cmd>-*.c) link with all of them but main.o.
define cmd_rule
$(1)_OBJ := $(patsubst %.c,$(BUILDDIR)/%.o,$(wildcard src/$(1)/*.c))
$(BINDIR)/$(1): $$($(1)_OBJ) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
$(BUILDDIR)/unit/test_$(subst -,_,$(1))_%: $(BUILDDIR)/tests/unit/test_$(subst -,_,$(1))_%.o $$(filter-out %/main.o,$$($(1)_OBJ)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS) -lcmocka
$(BUILDDIR)/testbin/$(1)-%: $(BUILDDIR)/tests/helpers/$(1)-%.o $$(filter-out %/main.o,$$($(1)_OBJ)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach c,$(CMDS),$(eval $(call cmd_rule,$(c))))

$(BUILDDIR)/unit/%: $(BUILDDIR)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILDDIR)/testbin/%: $(BUILDDIR)/tests/helpers/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

tests-build: all $(UNIT_BINS) $(THELP_BINS)

unit: tests-build
	@tests/run unit

# libFuzzer targets: clang, the library's sources compiled in with the fuzzer.
FUZZDIR    := build/fuzz
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZDIR)/%)
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -D_GNU_SOURCE -DSRETOOLS_VERSION='"$(VERSION)"' -Isrc/lib $(PKG_CFLAGS)
$(FUZZDIR)/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard src/lib/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

fuzz-build: $(FUZZ_BINS)

# Run each target for FUZZ_SECONDS (default 60) growing a scratch corpus.
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p build/fuzz-corpus/$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz-corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

deps:
	@tools/deps

# Everything the README promises: plain build and tests, lint, fuzz corpus replay,
# valgrind on the unit tests, then unit and bats again under ASan+UBSan.
check: deps
	$(MAKE) --no-print-directory tests-build
	$(MAKE) --no-print-directory SAN=1 tests-build
	$(MAKE) --no-print-directory fuzz-build
	tests/run all

# probe --every 1s --count 10 against the fixture service: a healthy and a flaky endpoint
demo: all
	@PROBE=$(BINDIR)/probe tools/demo

install: all
	install -d $(DESTDIR)$(BINDIR_I) $(DESTDIR)$(MANDIR_I)/man1 $(DESTDIR)$(MANDIR_I)/man7 \
	  $(DESTDIR)$(SHAREDIR_I)/sretools \
	  $(DESTDIR)$(SHAREDIR_I)/bash-completion/completions \
	  $(DESTDIR)$(SHAREDIR_I)/zsh/site-functions \
	  $(DESTDIR)$(SHAREDIR_I)/fish/vendor_completions.d
	$(if $(CMD_BINS),install -m 0755 $(CMD_BINS) $(DESTDIR)$(BINDIR_I))
	$(if $(wildcard man/man1/*.1),install -m 0644 man/man1/*.1 $(DESTDIR)$(MANDIR_I)/man1)
	install -m 0644 man/man7/*.7 $(DESTDIR)$(MANDIR_I)/man7
	cp -R share/sretools/. $(DESTDIR)$(SHAREDIR_I)/sretools/
	$(if $(wildcard completions/bash/*),install -m 0644 completions/bash/* $(DESTDIR)$(SHAREDIR_I)/bash-completion/completions)
	$(if $(wildcard completions/zsh/*),install -m 0644 completions/zsh/* $(DESTDIR)$(SHAREDIR_I)/zsh/site-functions)
	$(if $(wildcard completions/fish/*),install -m 0644 completions/fish/* $(DESTDIR)$(SHAREDIR_I)/fish/vendor_completions.d)

uninstall:
	$(foreach c,$(CMDS),rm -f $(DESTDIR)$(BINDIR_I)/$(c);)
	$(foreach f,$(notdir $(wildcard man/man1/*.1)),rm -f $(DESTDIR)$(MANDIR_I)/man1/$(f);)
	$(foreach f,$(notdir $(wildcard man/man7/*.7)),rm -f $(DESTDIR)$(MANDIR_I)/man7/$(f);)
	rm -rf $(DESTDIR)$(SHAREDIR_I)/sretools
	$(foreach f,$(notdir $(wildcard completions/bash/*)),rm -f $(DESTDIR)$(SHAREDIR_I)/bash-completion/completions/$(f);)
	$(foreach f,$(notdir $(wildcard completions/zsh/*)),rm -f $(DESTDIR)$(SHAREDIR_I)/zsh/site-functions/$(f);)
	$(foreach f,$(notdir $(wildcard completions/fish/*)),rm -f $(DESTDIR)$(SHAREDIR_I)/fish/vendor_completions.d/$(f);)

clean:
	rm -rf build bin src/lib/libsretools.a

-include $(shell find $(BUILDDIR) -name '*.d' 2>/dev/null)
