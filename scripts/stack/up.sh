#!/usr/bin/env bash
# up.sh [core|full] — start a private Sigstore on 127.0.0.1 and write its trust material.
#
#   core: test OIDC issuer :8090, Fulcio :5555 (file CA), Rekor v2 :3000 (+ its storage
#         served read-only on :3003), timestamp authority :3004, and a CT log on :6962
#         (TesseraCT, POSIX storage) wired into Fulcio: certificates carry SCTs
#   full: core, with the CT log on Trillian (ct_server) instead, + MariaDB :3316, Trillian
#         (log server :8091, signer :8092), Rekor v1 :3010
#
# Needs scripts/stack/install.sh [core|full] first. Writes everything to
# .cache/stack/run/: NAME.pid ("PID EXE"), NAME.log, trust_config.json,
# trusted_root.json, signing_config.json, env.sh (source it for the URLs).
# On any failure it stops what it started and exits non-zero.
#
# With SIGNET_STACK_OWNER set, it writes that value to .cache/stack/run/owner as soon as it
# has checked that no other stack runs and begins starting this one: a caller (scripts/demo.sh)
# that stops the stack only when the file names it never stops a stack it did not start.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE="${1:-core}"
case "$MODE" in core|full) ;; *) echo "usage: $0 [core|full]" >&2; exit 2;; esac
T0=$(now_ms)

