#!/usr/bin/env bash
# Obtain a Pulumi CLI matching the @pulumi/pulumi version this project pins,
# without downloading prebuilt binaries (only the Go module proxy is needed).
#
# Usage:
#   scripts/pulumi-cli.sh [--sdk DIR] [--rebuild]
#   PATH="$(scripts/pulumi-cli.sh | tail -1):$PATH"
#
# Options:
#   --sdk DIR   the project's node_modules/@pulumi/pulumi (default: found
#               relative to the repository root, or $PULUMI_NODEJS_SDK)
#   --rebuild   rebuild the cached binaries even if they look fine
#
# Environment:
#   PULUMI_CLI_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-hpcs-masterkey);
#                     binaries go to $PULUMI_CLI_CACHE/pulumi-v<version>/bin
#   PULUMI_NODEJS_SDK same as --sdk
#
# The bin directory gets:
#   pulumi                         built from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   pulumi-language-nodejs         built from scripts/pulumi-cli/langhost (our own minimal
#                                  language host; the upstream one is a separate Go module
#                                  that the module proxy here does not serve)
#   pulumi-resource-pulumi-nodejs  copied from the @pulumi/pulumi npm package (dynamic providers)
#
# If a `pulumi` of the right version is already on PATH it is used instead of
# building one. Progress goes to stderr; the bin directory is printed as the
# last line of stdout.
set -euo pipefail

PULUMI_VERSION=3.248.0

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
src_dir="$script_dir/pulumi-cli"

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { printf 'pulumi-cli: error: %s\n' "$*" >&2; exit 1; }

sdk_dir=${PULUMI_NODEJS_SDK:-}
rebuild=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sdk) [ $# -ge 2 ] || die "--sdk needs a directory"; sdk_dir=$2; shift 2 ;;
    --sdk=*) sdk_dir=${1#--sdk=}; shift ;;
    --rebuild) rebuild=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

cache_root=${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-hpcs-masterkey}
version_dir="$cache_root/pulumi-v$PULUMI_VERSION"
bin_dir="$version_dir/bin"

# Prints the version reported by the given pulumi binary (e.g. v3.248.0), or
# nothing if it cannot run.
pulumi_version_of() {
  PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tr -d '[:space:]' || true
}

# Fingerprint of our own sources that go into the language host build, so a
# change to them triggers a rebuild of that binary.
langhost_stamp() {
  {
    echo "$PULUMI_VERSION"
    cat "$src_dir/go.mod.tmpl" "$src_dir/langhost/main.go"
  } | sha256sum | cut -d' ' -f1
}

# --- locate the npm SDK (for pulumi-resource-pulumi-nodejs) -----------------
find_sdk() {
  if [ -n "$sdk_dir" ]; then
    [ -d "$sdk_dir" ] || die "--sdk/PULUMI_NODEJS_SDK directory does not exist: $sdk_dir"
    [ -f "$sdk_dir/pulumi-resource-pulumi-nodejs" ] \
      || die "$sdk_dir has no pulumi-resource-pulumi-nodejs (is it node_modules/@pulumi/pulumi?)"
    (cd "$sdk_dir" && pwd)
    return
  fi
  if [ -f "$repo_root/node_modules/@pulumi/pulumi/package.json" ]; then
    echo "$repo_root/node_modules/@pulumi/pulumi"
  fi
}

# Set by main() before any build, so a bad --sdk fails fast.
sdk=""

install_resource_launcher() {
  local launcher sdk_version
  if [ -z "$sdk" ]; then
    if [ -x "$bin_dir/pulumi-resource-pulumi-nodejs" ]; then
      log "note: node_modules/@pulumi/pulumi not found; keeping existing pulumi-resource-pulumi-nodejs"
      return
    fi
    die "cannot find node_modules/@pulumi/pulumi under $repo_root (run 'npm install' first, or pass --sdk DIR) - it provides pulumi-resource-pulumi-nodejs"
  fi
  launcher="$sdk/pulumi-resource-pulumi-nodejs"
  [ -f "$launcher" ] || die "$launcher not found (is $sdk really @pulumi/pulumi?)"
  sdk_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$sdk/package.json" | head -1)
  if [ "$sdk_version" != "$PULUMI_VERSION" ]; then
    log "warning: $sdk is @pulumi/pulumi $sdk_version, expected $PULUMI_VERSION"
  fi
  if ! cmp -s "$launcher" "$bin_dir/pulumi-resource-pulumi-nodejs" 2>/dev/null; then
    cp "$launcher" "$bin_dir/pulumi-resource-pulumi-nodejs.tmp.$$"
    chmod 0755 "$bin_dir/pulumi-resource-pulumi-nodejs.tmp.$$"
    mv -f "$bin_dir/pulumi-resource-pulumi-nodejs.tmp.$$" "$bin_dir/pulumi-resource-pulumi-nodejs"
    log "installed pulumi-resource-pulumi-nodejs from $sdk"
  fi
}

# --- build ---------------------------------------------------------------------
work_dir=""
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() { if [ -n "$work_dir" ]; then rm -rf "$work_dir"; fi; }
trap cleanup EXIT

