#!/usr/bin/env bash
# apply-config.sh - applies a gateway's desired state (docs/ARCHITECTURE.md "Desired-state document").
# Run by the SSM Command document on AWS and by the embedded runtime's local hosts.
#
#   apply-config.sh --gateway-id ID --generation N --state-uri s3://…|file://… --state-sha256 HEX
#   apply-config.sh --restore     # re-apply the persisted state (boot time)
#   apply-config.sh --report      # print the status report (and load again a flushed ruleset)
#   apply-config.sh --teardown --gateway-id ID --generation N   # the gateway was deleted (lib/teardown.sh)
#
# Env (or VPG_*=value lines in /etc/vpc-peering/gateway.env, see VPG_ENV_FILE): VPG_STATE_DIR
# (/var/lib/vpc-peering), VPG_MODE (wireguard|files), VPG_SECRET_SOURCE (s3://bucket | dir:/path;
# --restore falls back to the one the last full apply persisted),
# VPG_STATE_BUCKET (the only bucket documents may come from), VPG_PROTECTED_IPS (addresses no
# route may cover, comma-separated), VPG_SECRET_CACHE_SECONDS (3600), VPG_REPORT_LOCK_SECONDS (20:
# how long --report waits for an apply to release the state), VPG_VPC_IF (eth1),
# VPG_WAN_IF (eth0), VPG_WG_IF (default: state .interface.name).
#
# The instance trusts no document (docs/SECURITY.md, lib/checks.sh): it must be the one the command
# names (its SHA-256, under gateways/<gateway id>/), and it is refused when it routes a default
# route or a prefix covering a protected address, carries a ruleset outside the grammar render.ts
# writes, or names a secret that is not its own gateway's key or one of its own peerings' keys.
# The last stdout line is a JSON report; secrets never reach stdout, stderr, argv or the report.
# The full path's report and --report carry the live peers of the interface ("peers": handshake,
# bytes); a delta apply's report carries none ({"gatewayId","appliedGeneration","mode","path"}):
# reading them costs O(peers), and the control plane runs --report for them periodically.
#
# Cost model: a push that changes one peer must cost about what a bare `wg set` costs, whatever the
# number of peers. So a change is applied as that change when the interface still holds the last
# applied document (the delta path: flock, one awk pass that diffs the documents and writes the new
# one in place, one sha256sum of that copy, one `wg set`, route and ruleset
# diffs only when they changed, no jq, no mv, no report of peers); otherwise the full path runs:
# one jq pass validates and renders everything, `nft -f` (always: a table flushed from outside
# comes back), `wg syncconf`, one `ip -batch` of what differs from the kernel, everything persisted
# renamed into place by one `mv`. Both paths load the ruleset before any peer or route changes.
# Secrets come from builtins and an instance-side cache.
#
# This file and lib/*.sh, jq/*.jq, awk/*.awk are the source: gateway/assemble.ts inlines every
# `. "$GATEWAY_SRC/…"` line and every `$(<"$GATEWAY_SRC/…")` program into one script, which is what
# the SSM document carries and the embedded runtime's hosts run. The source does not run as it is.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
umask 077

