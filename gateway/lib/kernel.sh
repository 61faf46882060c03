# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# What both apply paths share: files staged in $WORK and renamed into the state directory, the
# nftables ruleset load, and the interface instance that the delta base names.

STAGED=()
# The delta base a full apply records (apply_wireguard), when its document can be one.
DELTA_BASE=''
# Writes $2 to $WORK/$1, to be renamed into the state directory by persist_staged.
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

# nftables.applied for nft script $1 into REPLY: its boot's id (then $2: IN_PLACE for a file
# written in place), the script, RULESET_END (both: lib/common.sh).
applied_ruleset() { REPLY="# boot $BOOT_ID${2:-}"$'\n'"$1$RULESET_END"$'\n'; }

# Loads nft script $1 (one atomic transaction), and stages it as nftables.applied: the script last
# loaded (applied_ruleset). Never skipped as "already loaded": `nft flush ruleset` from outside
# (a restart of the distribution's nftables unit, a firewalld reload) removes the table without
# touching what the state directory says, and the next apply must put it back (docs/DECISIONS.md
# "The gateway's firewall fails closed").
load_ruleset() {
  local err
  applied_ruleset "$1"
  stage nftables.applied "$REPLY"
  err=$(nft -f "$WORK/nftables.applied" 2>&1) || die "nft -f failed: ${err//$'\n'/ }"
}

# "boot id:interface index" of interface $1 into REPLY: names the interface instance that an apply
# configured, so the delta path (lib/apply-delta.sh) can tell that it still holds what was applied.
interface_instance() {
  local index=''
  IFS= read -r index 2>/dev/null <"/sys/class/net/$1/ifindex" || true
  REPLY="$BOOT_ID:$index"
}

# Renames everything staged into the state directory (each rename is atomic) with one process.
persist_staged() {
  if ((${#STAGED[@]})); then mv -f -- "${STAGED[@]}" "$STATE_DIR/" || die "cannot persist into $STATE_DIR"; fi
}
