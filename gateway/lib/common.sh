# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# What every part of the gateway script shares: failing, the command check, the applied record and
# a document's header (read with builtins), the WireGuard key pattern.

KEY_RE='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$'
# applied.json: the gateway and generation last applied (the comma: the number is complete).
APPLIED_RE='^\{"gatewayId":"([A-Za-z0-9._:-]+)","generation":([0-9]{1,15}),'
HEADER_RE='^\{"schema":1,"gatewayId":"([A-Za-z0-9._:-]+)","generation":([0-9]{1,15}),$'

die() {
  echo "apply-config: $*" >&2
  exit 1
}
usage() {
  echo "apply-config: $*; usage: apply-config.sh --gateway-id ID --generation N --state-uri URI --state-sha256 HEX | --restore | --report | --teardown --gateway-id ID --generation N" >&2
  exit 2
}

# Takes the state directory's lock (fd 9, held until the script exits): one apply, restore or
# teardown at a time on an instance. `lock_state shared` is the report's: reports run side by
# side, never while an apply rewrites the files they read, and give up after REPORT_LOCK_SECONDS
# rather than pile up behind an apply that hangs (the control plane then sees no fresh report).
lock_state() {
  exec 9>"$STATE_DIR/lock"
  if [[ ${1:-} == shared ]]; then
    flock -s -w "$REPORT_LOCK_SECONDS" 9 || die "no report: an apply has held the state for over ${REPORT_LOCK_SECONDS} s"
    return 0
  fi
  flock 9
  # A files-mode wg.conf holds keys: never leave a staged one behind. Set only by the holder of
  # the exclusive lock: a report must not remove what an apply staged.
  trap '[[ ! -e $WORK/wg.conf ]] || rm -f -- "$WORK/wg.conf"' EXIT
}

# Refuses bash older than 4.4 ($1.$2: BASH_VERSINFO), whose lack of `mapfile -d` would fail every
# full apply with bash's own error and no report (gateway/README.md "Requirements"). Builtins only.
need_bash() {
  (($1 > 4 || ($1 == 4 && $2 >= 4))) || usage "bash 4.4 or later is required, this is $1.$2"
}

# Looks the commands up in one builtin call; bash then runs them without searching PATH again.
need() {
  local c
  hash "$@" 2>/dev/null && return 0
  for c in "$@"; do hash "$c" 2>/dev/null || die "required command not found: $c"; done
}

# The applied record (applied.json), read with builtins into APPLIED_ID and APPLIED_GEN; false, both
# empty, when there is none or it is torn or garbage (a crash during a delta apply's write).
read_applied() {
  local line=''
  APPLIED_ID='' APPLIED_GEN=''
  [[ -f $STATE_DIR/applied.json ]] || return 1
  IFS= read -r line <"$STATE_DIR/applied.json" || true
  [[ $line =~ $APPLIED_RE ]] || return 1
  APPLIED_ID=${BASH_REMATCH[1]} APPLIED_GEN=$((10#${BASH_REMATCH[2]}))
}

# The header of document file $1, read with builtins into DOC_ID and DOC_GEN; false, both empty,
# when it has none.
read_header() {
  local line=''
  DOC_ID='' DOC_GEN=''
  IFS= read -r line <"$1" || true
  [[ $line =~ $HEADER_RE ]] || return 1
  DOC_ID=${BASH_REMATCH[1]} DOC_GEN=$((10#${BASH_REMATCH[2]}))
}

# The content of applied.json for this apply, into REPLY.
applied_line() {
  local now
  TZ=UTC0 printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  REPLY="{\"gatewayId\":\"$GATEWAY_ID\",\"generation\":$GENERATION,\"appliedAt\":\"$now\"}"$'\n'
}

# The last line of nftables.applied (lib/kernel.sh applied_ruleset). A delta writes the file in
# place (no `mv`: lib/apply-delta.sh), so a crash can leave a prefix of it, and a prefix can be a
# valid nft script (one that ends after `delete table inet vpc_peering` removes the firewall):
# --report loads a file written in place only when it ends with this line (lib/report.sh
# reload_missing_ruleset). Such a file says so at the end of its first line (IN_PLACE): one renamed
# into place is whole, whichever script wrote it (an older one wrote no end line, and its file must
# still be reloaded: review s19i).
RULESET_END='# end of the ruleset'
IN_PLACE=', written in place'