# ---------------------------------------------------------------- preflight
preflight() {
	local name pid running="" busy="" ports="$CORE_PORTS"
	if [ -d "$RUN" ]; then
		for f in "$RUN"/*.pid; do
			[ -e "$f" ] || continue
			name="$(basename "$f" .pid)"
			if pid="$(svc_pid "$name")"; then
				running="$running $name(pid $pid)"
			else
				stack_log "removing stale pid file $f"
				rm -f "$f"
			fi
		done
	fi
	[ -z "$running" ] || stack_die "a stack is already running:$running; run scripts/stack/down.sh first"

	[ "$MODE" = full ] && ports="$ports $FULL_PORTS"
	# shellcheck disable=SC2086
	busy="$(busy_ports $ports | sed 's/^/:/' | paste -sd, - | sed 's/,/, /g')"
	[ -z "$busy" ] || stack_die "ports already in use: $busy; stop whatever holds them (scripts/stack/down.sh stops a previous stack)"

	local bins="fulcio rekor-server-posix timestamp-server tesseract-posix"
	[ "$MODE" = full ] && bins="$bins rekor-server trillian_log_server trillian_log_signer createtree ct_server"
	for b in $bins; do
		[ -x "$BIN/$b" ] || stack_die "$BIN/$b missing; run scripts/stack/install.sh $MODE"
	done
	if [ "$MODE" = full ]; then
		command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] ||
			stack_die "mariadbd missing; run scripts/stack/install.sh full"
	fi
	command -v openssl >/dev/null || stack_die "openssl is required"
	command -v curl >/dev/null || stack_die "curl is required"
}

# ------------------------------------------------------- long-lived material
ensure_material() {
	mkdir -p "$CA_DIR" "$KEYS"
	chmod 700 "$CA_DIR" "$KEYS"
	# Fulcio file CA: a P-256 root, CA:TRUE, keyCertSign; unencrypted PKCS#8 key.
	if [ ! -s "$CA_DIR/root.pem" ] || [ ! -s "$CA_DIR/root-key.pem" ]; then
		stack_log "creating Fulcio root CA in $CA_DIR"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA_DIR/root-key.pem" 2>/dev/null
		openssl req -x509 -new -key "$CA_DIR/root-key.pem" -out "$CA_DIR/root.pem" -days 3650 \
			-subj "/O=$OPERATOR/CN=$OPERATOR-fulcio-root" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-addext "subjectKeyIdentifier=hash" 2>/dev/null
		chmod 600 "$CA_DIR/root-key.pem"
	fi
	# Rekor v2 checkpoint signer: Ed25519, PKCS#8.
	if [ ! -s "$KEYS/rekor2-ed25519.pem" ]; then
		stack_log "creating Rekor v2 Ed25519 key"
		openssl genpkey -algorithm ED25519 -out "$KEYS/rekor2-ed25519.pem"
		chmod 600 "$KEYS/rekor2-ed25519.pem"
	fi
	openssl pkey -in "$KEYS/rekor2-ed25519.pem" -pubout -out "$KEYS/rekor2-ed25519.pub.pem"
	# The CT log's P-256 key. ct_server refuses an unencrypted key ("empty password"):
	# legacy PEM encryption, which Go's x509.DecryptPEMBlock reads; TesseraCT takes it
	# unencrypted (ctlog-key.plain.pem, 0600 like the other keys).
	if [ ! -s "$KEYS/ctlog-key.pem" ]; then
		stack_log "creating CT log key"
		openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
			openssl ec -aes256 -passout pass:signet-local-ct -out "$KEYS/ctlog-key.pem" 2>/dev/null
		chmod 600 "$KEYS/ctlog-key.pem"
	fi
	if [ ! -s "$KEYS/ctlog-key.plain.pem" ]; then
		(umask 077 && openssl ec -in "$KEYS/ctlog-key.pem" -passin pass:signet-local-ct -out "$KEYS/ctlog-key.plain.pem" 2>/dev/null)
	fi
	openssl ec -in "$KEYS/ctlog-key.pem" -passin pass:signet-local-ct -pubout -out "$KEYS/ctlog-key.pub.pem" 2>/dev/null
}

# The project's own helpers, and signet itself (whose `trust create` writes the
# trust material), are built from this checkout at every start (the Go build
# cache makes that a second or two).
build_helpers() {
	local t
	t=$(now_ms)
	(cd "$REPO" && GOTOOLCHAIN=local go build -o "$BIN/" ./scripts/stack/oidc-issuer ./scripts/stack/fileserver ./cmd/signet)
	stack_log "helpers built in $(($(now_ms) - t)) ms"
}

# trust_create ARGS...: signet trust create with the stack's parts, fetched from
# the running services; its messages go to trust-create.log, and to stderr on
# failure.
trust_create() {
	if ! "$BIN/signet" trust create "${TRUST_ARGS[@]}" "$@" >>"$RUN/trust-create.log" 2>&1; then
		cat "$RUN/trust-create.log" >&2
		stack_die "signet trust create $* failed"
	fi
}

write_fulcio_config() {
	cat >"$RUN/fulcio-config.json" <<EOF
{
  "OIDCIssuers": {
    "$OIDC_URL": {"IssuerURL": "$OIDC_URL", "ClientID": "sigstore", "Type": "email"},
    "$OIDC_URL/uri": {"IssuerURL": "$OIDC_URL/uri", "ClientID": "sigstore", "Type": "uri", "SubjectDomain": "$OIDC_URL"}
  }
}
EOF
}

# ---------------------------------------------------------------- full mode
MYSQL_DSN_USER=trillian
MYSQL_DSN_PASS=trillian
start_mariadb() {
	local d="$RUN/mariadb" t mariadbd installdb
	mariadbd="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
	installdb="$(command -v mariadb-install-db || command -v mysql_install_db)"
	mkdir -p "$d/data"
	t=$(now_ms)
	"$installdb" --no-defaults --datadir="$d/data" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$RUN/mariadb-install.log" 2>&1 ||
		{ tail -n 20 "$RUN/mariadb-install.log" >&2; stack_die "mariadb-install-db failed"; }
	stack_log "mariadb datadir initialised in $(($(now_ms) - t)) ms"
	start_svc mariadb "$mariadbd" --no-defaults --datadir="$d/data" --socket="$d/mysqld.sock" \
		--pid-file="$d/mysqld.pid" --bind-address="$HOST" --port="$MARIADB_PORT" --user="$(id -un)" \
		--skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=64M --max-connections=200 \
		--log-error="$RUN/mariadb.err"
	local i
	for ((i = 0; i < 300; i++)); do
		mariadb_sql -e 'SELECT 1' >/dev/null 2>&1 && break
		svc_started_alive mariadb || { tail -n 20 "$RUN/mariadb.err" >&2; stack_die "mariadb exited"; }
		sleep 0.1
	done
	mariadb_sql -e 'SELECT 1' >/dev/null || stack_die "mariadb not answering on $d/mysqld.sock"
	stack_log "mariadb ready in $(($(now_ms) - t)) ms"
	mariadb_sql <<EOF
CREATE DATABASE trillian;
CREATE DATABASE rekor;
CREATE USER '$MYSQL_DSN_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_DSN_PASS';
CREATE USER '$MYSQL_DSN_USER'@'localhost' IDENTIFIED BY '$MYSQL_DSN_PASS';
GRANT ALL ON trillian.* TO '$MYSQL_DSN_USER'@'127.0.0.1';
GRANT ALL ON trillian.* TO '$MYSQL_DSN_USER'@'localhost';
GRANT ALL ON rekor.* TO '$MYSQL_DSN_USER'@'127.0.0.1';
GRANT ALL ON rekor.* TO '$MYSQL_DSN_USER'@'localhost';
EOF
	mariadb_sql trillian <"$BIN/trillian-storage.sql"
}

mariadb_sql() {
	local client
	client="$(command -v mariadb || command -v mysql)"
	"$client" --no-defaults --socket="$RUN/mariadb/mysqld.sock" -uroot "$@"
}

createtree() { # NAME -> prints the tree id
	local id
	id="$("$BIN/createtree" --admin_server="$HOST:$TRILLIAN_RPC_PORT" --tree_type=LOG \
		--display_name="$1" --max_root_duration=0s 2>>"$RUN/createtree.log")" ||
		{ tail -n 20 "$RUN/createtree.log" >&2; stack_die "createtree $1 failed"; }
	echo "$id"
}

start_full_backends() {
	start_mariadb
	local dsn="$MYSQL_DSN_USER:$MYSQL_DSN_PASS@tcp($HOST:$MARIADB_PORT)/trillian"
	start_svc trillian_log_server "$BIN/trillian_log_server" \
		--storage_system=mysql --quota_system=noop --mysql_uri="$dsn" \
		--rpc_endpoint="$HOST:$TRILLIAN_RPC_PORT" --http_endpoint="$HOST:$TRILLIAN_HTTP_PORT" \
		--logtostderr
	start_svc trillian_log_signer "$BIN/trillian_log_signer" \
		--storage_system=mysql --quota_system=noop --mysql_uri="$dsn" \
		--rpc_endpoint="$HOST:$SIGNER_RPC_PORT" --http_endpoint="$HOST:$SIGNER_HTTP_PORT" \
		--force_master --sequencer_interval=100ms --batch_size=100 --logtostderr
	wait_port trillian_log_server "$TRILLIAN_RPC_PORT"
	wait_port trillian_log_signer "$SIGNER_RPC_PORT"

	local t rekor_tree ct_tree
	t=$(now_ms)
	rekor_tree="$(createtree rekor)"
	ct_tree="$(createtree ctlog)"
	echo "$rekor_tree" >"$RUN/rekor1.treeid"
	echo "$ct_tree" >"$RUN/ctlog.treeid"
	stack_log "trees created in $(($(now_ms) - t)) ms (rekor $rekor_tree, ctlog $ct_tree)"

	cat >"$RUN/ctlog.textproto" <<EOF
config {
  log_id: $ct_tree
  prefix: "test"
  roots_pem_file: "$CA_DIR/root.pem"
  private_key: {
    [type.googleapis.com/keyspb.PEMKeyFile] {
      path: "$KEYS/ctlog-key.pem"
      password: "signet-local-ct"
    }
  }
  ext_key_usages: [ "CodeSigning" ]
}
EOF
	start_svc ctlog "$BIN/ct_server" --log_config="$RUN/ctlog.textproto" \
		--log_rpc_server="$HOST:$TRILLIAN_RPC_PORT" --http_endpoint="$HOST:$CTLOG_PORT" \
		--metrics_endpoint="$HOST:$CTLOG_METRICS_PORT" --logtostderr
	# Rekor v1's metrics listener is hard-coded to :2112, which the TSA holds
	# (started first on purpose); Rekor v1 ignores the failure and runs without.
	start_svc rekor1 "$BIN/rekor-server" serve \
		--rekor_server.address="$HOST" --port="$REKOR1_PORT" --rekor_server.hostname="$HOST" \
		--trillian_log_server.address="$HOST" --trillian_log_server.port="$TRILLIAN_RPC_PORT" \
		--trillian_log_server.tlog_id="$rekor_tree" --rekor_server.signer=memory \
		--search_index.storage_provider=mysql \
		--search_index.mysql.dsn="$MYSQL_DSN_USER:$MYSQL_DSN_PASS@tcp($HOST:$MARIADB_PORT)/rekor" \
		--enabled_entry_types=hashedrekord,dsse,intoto --log_type=prod
	wait_http ctlog "$CTLOG_URL/ct/v1/get-sth"
	wait_http rekor1 "$REKOR1_URL/api/v1/log"
}

# ------------------------------------------------------------------- start
cleanup_on_error() {
	local rc=$?
	trap - ERR EXIT
	if [ "$rc" -ne 0 ]; then
		stack_log "start failed (exit $rc); stopping what was started"
		"$(dirname "${BASH_SOURCE[0]}")/down.sh" >&2 || true
	fi
	exit "$rc"
}

preflight
trap cleanup_on_error EXIT
ensure_material
rm -rf "$RUN"
mkdir -p "$RUN/rekor2"
echo "$MODE" >"$RUN/mode"
[ -z "${SIGNET_STACK_OWNER:-}" ] || echo "$SIGNET_STACK_OWNER" >"$RUN/owner"
build_helpers
write_fulcio_config
rm -f "$RUN/fulcio.sock"

TS=$(now_ms)
# The TSA goes first: its metrics port 2112 is fixed and fatal if taken.
start_svc tsa "$BIN/timestamp-server" serve --host="$HOST" --port="$TSA_PORT" \
	--timestamp-signer=memory --disable-ntp-monitoring --log-type=prod
start_svc oidc "$BIN/oidc-issuer" --addr="$HOST:$OIDC_PORT" --key-file="$KEYS/oidc-issuer.key" --issuer-url="$OIDC_URL"
start_svc rekor2 "$BIN/rekor-server-posix" serve --hostname="$REKOR2_ORIGIN" \
	--storage-dir="$RUN/rekor2" --signer-filepath="$KEYS/rekor2-ed25519.pem" --checkpoint-interval="$REKOR2_CHECKPOINT_INTERVAL" \
	--batch-max-age="$REKOR2_BATCH_MAX_AGE" \
	--http-address="$HOST" --http-port="$REKOR2_PORT" --grpc-address="$HOST" --grpc-port="$REKOR2_GRPC_PORT" \
	--http-metrics-port="$REKOR2_METRICS_PORT"
start_svc rekor2-read "$BIN/fileserver" --addr="$HOST:$REKOR2_READ_PORT" --dir="$RUN/rekor2"
wait_http tsa "$TSA_URL/api/v1/timestamp/certchain"
wait_port tsa "$TSA_METRICS_PORT" # before Rekor v1 tries the same port
wait_http oidc "$OIDC_URL/.well-known/openid-configuration"
wait_http rekor2 "$REKOR2_URL/healthz"
wait_http rekor2-read "$REKOR2_READ_URL/checkpoint"

if [ "$MODE" = full ]; then
	start_full_backends
else
	# TesseraCT answers add-pre-chain once the entry is sequenced (its SCT promises
	# inclusion), without waiting for the next checkpoint.
	mkdir -p "$RUN/ctlog"
	start_svc ctlog "$BIN/tesseract-posix" --private_key="$KEYS/ctlog-key.plain.pem" \
		--origin="$HOST/test" --path_prefix=/test --storage_dir="$RUN/ctlog" \
		--roots_pem_file="$CA_DIR/root.pem" --ext_key_usages=CodeSigning \
		--http_endpoint="$HOST:$CTLOG_PORT" --enable_publication_awaiter=false \
		--checkpoint_interval=1s --garbage_collection_interval=0
	wait_http ctlog "$CTLOG_URL/ct/v1/get-roots"
fi
CT_FLAGS=(--ct-log-url="$CTLOG_URL" --ct-log-public-key-path="$KEYS/ctlog-key.pub.pem")

start_svc fulcio "$BIN/fulcio" serve --ca=fileca --fileca-cert="$CA_DIR/root.pem" \
	--fileca-key="$CA_DIR/root-key.pem" --fileca-key-passwd= --fileca-watch=false \
	"${CT_FLAGS[@]}" --config-path="$RUN/fulcio-config.json" \
	--host="$HOST" --port="$FULCIO_PORT" --grpc-host="$HOST" --grpc-port="$FULCIO_GRPC_PORT" \
	--metrics-port="$FULCIO_METRICS_PORT" --legacy-unix-domain-socket="$RUN/fulcio.sock" --log_type=prod
wait_http fulcio "$FULCIO_URL/api/v2/configuration"
stack_log "services up in $(($(now_ms) - TS)) ms"

# --------------------------------------------------------- trust material
# What an operator of a private deployment does: signet trust create asks each
# service for its material (Fulcio's chain, Rekor v1's key, the TSA's chain, which
# changes at every start) and takes the keys that Rekor v2 and the CT log do not
# serve from their files. One validity start for every file, so that the trusted
# root is the same in each.
t=$(now_ms)
TRUST_ARGS=(--from-services --operator "$OPERATOR" --valid-from "$(date -u -d '1 minute ago' +%FT%TZ)"
	--fulcio-url "$FULCIO_URL" --oidc-url "$OIDC_URL" --tsa-url "$TSA_URL"
	--rekor-v2-url "$REKOR2_URL" --rekor-v2-key "$KEYS/rekor2-ed25519.pub.pem" --rekor-v2-origin "$REKOR2_ORIGIN"
	--ctlog-url "$CTLOG_URL" --ctlog-key "$KEYS/ctlog-key.pub.pem")
if [ "$MODE" = full ]; then
	TRUST_ARGS+=(--rekor-url "$REKOR1_URL")
fi
trust_create --out "$RUN/trust_config.json"
trust_create --out "$RUN/trusted_root.json" --format trusted-root
trust_create --out "$RUN/signing_config.json" --format signing-config
if [ "$MODE" = full ]; then
	# A client that speaks Rekor v2 uses only the highest API version a signing
	# config lists, so the combined files never exercise Rekor v1: these list one
	# log each (their trusted root lists both).
	for v in v1 v2; do
		trust_create --out "$RUN/trust_config.rekor-$v.json" --signing-rekor "$v"
		trust_create --out "$RUN/signing_config.rekor-$v.json" --format signing-config --signing-rekor "$v"
	done
fi
stack_log "trust material written in $(($(now_ms) - t)) ms (signet trust create; messages in $RUN/trust-create.log)"

cat >"$RUN/env.sh" <<EOF
# Written by scripts/stack/up.sh $MODE at $(date -u +%FT%TZ). Source it.
export SIGNET_STACK_MODE=$MODE
export SIGNET_STACK_RUN_DIR=$RUN
export SIGNET_STACK_OIDC_URL=$OIDC_URL
export SIGNET_STACK_OIDC_URI_ISSUER_URL=$OIDC_URL/uri
export SIGNET_STACK_TOKEN_URL=$OIDC_URL/token
export SIGNET_STACK_FULCIO_URL=$FULCIO_URL
export SIGNET_STACK_REKOR_V2_URL=$REKOR2_URL
export SIGNET_STACK_REKOR_V2_READ_URL=$REKOR2_READ_URL
export SIGNET_STACK_REKOR_V2_ORIGIN=$REKOR2_ORIGIN
export SIGNET_STACK_REKOR_V2_PUBLIC_KEY=$KEYS/rekor2-ed25519.pub.pem
export SIGNET_STACK_TSA_URL=$TSA_URL/api/v1/timestamp
export SIGNET_STACK_FULCIO_ROOT=$CA_DIR/root.pem
export SIGNET_STACK_TRUST_CONFIG=$RUN/trust_config.json
export SIGNET_STACK_TRUSTED_ROOT=$RUN/trusted_root.json
export SIGNET_STACK_SIGNING_CONFIG=$RUN/signing_config.json
export SIGNET_STACK_CTLOG_URL=$CTLOG_URL
export SIGNET_STACK_CTLOG_PUBLIC_KEY=$KEYS/ctlog-key.pub.pem
EOF
if [ "$MODE" = full ]; then
	cat >>"$RUN/env.sh" <<EOF
export SIGNET_STACK_REKOR_V1_URL=$REKOR1_URL
export SIGNET_STACK_TRUST_CONFIG_REKOR_V1=$RUN/trust_config.rekor-v1.json
export SIGNET_STACK_TRUST_CONFIG_REKOR_V2=$RUN/trust_config.rekor-v2.json
export SIGNET_STACK_SIGNING_CONFIG_REKOR_V1=$RUN/signing_config.rekor-v1.json
export SIGNET_STACK_SIGNING_CONFIG_REKOR_V2=$RUN/signing_config.rekor-v2.json
EOF
fi
trap - EXIT
stack_log "$MODE stack up in $(($(now_ms) - T0)) ms; source $RUN/env.sh"
