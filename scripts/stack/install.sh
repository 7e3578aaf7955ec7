#!/usr/bin/env bash
# install.sh [core|full] — build the pinned Sigstore servers with `go install`
# into $REPO/.cache/stack/bin (git-ignored). Idempotent: a component whose
# binaries exist and whose stamp line matches the pinned version is skipped.
#
#   core: fulcio, rekor-server-posix (Rekor v2), timestamp-server, tesseract-posix (CT log)
#   full: core + rekor-server (Rekor v1), trillian_log_server, trillian_log_signer,
#         createtree, ct_server (a Trillian CT log), and MariaDB (Debian package mariadb-server)
#
# Stamp file: .cache/stack/bin/versions.stamp, one "name version" line each.
# Build times go to .cache/stack/bin/build-times.log.
set -euo pipefail

MODE="${1:-core}"
case "$MODE" in core|full) ;; *) echo "usage: $0 [core|full]" >&2; exit 2;; esac

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$REPO/.cache/stack/bin"
STAMP="$BIN/versions.stamp"
TIMES="$BIN/build-times.log"
mkdir -p "$BIN"
touch "$STAMP"

export GOTOOLCHAIN=local
export CGO_ENABLED="${CGO_ENABLED:-0}"
# go install pkg@version ignores the current module (and never edits go.mod).

FULCIO_VERSION=v1.8.8
REKOR_TILES_VERSION=v2.3.0
TSA_VERSION=v2.1.3
REKOR_VERSION=v1.5.4
TRILLIAN_VERSION=v1.7.3
CTGO_VERSION=v1.4.0
TESSERACT_VERSION=v0.1.1

log() { printf 'install: %s\n' "$*" >&2; }

stamped() { # name version
	grep -qxF "$1 $2" "$STAMP"
}

stamp() { # name version
	local tmp
	tmp="$(mktemp "$STAMP.XXXXXX")"
	grep -v "^$1 " "$STAMP" >"$tmp" || true
	echo "$1 $2" >>"$tmp"
	sort -o "$tmp" "$tmp"
	chmod 0644 "$tmp"
	mv "$tmp" "$STAMP"
}

# build NAME VERSION "pkg@ver pkg@ver ..." "bin[:rename] bin[:rename] ..."
# Each package is installed into a private GOBIN, then its binary is moved
# into $BIN (renamed when the install name is ambiguous, e.g. "posix").
build() {
	local name="$1" version="$2" pkgs="$3" bins="$4"
	local ok=1 b dst
	for b in $bins; do
		dst="${b#*:}"
		[ -x "$BIN/$dst" ] || ok=0
	done
	if [ "$ok" = 1 ] && stamped "$name" "$version"; then
		log "$name $version: up to date"
		return 0
	fi
	log "$name $version: building (go install $pkgs)"
	local tmpbin start end
	tmpbin="$(mktemp -d "$BIN/.tmp-$name.XXXXXX")"
	start=$(date +%s)
	# shellcheck disable=SC2086
	if ! (cd "$tmpbin" && GOBIN="$tmpbin" go install $pkgs); then
		rm -rf "$tmpbin"
		log "$name $version: go install failed"
		return 1
	fi
	end=$(date +%s)
	for b in $bins; do
		mv -f "$tmpbin/${b%%:*}" "$BIN/${b#*:}"
	done
	rm -rf "$tmpbin"
	stamp "$name" "$version"
	echo "$(date -u +%FT%TZ) $name $version $((end - start))s" >>"$TIMES"
	log "$name $version: built in $((end - start))s"
}

build fulcio "$FULCIO_VERSION" \
	"github.com/sigstore/fulcio@$FULCIO_VERSION" \
	"fulcio"
build rekor-tiles "$REKOR_TILES_VERSION" \
	"github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@$REKOR_TILES_VERSION" \
	"posix:rekor-server-posix"
build timestamp-authority "$TSA_VERSION" \
	"github.com/sigstore/timestamp-authority/v2/cmd/timestamp-server@$TSA_VERSION" \
	"timestamp-server"
build tesseract "$TESSERACT_VERSION" \
	"github.com/transparency-dev/tesseract/cmd/tesseract/posix@$TESSERACT_VERSION" \
	"posix:tesseract-posix"

if [ "$MODE" = full ]; then
	build trillian "$TRILLIAN_VERSION" \
		"github.com/google/trillian/cmd/trillian_log_server@$TRILLIAN_VERSION github.com/google/trillian/cmd/trillian_log_signer@$TRILLIAN_VERSION github.com/google/trillian/cmd/createtree@$TRILLIAN_VERSION" \
		"trillian_log_server trillian_log_signer createtree"
	build rekor "$REKOR_VERSION" \
		"github.com/sigstore/rekor/cmd/rekor-server@$REKOR_VERSION" \
		"rekor-server"
	build ct_server "$CTGO_VERSION" \
		"github.com/google/certificate-transparency-go/trillian/ctfe/ct_server@$CTGO_VERSION" \
		"ct_server"

	# Trillian's MySQL schema, copied out of the module cache for up.sh.
	if [ ! -s "$BIN/trillian-storage.sql" ] || ! stamped trillian-schema "$TRILLIAN_VERSION"; then
		schema="$(GOFLAGS='' go env GOMODCACHE)/github.com/google/trillian@$TRILLIAN_VERSION/storage/mysql/schema/storage.sql"
		if [ ! -f "$schema" ]; then
			(cd "$BIN" && GOFLAGS='' go mod download -json "github.com/google/trillian@$TRILLIAN_VERSION" >/dev/null)
		fi
		install -m 0644 "$schema" "$BIN/trillian-storage.sql"
		stamp trillian-schema "$TRILLIAN_VERSION"
	fi

	if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
		log "mariadb: installing Debian package mariadb-server"
		start=$(date +%s)
		SUDO=""
		[ "$(id -u)" = 0 ] || SUDO="sudo"
		# Do not let the package's maintainer scripts start a system-wide
		# server: up.sh runs its own instance with a private datadir.
		policy=/usr/sbin/policy-rc.d
		created_policy=0
		if [ ! -e "$policy" ]; then
			printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
			$SUDO chmod 0755 "$policy"
			created_policy=1
		fi
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
		[ "$created_policy" = 1 ] && $SUDO rm -f "$policy"
		end=$(date +%s)
		echo "$(date -u +%FT%TZ) mariadb apt $((end - start))s" >>"$TIMES"
		log "mariadb: installed in $((end - start))s"
	else
		log "mariadb: present"
	fi
	stamp mariadb "$( (mariadbd --version 2>/dev/null || /usr/sbin/mariadbd --version) | awk '{print $3}')"
fi

log "done ($MODE); binaries in $BIN"
cat "$STAMP" >&2
