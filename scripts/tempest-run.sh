#!/usr/bin/env bash
# Runs Debian's tempest (33.0.0) against a throwaway Snapstack built from this checkout.
#
#   bash scripts/tempest-run.sh [REGEX]
#
# Starts `node bin/snapstack.js serve --ephemeral` (embedded database, new temporary data
# directory, ephemeral port; everything it made in Docker goes when it stops), writes a tempest
# workspace (tempest init, etc/tempest.conf, etc/accounts.yaml with the seeded admin, demo and
# alt_demo accounts), runs REGEX (default: the families docs/tempest.md names) with
# --concurrency 1, prints the summary and stops Snapstack. Needs `npm run build` first.
#
# Environment: TEMPEST_WORKSPACE (default: a new directory under $TMPDIR, kept afterwards so
# `cd <ws> && stestr last --subunit | subunit2pyunit` or `stestr failing` can read the run),
# SNAPSTACK_ADMIN_PASSWORD / SNAPSTACK_DEMO_PASSWORD / SNAPSTACK_ALT_DEMO_PASSWORD (default: the
# user names), TEMPEST_COMPUTE_MAX_MICROVERSION (default 2.93, the highest Snapstack advertises).
# Exit status: tempest's (0 when nothing failed).
set -euo pipefail

DEFAULT_REGEX='^tempest\.(api\.compute\.(servers|images|volumes)\.|api\.volume\.|api\.image\.v2\.|scenario\.(test_volume_boot_pattern|test_snapshot_pattern))'
REGEX="${1:-$DEFAULT_REGEX}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

command -v tempest > /dev/null || { echo "tempest is not installed: apt-get install -y -o DPkg::Lock::Timeout=600 tempest" >&2; exit 2; }
[ -d "$ROOT/dist" ] || { echo "no build: run npm run build first" >&2; exit 2; }

WS="${TEMPEST_WORKSPACE:-$(mktemp -d "${TMPDIR:-/tmp}/snapstack-tempest-XXXXXX")}"
ADMIN_PW="${SNAPSTACK_ADMIN_PASSWORD:-admin}"
DEMO_PW="${SNAPSTACK_DEMO_PASSWORD:-demo}"
ALT_PW="${SNAPSTACK_ALT_DEMO_PASSWORD:-alt_demo}"
SERVE_LOG="$WS/snapstack.log"
# tempest init wants an empty (or missing) directory: make the workspace before anything else.
[ -d "$WS/etc" ] || (cd / && tempest init --workspace-path "$WS/workspace.yaml" "$WS" > /dev/null)
mkdir -p "$WS/logs" "$WS/tempest_lock"
echo "tempest workspace: $WS"

# --- Snapstack -----------------------------------------------------------------------------
SNAPSTACK_PID=
stop_snapstack() {
  if [ -n "$SNAPSTACK_PID" ] && kill -0 "$SNAPSTACK_PID" 2> /dev/null; then
    kill -TERM "$SNAPSTACK_PID"
    # --ephemeral removes its Docker objects and data directory before exiting.
    for _ in $(seq 120); do kill -0 "$SNAPSTACK_PID" 2> /dev/null || break; sleep 1; done
    kill -0 "$SNAPSTACK_PID" 2> /dev/null && kill -KILL "$SNAPSTACK_PID" || true
  fi
}
trap stop_snapstack EXIT

(cd "$ROOT" && SNAPSTACK_PORT=0 SNAPSTACK_HOST=127.0.0.1 SNAPSTACK_LOG_LEVEL="${SNAPSTACK_LOG_LEVEL:-info}" \
  SNAPSTACK_ADMIN_PASSWORD="$ADMIN_PW" SNAPSTACK_DEMO_PASSWORD="$DEMO_PW" SNAPSTACK_ALT_DEMO_PASSWORD="$ALT_PW" \
  exec node bin/snapstack.js serve --ephemeral) > "$SERVE_LOG" 2>&1 < /dev/null &
SNAPSTACK_PID=$!

URL=
for _ in $(seq 180); do
  URL=$(sed -n 's/.*"url":"\(http[^"]*\)".*"msg":"snapstack listening".*/\1/p' "$SERVE_LOG" | head -1)
  [ -n "$URL" ] && break
  kill -0 "$SNAPSTACK_PID" 2> /dev/null || { echo "snapstack exited:" >&2; tail -20 "$SERVE_LOG" >&2; exit 1; }
  sleep 1
done
[ -n "$URL" ] || { echo "snapstack did not start in 180 s" >&2; tail -20 "$SERVE_LOG" >&2; exit 1; }
echo "snapstack: $URL (pid $SNAPSTACK_PID, log $SERVE_LOG)"

