# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# The status report: the script's last stdout line (JSON), from the live interface or from what the
# state directory says was applied.

# Prints the peers as the interface sees them, as JSON, straight to stdout (at 1000 peers, a copy
# through a bash variable costs more than the dump).
peers_from_interface() {
  wg show "$1" dump | awk -F'\t' "$PEERS_FROM_DUMP" || die "cannot read the interface status"
}

# shellcheck disable=SC2016 # awk program, not shell
PEERS_FROM_DUMP=$(<"$GATEWAY_SRC/awk/peers-from-dump.awk")
# shellcheck disable=SC2016 # jq program, not shell
STORED_REPORT=$(<"$GATEWAY_SRC/jq/stored-report.jq")

# Prints the start of the report line: $1 = gatewayId as JSON, $2 = generation, $3 = extra fields.
report_head() { printf '{"gatewayId":%s,"appliedGeneration":%s,"mode":"%s"%s' "$1" "$2" "$MODE" "$3"; }

# Prints the report line: report_head "$1" "$2" "$3", this host's clock as it reads the peers
# ("now", epoch seconds: the clock of their latestHandshake, which the control plane judges them
# against whenever the report is handled; a builtin, no fork), then the peers of interface $4
# (wireguard mode), else the peers JSON $5.
print_report() {
  report_head "$1" "$2" "$3"
  printf ',"now":%(%s)T,"peers":' -1
  if [[ $MODE == wireguard && -n $4 ]]; then peers_from_interface "$4"; else printf '%s' "$5"; fi
  printf '}\n'
}

# The report of an apply on interface $1; $2 = the files-mode peers, $3 = extra fields.
report_applied() { print_report "\"$GATEWAY_ID\"" "$GENERATION" "$3" "$1" "$2"; }

# The report of what the state directory says was applied (the document of the applied
# generation: restore_document); $1 = extra fields.
report_from_store() {
  local id='null' generation=0 wg_if='' peers='[]' state
  restore_document
  state=$REPLY
  if [[ -f $state && -f $STATE_DIR/applied.json ]]; then
    { IFS= read -r id && IFS= read -r generation && IFS= read -r wg_if && IFS= read -r peers; } < <(
      jq -n -r --arg wgif "${VPG_WG_IF:-}" --slurpfile a "$STATE_DIR/applied.json" --slurpfile s "$state" \
        "$STORED_REPORT"
    )
    [[ $generation =~ ^[0-9]+$ ]] || die "cannot read $STATE_DIR/applied.json"
  fi
  # A reboot empties the interface's peers, its routes and the table; until a full apply or
  # --restore completes in this boot the instance holds none of the applied generation, and says
  # generation 0: the control plane's drift repair then pushes it again (docs/DECISIONS.md "A
  # gateway that did not restore at boot"). Only --report: an apply's or a restore's own report
  # follows what it just applied.
  if [[ $ACTION == report && $MODE == wireguard ]] && ! ruleset_of_this_boot; then generation=0; fi
  print_report "$id" "$generation" "${1:-}" "$wg_if" "$peers"
}

# True when nftables.applied was loaded in this boot: a full apply or --restore (each loads the
# ruleset, and the delta path runs only after one in the same boot) completed since the last boot.
# Its first line in REPLY.
ruleset_of_this_boot() {
  REPLY=''
  [[ -f $STATE_DIR/nftables.applied ]] || return 1
  IFS= read -r REPLY <"$STATE_DIR/nftables.applied" || true
  [[ $REPLY == "# boot $BOOT_ID" || $REPLY == "# boot $BOOT_ID$IN_PLACE" ]]
}

# Puts the table back when the script loaded it in this boot and it is gone (a flush from outside):
# the delta path loads only a changed ruleset, so between full applies the periodic --report is
# what repairs it (docs/DECISIONS.md "The gateway's firewall fails closed"). Reads only the table
# names; a reboot is --restore's to repair. Never a torn nftables.applied (a crash while a delta
# wrote it in place): a file written in place is loaded only when it ends with RULESET_END
# (lib/kernel.sh); the next push takes the full path then. A failure is said on stderr, and the
# report goes on.
reload_missing_ruleset() {
  local applied=$STATE_DIR/nftables.applied first tables='' err
  local -a lines
  [[ $MODE == wireguard ]] && ruleset_of_this_boot || return 0
  first=$REPLY
  tables=$(nft list tables inet 2>&1) || {
    echo "apply-config: cannot list the nftables tables: ${tables//$'\n'/ }" >&2
    return 0
  }
  [[ $'\n'$tables$'\n' != *$'\n''table inet vpc_peering'$'\n'* ]] || return 0
  mapfile -t lines <"$applied"
  if [[ $first == *"$IN_PLACE" && ${lines[-1]} != "$RULESET_END" ]]; then
    echo "apply-config: table inet vpc_peering was removed from outside, and $applied is torn: not loaded; the next push loads it whole" >&2
    return 0
  fi
  echo "apply-config: table inet vpc_peering was removed from outside; loading it again" >&2
  err=$(nft -f "$applied" 2>&1) || echo "apply-config: nft -f failed: ${err//$'\n'/ }" >&2
}
