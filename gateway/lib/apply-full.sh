# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# The full path: the whole rendered document is applied (wg syncconf, one `ip -batch` of what
# differs from the kernel, nft when its ruleset changed) or, in files mode, written as artifacts;
# everything persisted is renamed into place by one `mv`.

STAGED=()
# The delta base a full apply records (apply_wireguard), when its document can be one.
DELTA_BASE=''
# Writes $2 to $WORK/$1, to be renamed into the state directory by persist.
stage() {
  printf '%s' "$2" >"$WORK/$1" || die "cannot write $WORK/$1"
  STAGED+=("$WORK/$1")
}

# The nft script for document ruleset $2 on WireGuard interface $1, into REPLY: one transaction
# (create-if-absent + delete + the document's table = atomic replace) whose defines name the
# interfaces in use ($wg_if is the one configured here; the others are the instance's settings).
nft_script() {
  REPLY="define wg_if = \"$1\""$'\n'"define vpc_if = \"$VPC_IF\""$'\n'"define wan_if = \"$WAN_IF\""$'\n'
  REPLY+=$'table inet vpc_peering {}\ndelete table inet vpc_peering\n'"$2"$'\n'
}

# Loads nft script $1 unless it is the one last loaded in this boot (a reboot or --restore reloads
# it: the kernel state is gone then).
load_ruleset() {
  local ruleset="# boot $BOOT_ID"$'\n'"$1" previous='' err
  if [[ -f $STATE_DIR/nftables.applied ]]; then IFS= read -r -d '' previous <"$STATE_DIR/nftables.applied" || true; fi
  [[ $ACTION == restore || $ruleset != "$previous" ]] || return 0
  stage nftables.applied "$ruleset"
  err=$(nft -f "$WORK/nftables.applied" 2>&1) || die "nft -f failed: ${err//$'\n'/ }"
}

# "boot id:interface index" of interface $1 into REPLY: names the interface instance that an apply
# configured, so the delta path (below) can tell that it still holds what was applied.
interface_instance() {
  local index=''
  IFS= read -r index 2>/dev/null <"/sys/class/net/$1/ifindex" || true
  REPLY="$BOOT_ID:$index"
}

apply_wireguard() {
  local wg_if=${FIELDS[1]} changes=${FIELDS[2]} forward=''
  # syncconf, never setconf: unchanged peers keep their sessions and counters. The config goes
  # through a pipe (as wg-quick does): a here-string larger than the pipe buffer would be written
  # to a temporary file under $TMPDIR. Its output is not echoed: a parse error would quote a config
  # line (maybe a key).
  wg syncconf "$wg_if" <(printf '%s' "$CONF") >/dev/null 2>&1 || die "wg syncconf $wg_if failed"
  if [[ -n $changes ]]; then
    ip -batch - <<<"$changes" >/dev/null 2>"$WORK/ip.err" || die "ip failed: $(tr '\n' ' ' <"$WORK/ip.err")"
  fi
  nft_script "$wg_if" "${FIELDS[3]}"
  load_ruleset "$REPLY"
  if canonical_document "$1"; then
    interface_instance "$wg_if"
    DELTA_BASE=$REPLY$'\n'
  fi
  IFS= read -r forward </proc/sys/net/ipv4/ip_forward || true
  if [[ $forward != 1 ]]; then echo 1 >/proc/sys/net/ipv4/ip_forward; fi
}

apply_files() {
  stage routes.txt "${FIELDS[4]}"
  nft_script "${FIELDS[1]}" "${FIELDS[3]}"
  stage nftables.nft "$REPLY"
  stage wg.conf "$CONF"
}

# Renames everything staged into the state directory (each rename is atomic) with one process.
persist_staged() {
  if ((${#STAGED[@]})); then mv -f -- "${STAGED[@]}" "$STATE_DIR/" || die "cannot persist into $STATE_DIR"; fi
}

# The full path's persist: the document and applied.json join what is staged, then the delta base,
# renamed last: it must never name a document that state.json does not hold yet.
persist() {
  if [[ $ACTION == apply ]]; then
    STAGED+=("$WORK/state.json")
    applied_line
    stage applied.json "$REPLY"
  fi
  if [[ -n $DELTA_BASE ]]; then stage delta.base "$DELTA_BASE"; fi
  persist_staged
}

apply_document() {
  local -a routes=()
  render_document "$1"
  if [[ ${FIELDS[0]} == stale ]]; then
    echo "apply-config: generation $GENERATION is older than applied ${FIELDS[1]}; nothing applied" >&2
    report_from_store ',"skipped":"stale"'
    exit 0
  fi
  check_ruleset "${FIELDS[3]}"
  if [[ -n ${FIELDS[4]} ]]; then mapfile -t routes <<<"${FIELDS[4]%$'\n'}"; fi
  check_routes "${routes[@]}"
  resolve_secrets
  assemble_config "${FIELDS[1]}"
  forget_delta_base
  if [[ $MODE == wireguard ]]; then apply_wireguard "$1"; else apply_files; fi
  persist
  prune_cache
}
