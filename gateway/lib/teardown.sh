# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# `--teardown`: a deleted gateway leaves nothing working on its instance (docs/SECURITY.md). The
# interface's peers, its private key when the control plane gave it, its addresses and static
# routes, the vpc_peering table, the cached keys and every state file go. Bound to the gateway id
# and generation the command names: only what that gateway applied at that generation or below is
# removed, so an instance that serves another gateway by now, or the same id registered again
# (generations continue above the deleted one's), is left alone. teardown.json then keeps a late
# push of the deleted incarnation (generation at or below it) from bringing it back.

# Why this instance's state is not the command's to remove, into REPLY; false when it is (nothing
# applied, or this gateway at the command's generation or below).
teardown_refusal() {
  REPLY=''
  if read_applied; then
    [[ $APPLIED_ID == "$GATEWAY_ID" ]] || REPLY="the instance serves gateway $APPLIED_ID"
    [[ -n $REPLY ]] || ((APPLIED_GEN <= GENERATION)) || REPLY="generation $APPLIED_GEN of $GATEWAY_ID was applied after it"
  elif [[ -f $STATE_DIR/state.json ]] && read_header "$STATE_DIR/state.json" && [[ $DOC_ID != "$GATEWAY_ID" ]]; then
    REPLY="the instance holds a document of gateway $DOC_ID"
  fi
  [[ -n $REPLY ]]
}

# Empties WireGuard interface $1 of what the applied document put there; $2 = true when the
# document gave it the private key (the control plane's, deleted with the gateway).
teardown_interface() {
  local wg_if=$1 own_key=$2 peers peer
  local -a args=()
  if [[ $own_key == true ]]; then args+=(private-key /dev/null); fi
  peers=$(wg show "$wg_if" peers 2>/dev/null) || die "cannot read the peers of $wg_if"
  for peer in $peers; do args+=(peer "$peer" remove); done
  if ((${#args[@]})); then wg set "$wg_if" "${args[@]}" >/dev/null 2>&1 || die "wg set $wg_if failed"; fi
  # A family without any route answers "FIB table does not exist": nothing to flush there.
  ip -4 route flush dev "$wg_if" proto static >/dev/null 2>&1 || true
  ip -6 route flush dev "$wg_if" proto static >/dev/null 2>&1 || true
  ip address flush dev "$wg_if" scope global >/dev/null 2>&1 || die "cannot remove the addresses of $wg_if"
  [[ -z $(wg show "$wg_if" peers) ]] || die "teardown incomplete: $wg_if still has peers"
  [[ -z $(ip route show dev "$wg_if" proto static) ]] || die "teardown incomplete: $wg_if still has static routes"
}

# Removes the gateway's state (the lock is held); prints the report.
teardown_gateway() {
  local wg_if=${VPG_WG_IF:-} own_key=false found='' state
  if teardown_refusal; then
    echo "apply-config: nothing of $GATEWAY_ID to tear down: $REPLY" >&2
    report_head "\"$GATEWAY_ID\"" "$GENERATION" ',"path":"teardown","tornDown":false'
    printf '}\n'
    return 0
  fi
  forget_delta_base
  restore_document
  state=$REPLY
  if [[ -f $state ]]; then
    { IFS= read -r found && IFS= read -r own_key; } < <(
      jq -r '(.interface.name // ""), (.interface.privateKeyParam != null)' "$state" 2>/dev/null
    ) || true
  fi
  wg_if=${wg_if:-${found:-wg0}}
  if [[ $MODE == wireguard ]]; then
    if [[ -e /sys/class/net/$wg_if ]]; then teardown_interface "$wg_if" "$own_key"; else wg_if=''; fi
    printf 'table inet vpc_peering {}\ndelete table inet vpc_peering\n' | nft -f - >/dev/null 2>&1 \
      || die "cannot delete table inet vpc_peering"
  else wg_if=''; fi
  rm -f -- "$STATE_DIR"/{state.json,state.previous.json,applied.json,delta.base,nftables.applied,secret-source} \
    "$STATE_DIR"/{wg.conf,routes.txt,nftables.nft} "$WORK"/* "$CACHE"/* || die "cannot remove the state of $GATEWAY_ID"
  applied_line
  printf '%s' "$REPLY" >"$STATE_DIR/$TEARDOWN_FILE" || die "cannot write $STATE_DIR/$TEARDOWN_FILE"
  print_report "\"$GATEWAY_ID\"" "$GENERATION" ',"path":"teardown","tornDown":true' "$wg_if" '[]'
}
