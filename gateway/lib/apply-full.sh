# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# The full path: the whole rendered document is applied (nft -f, wg syncconf, one `ip -batch` of
# what differs from the kernel) or, in files mode, written as artifacts; everything persisted is
# renamed into place by one `mv`.

apply_wireguard() {
  local wg_if=${FIELDS[1]} changes=${FIELDS[2]} forward=''
  # The ruleset first: it names interfaces, not peers or routes, so it loads before either exists.
  # Then a failure or a crash at any later step leaves peers and routes behind the new policy, never
  # forwarding without one (at boot there is no table yet, and ip_forward is already 1).
  nft_script "$wg_if" "${FIELDS[3]}"
  load_ruleset "$REPLY"
  # syncconf, never setconf: unchanged peers keep their sessions and counters. The config goes
  # through a pipe (as wg-quick does): a here-string larger than the pipe buffer would be written
  # to a temporary file under $TMPDIR. Its output is not echoed: a parse error would quote a config
  # line (maybe a key).
  wg syncconf "$wg_if" <(printf '%s' "$CONF") >/dev/null 2>&1 || die "wg syncconf $wg_if failed"
  if [[ -n $changes ]]; then
    ip -batch - <<<"$changes" >/dev/null 2>"$WORK/ip.err" || die "ip failed: $(tr '\n' ' ' <"$WORK/ip.err")"
  fi
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

# The full path's persist: the document, applied.json and the secret source the apply read from
# (a bucket URI or a directory, never a secret: what a boot's --restore reads from when nothing
# else names one) join what is staged, then the delta base, renamed last: it must never name a
# document that state.json does not hold yet.
persist() {
  if [[ $ACTION == apply ]]; then
    STAGED+=("$WORK/state.json")
    applied_line
    stage applied.json "$REPLY"
    stage secret-source "$SECRET_SOURCE"$'\n'
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
