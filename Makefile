# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wattlet build, in the libbpf-tools shape: objects in build/, quiet unless V=1.

comma      := ,
# SANITIZE=address,undefined or SANITIZE=thread: an instrumented build of the same sources, in its
# own directory so that it never mixes with the normal build's objects.
ifneq ($(SANITIZE),)
OUTPUT     ?= build/san-$(subst $(comma),-,$(SANITIZE))
SAN_FLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
# undefined behaviour stops the program, as ASan and TSan errors do
SAN_FLAGS  += $(if $(findstring undefined,$(SANITIZE)),-fno-sanitize-recover=undefined)
endif
OUTPUT     ?= build
CLANG      ?= clang
CC         ?= gcc
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
PKG_CONFIG ?= pkg-config
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
# Cross builds: make OUTPUT=build/arm64 CROSS_COMPILE=aarch64-linux-gnu-
# (tools/install-deps.sh --cross arm64 installs the compiler and the :arm64 libraries).
# The BPF object is the same for every architecture: it uses no pt_regs.
ifneq ($(CROSS_COMPILE),)
CC         := $(CROSS_COMPILE)gcc
AR         := $(CROSS_COMPILE)ar
PKG_CONFIG_LIBDIR ?= /usr/lib/$(patsubst %-,%,$(CROSS_COMPILE))/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_LIBDIR
endif
ARCH       ?= $(shell $(CC) -dumpmachine | sed 's/-.*//; s/x86_64/x86/; s/aarch64/arm64/; s/powerpc64le/powerpc/; s/s390x/s390/')
VERSION    ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)

LIBS_PKG   := libbpf jansson libmicrohttpd zlib yaml-0.1 gnutls nettle libcrypt
# CFLAGS, LDFLAGS and LDLIBS are the packager's (make CFLAGS=... replaces them whole);
# what the build needs lives in WL_*, as libbpf-tools and the kernel keep theirs apart.
CFLAGS     ?= -g -O2
LDFLAGS    ?=
WL_CFLAGS  := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
              -std=gnu11 -D_GNU_SOURCE -DWATTLET_VERSION='"$(VERSION)"' \
              -I$(OUTPUT) -Ibpf -Iuser $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) 2>/dev/null) \
              $(SAN_FLAGS)
DEPFLAGS    = -MMD -MP
WL_LDLIBS  := $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) 2>/dev/null || echo -lbpf -ljansson -lmicrohttpd -lz -lyaml -lgnutls -lnettle -lcrypt) -lelf -lm -lpthread -ldl
CLI_LDLIBS := $(shell $(PKG_CONFIG) --libs libcurl jansson 2>/dev/null || echo -lcurl -ljansson) -lm
ALL_CFLAGS  = $(WL_CFLAGS) $(CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s%s\n' "$(1)" "$(patsubst $(abspath $(OUTPUT))/%,%,$(2))" "$(if $(3), $(3))";
MAKEFLAGS += --no-print-directory
endif

BPF_APPS   := wattlet
# The daemon: every user/*.c; its main() lives in main.c so tests can link the rest.
LIB_SRCS   := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
CLI_SRCS   := $(wildcard user/wattctl/*.c)
CLI_OBJS   := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CLI_SRCS))
SKELS      := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_APPS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
BPFT_SRCS  := $(wildcard tests/bpf/*.c)
BPFT_BINS  := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf_%,$(BPFT_SRCS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
# The tests' NVML: loaded by the agent through LD_LIBRARY_PATH like the real one.
FAKE_NVML  := $(OUTPUT)/tests/fake-nvml/libnvidia-ml.so.1
# NVIDIA's nvml.h, only to check user/nvml_abi.h against it where one is installed.
NVML_H_DIR ?= $(patsubst %/,%,$(dir $(firstword $(wildcard /usr/local/cuda/include/nvml.h \
              /usr/local/cuda/targets/*/include/nvml.h /usr/include/nvml.h))))

.PHONY: all clean test unit fuzz fuzz-build bench image version
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/wattlet $(if $(CLI_SRCS),$(OUTPUT)/wattctl)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/user/wattctl $(OUTPUT)/tests $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

# vmlinux.h comes from the running kernel's BTF: see README, "Building".
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/%.h $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
	$(Q)rm -f $(@:.o=.tmp.o)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user $(OUTPUT)/user/wattctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/libwattlet.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/wattlet: $(OUTPUT)/user/main.o $(OUTPUT)/libwattlet.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(WL_LDLIBS) $(LDLIBS) -o $@

$(OUTPUT)/wattctl: $(CLI_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(CLI_LDLIBS) $(LDLIBS) -o $@

# Unit tests (cmocka) link the daemon's library; BPF tests too.
$(OUTPUT)/tests/%: tests/unit/%.c $(OUTPUT)/libwattlet.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $(DEPFLAGS) $(LDFLAGS) $< $(OUTPUT)/libwattlet.a $(WL_LDLIBS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/test_gpu: $(FAKE_NVML)
$(OUTPUT)/tests/test_gpu: WL_CFLAGS += -DFAKE_NVML_DIR='"$(abspath $(dir $(FAKE_NVML)))"'

$(OUTPUT)/tests/test_nvml_abi: WL_CFLAGS += $(if $(NVML_H_DIR),-DHAVE_NVML_H -idirafter $(NVML_H_DIR))

$(FAKE_NVML): tests/fake_nvml/fake_nvml.c user/nvml_abi.h
	$(call msg,FAKE,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fPIC -shared -fvisibility=hidden \
		-Wl,-soname,libnvidia-ml.so.1 $< -o $@

$(OUTPUT)/tests/bpf_%: tests/bpf/%.c $(OUTPUT)/libwattlet.a | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests $(DEPFLAGS) $(LDFLAGS) $< $(OUTPUT)/libwattlet.a $(WL_LDLIBS) $(LDLIBS) -o $@

# libFuzzer targets: each parser built with its own sources, sanitized.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -Ibpf -Iuser -I$(OUTPUT) \
               $(shell $(PKG_CONFIG) --cflags jansson yaml-0.1 gnutls 2>/dev/null)
$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(SKELS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)clang $(FUZZ_CFLAGS) $< $(shell sed -n 's|^// fuzz-sources: *||p' $<) $(WL_LDLIBS) -o $@

tests-build: all $(UNIT_BINS) $(BPFT_BINS) $(FAKE_NVML)
fuzz-build: $(FUZZ_BINS)

FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	$(Q)for f in $(FUZZ_BINS); do echo "  FUZZ     $$f ($(FUZZ_SECONDS)s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 tests/fuzz/corpus/$$(basename $$f) 2>&1 | tail -1 || exit 1; done

test: tests-build fuzz-build
	$(Q)tests/run.sh

bench: all
	$(Q)tools/bench/run.sh

# The container image, as a docker-archive in $(OUTPUT) (tools/image.sh; IMAGE_ARCH=arm64 for
# the other one). Its build runs in a container from deploy/Containerfile, not from $(OUTPUT).
IMAGE_ARCH ?=
image:
	$(Q)OUTPUT=$(OUTPUT) VERSION=$(VERSION) tools/image.sh $(IMAGE_ARCH)

version:
	@echo $(VERSION)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*.d $(OUTPUT)/user/wattctl/*.d $(OUTPUT)/tests/*.d)