# Ids of the seeded images (tempest wants ids, not names).
TOKEN=$(curl -sf -D - -o /dev/null -H 'Content-Type: application/json' "$URL/identity/v3/auth/tokens" -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$ADMIN_PW\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" \
  | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
image_id() {
  curl -sf -H "X-Auth-Token: $TOKEN" "$URL/image/v2/images?name=$1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])'
}
IMAGE_REF=$(image_id busybox)
IMAGE_REF_ALT=$(image_id cirros-0.6.2-x86_64-disk)

# --- tempest workspace ---------------------------------------------------------------------
cd "$WS"
cat > "$WS/etc/accounts.yaml" << EOF
- username: 'demo'
  project_name: 'demo'
  password: '$DEMO_PW'
  domain_name: 'Default'
- username: 'alt_demo'
  project_name: 'alt_demo'
  password: '$ALT_PW'
  domain_name: 'Default'
- username: 'admin'
  project_name: 'admin'
  password: '$ADMIN_PW'
  domain_name: 'Default'
  roles:
    - 'admin'
EOF
cat > "$WS/etc/tempest.conf" << EOF
[DEFAULT]
log_dir = $WS/logs
log_file = tempest.log

[auth]
use_dynamic_credentials = False
test_accounts_file = $WS/etc/accounts.yaml
default_credentials_domain_name = Default
create_isolated_networks = False
admin_username = admin
admin_password = $ADMIN_PW
admin_project_name = admin
admin_domain_name = Default

[identity]
uri_v3 = $URL/identity/v3
auth_version = v3
region = RegionOne
disable_ssl_certificate_validation = True

[identity-feature-enabled]
api_v2 = False
api_v3 = True

[service_available]
nova = True
cinder = True
glance = True
neutron = False
swift = False
heat = False
horizon = False

[compute]
image_ref = $IMAGE_REF
image_ref_alt = $IMAGE_REF_ALT
flavor_ref = 1
flavor_ref_alt = 2
min_microversion = 2.1
max_microversion = ${TEMPEST_COMPUTE_MAX_MICROVERSION:-2.93}
build_timeout = 120
build_interval = 1
min_compute_nodes = 1

[compute-feature-enabled]
change_password = False
console_output = True
resize = True
pause = True
shelve = True
suspend = True
cold_migration = False
live_migration = False
vnc_console = False
spice_console = False
serial_console = False
rescue = False
interface_attach = False
snapshot = True
metadata_service = False
config_drive = False
personality = False
attach_encrypted_volume = False
block_migration_for_live_migration = False
hostname_fqdn_sanitization = False
volume_multiattach = False
swap_volume = False
scheduler_enabled_filters = AvailabilityZoneFilter,ComputeFilter
disk_config = False
instance_password = False

[volume]
build_timeout = 120
build_interval = 1
catalog_type = volumev3
min_microversion = 3.0
max_microversion = 3.60
volume_size = 1

[volume-feature-enabled]
backup = False
snapshot = True
clone = True
manage_volume = False
manage_snapshot = False
extend_attached_volume = False
multi_backend = False
volume_revert = True
extend_volume_with_snapshot = False

[image]
build_timeout = 120
build_interval = 1
container_formats = bare,ami,ari,aki,ovf,ova
disk_formats = qcow2,raw,ami,ari,aki,vhd,vmdk,vdi,iso,vhdx

[image-feature-enabled]
import_image = False
os_glance_reserved = True

[validation]
run_validation = False

[network]
shared_physical_network = False

[network-feature-enabled]
ipv6 = False

[oslo_concurrency]
lock_path = $WS/tempest_lock
EOF

# --- run -----------------------------------------------------------------------------------
echo "regex: $REGEX"
START=$(date +%s)
set +e
(cd "$WS" && tempest run --concurrency 1 --regex "$REGEX") > "$WS/run.log" 2>&1
RC=$?
set -e
END=$(date +%s)
sed -n '/^======$/,$p' "$WS/run.log" | grep -E '^(Totals|=+| - |Sum of|Worker|Ran:|Passed|Skipped|Failed|Expected|Unexpected)' || tail -30 "$WS/run.log"
echo "failed tests:"
(cd "$WS" && stestr failing --list 2> /dev/null) | sed 's/\[.*//' | sort -u || true
echo "wall time: $(( (END - START) / 60 )) min $(( (END - START) % 60 )) s"
echo "workspace: $WS (cd $WS && stestr last --subunit | subunit2pyunit; stestr failing)"
exit "$RC"