prepare_wrapper_module() {
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH; a Go toolchain (>= 1.25) is needed to build the Pulumi CLI"
  local f
  for f in go.mod.tmpl tools.go langhost/main.go; do
    [ -f "$src_dir/$f" ] || die "missing wrapper module source $src_dir/$f"
  done
  # Keep a surrounding go.work or a user's GOFLAGS (e.g. -mod=vendor) out of it.
  export GOWORK=off GOFLAGS=-mod=mod
  work_dir=$(mktemp -d "$version_dir/build.XXXXXX")
  sed "s/@PULUMI_VERSION@/v$PULUMI_VERSION/g" "$src_dir/go.mod.tmpl" > "$work_dir/go.mod"
  cp "$src_dir/tools.go" "$work_dir/tools.go"
  mkdir -p "$work_dir/langhost"
  cp "$src_dir/langhost/main.go" "$work_dir/langhost/main.go"
  log "resolving Go modules for pulumi v$PULUMI_VERSION (first run downloads ~1 GB from the Go module proxy)..."
  (cd "$work_dir" && go mod tidy >&2) || die "'go mod tidy' failed in the wrapper module (is the Go module proxy reachable?)"
  local got
  for m in github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3; do
    got=$(cd "$work_dir" && go list -m -f '{{.Version}}' "$m")
    [ "$got" = "v$PULUMI_VERSION" ] || die "wrapper module resolved $m to $got, expected v$PULUMI_VERSION"
  done
}

build_pulumi() {
  log "building pulumi v$PULUMI_VERSION (takes a while on first run; Go build cache is reused later)..."
  local start=$SECONDS
  (cd "$work_dir" && go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$work_dir/out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2) \
    || die "building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi failed"
  local v
  v=$(pulumi_version_of "$work_dir/out/pulumi")
  [ "$v" = "v$PULUMI_VERSION" ] || die "built pulumi reports version '$v', expected v$PULUMI_VERSION"
  mv -f "$work_dir/out/pulumi" "$bin_dir/pulumi"
  log "built pulumi in $((SECONDS - start))s"
}

build_langhost() {
  log "building pulumi-language-nodejs (scripts/pulumi-cli/langhost)..."
  local start=$SECONDS
  (cd "$work_dir" && go build -trimpath \
      -ldflags "-w -s -X main.version=$PULUMI_VERSION" \
      -o "$work_dir/out/pulumi-language-nodejs" ./langhost >&2) \
    || die "building the language host failed"
  mv -f "$work_dir/out/pulumi-language-nodejs" "$bin_dir/pulumi-language-nodejs"
  langhost_stamp > "$bin_dir/.pulumi-language-nodejs.stamp"
  log "built pulumi-language-nodejs in $((SECONDS - start))s"
}

main() {
  mkdir -p "$bin_dir"

  sdk=$(find_sdk) || exit 1
  if [ -z "$sdk" ] && [ ! -x "$bin_dir/pulumi-resource-pulumi-nodejs" ]; then
    die "cannot find node_modules/@pulumi/pulumi under $repo_root (run 'npm install' first, or pass --sdk DIR) - it provides pulumi-resource-pulumi-nodejs"
  fi

  # Serialise concurrent runs sharing one cache.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$version_dir/.lock"
    flock 9
  fi

  local need_pulumi=1 need_langhost=1 system_pulumi=""

  # 1. A suitable pulumi on PATH (outside our bin dir)?
  local p
  p=$(command -v pulumi 2>/dev/null || true)
  if [ -n "$p" ] && [ "$(cd "$(dirname "$p")" && pwd)" != "$bin_dir" ]; then
    if [ "$(pulumi_version_of "$p")" = "v$PULUMI_VERSION" ]; then
      system_pulumi=$p
      log "using pulumi v$PULUMI_VERSION from PATH: $p"
    else
      log "pulumi on PATH ($p) is not v$PULUMI_VERSION; using the cached/built one"
    fi
  fi

  if [ -n "$system_pulumi" ]; then
    # Use it as is, but make sure our bin dir has the rest of the kit. If the
    # system install ships its own language host, use that one too.
    need_pulumi=0
    ln -sfn "$system_pulumi" "$bin_dir/pulumi"
    local sys_lh
    sys_lh="$(dirname "$system_pulumi")/pulumi-language-nodejs"
    if [ -x "$sys_lh" ]; then
      ln -sfn "$sys_lh" "$bin_dir/pulumi-language-nodejs"
      rm -f "$bin_dir/.pulumi-language-nodejs.stamp"
      need_langhost=0
    fi
  else
    # A dangling or stale symlink from an earlier system install must go.
    if [ -L "$bin_dir/pulumi" ]; then rm -f "$bin_dir/pulumi"; fi
    if [ "$rebuild" = 0 ] && [ -x "$bin_dir/pulumi" ] \
        && [ "$(pulumi_version_of "$bin_dir/pulumi")" = "v$PULUMI_VERSION" ]; then
      need_pulumi=0
      log "reusing cached pulumi v$PULUMI_VERSION"
    fi
  fi
  if [ "$need_langhost" = 1 ]; then
    if [ -L "$bin_dir/pulumi-language-nodejs" ]; then rm -f "$bin_dir/pulumi-language-nodejs"; fi
    if [ "$rebuild" = 0 ] && [ -x "$bin_dir/pulumi-language-nodejs" ] \
        && [ "$(cat "$bin_dir/.pulumi-language-nodejs.stamp" 2>/dev/null)" = "$(langhost_stamp)" ]; then
      need_langhost=0
      log "reusing cached pulumi-language-nodejs"
    fi
  fi

  if [ "$need_pulumi" = 1 ] || [ "$need_langhost" = 1 ]; then
    prepare_wrapper_module
    mkdir -p "$work_dir/out"
    if [ "$need_pulumi" = 1 ]; then build_pulumi; fi
    if [ "$need_langhost" = 1 ]; then build_langhost; fi
  fi

  install_resource_launcher

  local v
  v=$(pulumi_version_of "$bin_dir/pulumi")
  [ "$v" = "v$PULUMI_VERSION" ] || die "$bin_dir/pulumi reports '$v', expected v$PULUMI_VERSION"
  log "ready: pulumi $v in $bin_dir"
  printf '%s\n' "$bin_dir"
}

# On one line so that bash has read it all before running (safe if the file is edited meanwhile).
main "$@"; exit $?