# The instance's own settings (on AWS the SSM documents pass only the two buckets, and the boot unit
# nothing): VPG_*=value lines of
# $VPG_ENV_FILE, read as data, never sourced. The environment wins over the file.
ENV_FILE=${VPG_ENV_FILE:-/etc/vpc-peering/gateway.env}
if [[ -r $ENV_FILE ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^(VPG_(STATE_DIR|MODE|SECRET_SOURCE|STATE_BUCKET|PROTECTED_IPS|SECRET_CACHE_SECONDS|REPORT_LOCK_SECONDS|VPC_IF|WAN_IF|WG_IF))=([A-Za-z0-9_./:@,-]*)$ ]]; then
      [[ -n ${!BASH_REMATCH[1]:-} ]] || printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[3]}"
    elif [[ -n $line && $line != \#* ]]; then
      echo "apply-config: ignoring unrecognised line in $ENV_FILE: $line" >&2
    fi
  done <"$ENV_FILE"
fi

STATE_DIR=${VPG_STATE_DIR:-/var/lib/vpc-peering}
MODE=${VPG_MODE:-wireguard}
SECRET_SOURCE=${VPG_SECRET_SOURCE:-}
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts
STATE_BUCKET=${VPG_STATE_BUCKET:-}
# Whatever a document says, these stay reachable the way they are: the instance metadata service
# (its credentials) and its DNS resolver; the instance adds its own interfaces' addresses.
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts
PROTECTED_IPS=169.254.169.254,169.254.169.253${VPG_PROTECTED_IPS:+,$VPG_PROTECTED_IPS}
CACHE_SECONDS=${VPG_SECRET_CACHE_SECONDS:-3600}
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts
REPORT_LOCK_SECONDS=${VPG_REPORT_LOCK_SECONDS:-20}
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts
VPC_IF=${VPG_VPC_IF:-eth1}
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts
WAN_IF=${VPG_WAN_IF:-eth0}
# Scratch files (under the lock) and the secret cache (README "Secret cache").
WORK=$STATE_DIR/work
CACHE=$STATE_DIR/secrets
# shellcheck disable=SC2034 # read by the sourced lib/*.sh parts (the directive covers the group)
{
  BOOT_ID=''
  IFS= read -r BOOT_ID </proc/sys/kernel/random/boot_id || true
}

# The parts the delta path needs; the others are read after it (see "main" below).
# shellcheck source=lib/common.sh
. "$GATEWAY_SRC/lib/common.sh"
need_bash "${BASH_VERSINFO[0]}" "${BASH_VERSINFO[1]}"
# shellcheck source=lib/secrets.sh
. "$GATEWAY_SRC/lib/secrets.sh"
# shellcheck source=lib/checks.sh
. "$GATEWAY_SRC/lib/checks.sh"
# shellcheck source=lib/kernel.sh
. "$GATEWAY_SRC/lib/kernel.sh"
# shellcheck source=lib/apply-delta.sh
. "$GATEWAY_SRC/lib/apply-delta.sh"

trap 'die "unexpected failure (line $LINENO)"' ERR

# ---------- arguments ----------
ACTION=apply GATEWAY_ID='' GENERATION='' STATE_URI='' STATE_SHA256=''
while (($#)); do
  case $1 in
    --gateway-id)
      (($# >= 2)) || usage "--gateway-id needs a value"
      GATEWAY_ID=$2
      shift 2
      ;;
    --generation)
      (($# >= 2)) || usage "--generation needs a value"
      GENERATION=$2
      shift 2
      ;;
    --state-uri)
      (($# >= 2)) || usage "--state-uri needs a value"
      STATE_URI=$2
      shift 2
      ;;
    --state-sha256)
      (($# >= 2)) || usage "--state-sha256 needs a value"
      STATE_SHA256=$2
      shift 2
      ;;
    --restore)
      ACTION=restore
      shift
      ;;
    --report)
      ACTION=report
      shift
      ;;
    --teardown)
      ACTION=teardown
      shift
      ;;
    *) usage "unknown argument: $1" ;;
  esac
done
case $MODE in wireguard | files) ;; *) usage "VPG_MODE must be wireguard or files, got: $MODE" ;; esac
if [[ $ACTION == apply || $ACTION == teardown ]]; then
  [[ $GATEWAY_ID =~ ^[A-Za-z0-9._:-]+$ ]] || usage "--gateway-id must match ^[A-Za-z0-9._:-]+\$"
  # Globs, not regexes, for the plain ones: bash compiles a regex at every match.
  [[ -n $GENERATION && ${#GENERATION} -le 15 && $GENERATION != *[!0-9]* ]] || usage "--generation must be a non-negative integer"
  GENERATION=$((10#$GENERATION))
fi
if [[ $ACTION == apply ]]; then
  [[ $STATE_URI =~ ^(s3://[^[:space:]]+|file:///[^[:space:]]*)$ ]] || usage "--state-uri must be s3://… or file:///…"
  [[ ${#STATE_SHA256} -eq 64 && $STATE_SHA256 != *[!0-9a-f]* ]] || usage "--state-sha256 must be 64 lowercase hex digits"
fi
GENERATION=${GENERATION:-0}
# A boot's --restore runs with no environment (gateway/README.md "After a reboot"): unless the
# environment or gateway.env names a source, it reads from the one the last full apply ran with.
if [[ $ACTION == restore && -z $SECRET_SOURCE && -f $STATE_DIR/secret-source ]]; then
  IFS= read -r SECRET_SOURCE <"$STATE_DIR/secret-source" || true
fi
# A teardown reads no secret, and neither does the restore of an instance that applied nothing.
if [[ $ACTION == apply || ($ACTION == restore && -f $STATE_DIR/state.json) ]]; then
  case $SECRET_SOURCE in
    s3://?* | dir:/*) ;;
    *) usage "VPG_SECRET_SOURCE must be s3://bucket or dir:/path" ;;
  esac
fi
# One interface for both would send tunnel traffic into the VPC through the internet egress's
# masquerade: the tunnel is never NATed (gateway/README.md, the settings table).
if [[ $ACTION == apply || $ACTION == restore ]]; then
  [[ $VPC_IF != "$WAN_IF" ]] || usage "VPG_VPC_IF and VPG_WAN_IF must name two interfaces, both are $VPC_IF"
fi
[[ $CACHE_SECONDS =~ ^[0-9]{1,7}$ ]] || usage "VPG_SECRET_CACHE_SECONDS must be a number of seconds"
[[ $REPORT_LOCK_SECONDS =~ ^[0-9]{1,4}$ ]] || usage "VPG_REPORT_LOCK_SECONDS must be a number of seconds"
need jq awk flock mv cp tee sha256sum
[[ $MODE == files ]] || need wg ip nft

[[ -d $WORK ]] || mkdir -p "$WORK"
[[ -d $CACHE ]] || mkdir -p "$CACHE"

# ---------- main ----------
# Every action holds the state directory's lock (lib/common.sh lock_state), --report a shared one.
#
# The delta path first. Bash reads a script as it runs it, so when a change is applied as a delta
# the parts below it (render, the full path, report, restore, teardown: a third of the script) are
# never even parsed: about 1 ms of a change's cost (gateway/README.md "Cost of a change").
if [[ $ACTION == apply ]]; then
  lock_state
  # A push of a deleted gateway that arrived after its teardown must not bring it back.
  if torn_down; then die "refused: gateway $GATEWAY_ID was torn down at generation $GENERATION or later"; fi
  locate_document
  # The delta path writes the document to $STATE_DIR/state.json itself and verifies that copy; the
  # full path verifies a copy of its own (unless the delta path verified one before giving up) and
  # copies it to $WORK/state.json, renamed into place by persist.
  DOCUMENT=''
  if apply_delta "$SOURCE"; then
    # No peers: the live ones cost O(peers) to read (--report has them).
    printf '{"gatewayId":"%s","appliedGeneration":%s,"mode":"%s","path":"delta"}\n' "$GATEWAY_ID" "$GENERATION" "$MODE"
    exit 0
  fi
fi

# shellcheck source=lib/render.sh
. "$GATEWAY_SRC/lib/render.sh"
# shellcheck source=lib/apply-full.sh
. "$GATEWAY_SRC/lib/apply-full.sh"
# shellcheck source=lib/report.sh
. "$GATEWAY_SRC/lib/report.sh"
# shellcheck source=lib/restore.sh
. "$GATEWAY_SRC/lib/restore.sh"
# shellcheck source=lib/teardown.sh
. "$GATEWAY_SRC/lib/teardown.sh"

case $ACTION in
  report)
    lock_state shared
    reload_missing_ruleset
    report_from_store
    ;;
  restore)
    lock_state
    [[ -f $STATE_DIR/state.json ]] || {
      echo "apply-config: nothing to restore in $STATE_DIR" >&2
      exit 0
    }
    restore_document
    RESTORED=$REPLY
    if [[ $RESTORED != "$STATE_DIR/state.json" ]]; then
      # The predecessor becomes state.json again (persist renames it before delta.base), so a delta
      # after the restore diffs against what the interface holds.
      cp -- "$RESTORED" "$WORK/state.json" || die "cannot read $RESTORED"
      STAGED+=("$WORK/state.json")
    fi
    # A torn applied.json (a crash while a delta wrote it) would fail every --report until the next
    # push: once restored, the interface holds what the restored document's header says.
    if ! read_applied && read_header "$RESTORED"; then
      GATEWAY_ID=$DOC_ID GENERATION=$DOC_GEN
      applied_line
      stage applied.json "$REPLY"
    fi
    # The secret copies delivered to this instance are the restored gateway's.
    if [[ -z $GATEWAY_ID ]] && read_header "$RESTORED"; then GATEWAY_ID=$DOC_ID; fi
    apply_document "$RESTORED"
    report_from_store
    ;;
  teardown)
    lock_state
    teardown_gateway
    ;;
  apply)
    [[ -n $DOCUMENT ]] || verify_document
    cp -- "$DOCUMENT" "$WORK/state.json" 2>/dev/null || die "cannot fetch $STATE_URI"
    apply_document "$WORK/state.json"
    report_applied "${FIELDS[1]}" "${FIELDS[5]}" ',"path":"full"'
    ;;
esac
