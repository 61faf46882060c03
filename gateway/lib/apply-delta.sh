# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# A push that changes a few peers is applied as that change: the document's lines are diffed against
# the last applied document's (one line per member and per peer: core/render.ts serialiseState) and
# wg, ip and nft hear only what differs, so the cost follows the change, not the peer count. Taken
# only in wireguard mode, when the interface is still the instance a full apply configured in this
# boot (so it holds the last applied document), and when the header and every changed line are in
# canonical form. Otherwise apply_delta returns 1 before changing the interface, and the full path,
# which validates everything and reconciles with the kernel, runs instead.
#
# Nothing is renamed into place: the base is forgotten before the awk pass, awk writes the new
# document over state.json, and once the changes are made applied.json and then delta.base are
# written by builtins. A crash anywhere in between leaves delta.base empty, so the next apply takes
# the full path, which never diffs against state.json and reads a torn applied.json as "nothing
# applied" (applied_record): a half-written file is never trusted.
CIDR_RE='[0-9a-fA-F:.]+/[0-9]{1,3}'
# Groups: 1 allowed IPs, 4 endpoint or null, 5 endpoint, 7 name, 8 keepalive, 9/10 preshared key
# name, 11 key. peer_line checks the name's and the key's lengths.
PEER_RE='^\{"allowedIps":\[(("'$CIDR_RE'")(,"'$CIDR_RE'")*)?\],"endpoint":(null|"(([0-9.]+|\[[0-9a-fA-F:]+\]):[0-9]{1,5})"),"name":"([A-Za-z0-9._:-]+)","persistentKeepalive":(null|[0-9]{1,5}),"presharedKeyParam":(null|"(/[A-Za-z0-9_.:/-]+)"),"publicKey":"([A-Za-z0-9+/]+[AEIMQUYcgkosw480]=)","type":"(vpc-peering|road-warrior)"\}$'
# An element of the routes line ("routes":[…],: the awk pass splits it at its commas).
ROUTE_RE='^"('$CIDR_RE')"$'
# The interface member names the WireGuard interface (the delta path requires it unchanged).
INTERFACE_NAME_RE='"name":"([A-Za-z0-9_.=-]{1,15})"'
# The nftables text as JSON escapes it: only newlines are expected (render.ts writes no quote).
NFT_RE='^"nftables":"(([^"\\]|\\n)*)",$'

# shellcheck disable=SC2016 # awk program, not shell
CHANGED_LINES=$(<"$GATEWAY_SRC/awk/changed-lines.awk")

# True when $1 is a canonical peer line, its fields in BASH_REMATCH (PEER_RE). A name of 1 to 80
# characters and a key of 44: checked apart, since bash compiles the regex at every match and a
# bounded repetition ({1,80}) doubles what that costs.
peer_line() { [[ $1 =~ $PEER_RE ]] && ((${#BASH_REMATCH[7]} <= 80 && ${#BASH_REMATCH[11]} == 44)); }

# True when the array named $1 starts with a canonical header: the members, then the peers.
canonical_header() {
  local -n lines=$1
  ((${#lines[@]} >= 7)) && [[ ${lines[0]} =~ $HEADER_RE ]] && [[ ${lines[1]} == '"interface":{'* ]] \
    && [[ ${lines[2]} == '"nftables":"'* ]] && [[ ${lines[3]} == '"routes":['* ]] \
    && [[ ${lines[4]} == '"tunnelSubnet":"'* ]] && [[ ${lines[5]} == '"vpcCidr":"'* ]] \
    && [[ ${lines[6]} == '"peers":[' ]]
}

# True when document file $1 is in canonical layout (a base the delta path can diff against).
# Every line it will ever use past the header is checked when it changes.
canonical_document() {
  local -a document
  mapfile -t document <"$1"
  canonical_header document && [[ ${document[-1]} == ']}' ]]
}

# Truncates the delta base: from the first change on, the interface (or state.json) may hold neither
# the last applied document nor the new one, until the new base is recorded.
forget_delta_base() { if [[ -s $STATE_DIR/delta.base ]]; then : >"$STATE_DIR/delta.base"; fi; }

# Route changes (`ip -batch` lines) on $1, into REPLY, from the routes line's element changes that
# the awk pass listed ("R+<element>" or "R-<element>", an element a quoted prefix) in the array named
# $2. Only the routes that come are checked (check_routes): the others were when the document that
# holds them was applied. False when an element is not a quoted prefix.
route_changes() {
  local dev=$1 change route lines=''
  local -n listed=$2
  local -a coming=()
  for change in "${listed[@]}"; do
    [[ ${change:2} =~ $ROUTE_RE ]] || return 1
    route=${BASH_REMATCH[1]}
    if [[ $change == R+* ]]; then
      coming+=("$route")
      lines+="route replace $route dev $dev proto static"$'\n'
    else
      # One that goes was checked when it came; an alias of it would delete another route.
      canonical_prefix "$route" || return 1
      lines+="route del $route dev $dev proto static"$'\n'
    fi
  done
  check_routes "${coming[@]}"
  REPLY=$lines
}

# The nft script that changes the elements of the named set `peered` as the awk pass listed them
# (set_added, set_removed of apply_delta), into REPLY; "" when none changed (a new order). Those
# that go are deleted first: in one transaction, a prefix that replaces an overlapping one never
# meets it in the set (an interval set refuses overlaps).
set_element_changes() {
  local list
  REPLY=''
  if ((${#set_removed[@]})); then
    printf -v list '%s, ' "${set_removed[@]}"
    REPLY+="delete element inet vpc_peering peered { ${list%, } }"$'\n'
  fi
  if ((${#set_added[@]})); then
    printf -v list '%s, ' "${set_added[@]}"
    REPLY+="add element inet vpc_peering peered { ${list%, } }"$'\n'
  fi
}

# Loads nft script $1 of set element changes (one transaction: all or nothing). False when nft
# refuses it: the table or its set is gone (`nft flush ruleset` from outside), or an element to
# delete is not in it (edited from outside); the kernel is then as it was.
load_set_changes() {
  # Emptied, then appended to: scratch, not flushed at close (see apply_delta).
  : >"$WORK/nft.elements"
  printf '%s' "$1" >>"$WORK/nft.elements" || die "cannot write $WORK/nft.elements"
  nft -f "$WORK/nft.elements" >/dev/null 2>&1
}

# Applies document file $1 (SOURCE, not yet verified) as a change; false, before the interface is
# touched, when the full path must run instead. Once the awk pass has written the document over
# state.json and what it wrote has the command's SHA-256, state.json is DOCUMENT (what the full
# path applies if the change cannot be taken); a copy with another digest sends the full path to
# fetch and verify the document itself, and its refusal is the one the command hears.
apply_delta() {
  local source=$1 dev base line key allowed endpoint keepalive psk ruleset='' changes='' fd
  local marks='' set_changes='' whole_ruleset='' script
  local -a NEW OLD delta fields gone=() came=() wg_args=() fds=() stale_secrets=() stale_files=()
  local -a route_list=() set_added=() set_removed=() peer_list=()
  local -A removed=() added=() kept=() updated=() old_endpoint=() old_psk=() old_keepalive=()
  [[ $MODE == wireguard && -s $STATE_DIR/delta.base ]] || return 1
  read_applied && [[ $APPLIED_ID == "$GATEWAY_ID" ]] && ((GENERATION >= APPLIED_GEN)) || return 1
  mapfile -t -n 7 OLD <"$STATE_DIR/state.json"
  canonical_header OLD && [[ ${OLD[1]} =~ $INTERFACE_NAME_RE ]] || return 1
  dev=${VPG_WG_IF:-${BASH_REMATCH[1]}}
  IFS= read -r base <"$STATE_DIR/delta.base" || return 1
  interface_instance "$dev"
  [[ $base == "$REPLY" ]] || return 1
  # awk writes the new document over state.json: it must not be the document itself.
  [[ -f $source && -r $source && ! $source -ef $STATE_DIR/state.json ]] || return 1

  # From here on state.json is rewritten: any refusal below falls back to the full path, as a
  # refused delta does.
  forget_delta_base
  # One awk pass finds the changed lines and writes the new document over the old one as it reads
  # it (one process instead of diff + cp + mv), and the same bytes to sha256sum, which runs beside
  # it: what is hashed is what was diffed and written (no tee, no second read). The two scratch
  # files are emptied first and then appended to: a file truncated and written in one open is
  # flushed to disk at its close (ext4 auto_da_alloc, XFS likewise), which scratch does not need.
  : >"$WORK/delta"
  : >"$WORK/digest"
  awk -v copy="$STATE_DIR/state.json" -v previous="$STATE_DIR/state.previous.json" -v changes="$WORK/delta" \
    "$CHANGED_LINES" "$STATE_DIR/state.json" "$source" 2>/dev/null | sha256sum >>"$WORK/digest" 2>/dev/null || return 1
  read_digest
  [[ $REPLY == "$STATE_SHA256" ]] || return 1
  DOCUMENT=$STATE_DIR/state.json
  mapfile -t -n 7 NEW <"$DOCUMENT"
  # canonical_header's one regex match is its header line's, so BASH_REMATCH holds its fields.
  canonical_header NEW && [[ ${BASH_REMATCH[1]} == "$GATEWAY_ID" && $((10#${BASH_REMATCH[2]})) == "$GENERATION" ]] || return 1
  [[ ${NEW[1]} == "${OLD[1]}" ]] || return 1

  # The awk pass's list: the ruleset's and the routes' element changes, each list after a mark
  # saying it was diffed, the header's other changed lines (read above instead) and the changed peer
  # lines. Globs first: a regex over a header line of 2N prefixes would cost O(N).
  mapfile -t delta <"$WORK/delta"
  for line in "${delta[@]}"; do
    case $line in
      [-+][1-7]\ *) continue ;;
      R[-+]*) route_list+=("$line") ;;
      S+*) set_added+=("${line:2}") ;;
      S-*) set_removed+=("${line:2}") ;;
      [RS][=!]) marks+=$line ;;
      *) peer_list+=("$line") ;;
    esac
  done
  if [[ ${NEW[2]} != "${OLD[2]}" ]]; then
    [[ ${NEW[2]} == '"nftables":"'*'",' ]] || return 1
    ruleset=${NEW[2]:12:-2}
    if [[ $marks == *S=* ]]; then
      # Only elements of its named set changed: the rest is the applied ruleset's to the byte,
      # checked when it was applied (and by the awk pass against NFT_RE's rule: no quote, no escape
      # but \n), so the elements that came are what is left to check.
      for line in "${set_added[@]}"; do
        canonical_prefix "$line" || die "refused: a set element that is not a canonical prefix: ${line:0:80}"
      done
      # Those that went were checked when they came; they go into an nft command now.
      for line in "${set_removed[@]}"; do canonical_prefix "$line" || return 1; done
      ruleset=${ruleset//\\n/$'\n'}
      set_element_changes
      set_changes=$REPLY
    else
      [[ ${NEW[2]} =~ $NFT_RE ]] || return 1
      ruleset=${BASH_REMATCH[1]//\\n/$'\n'}
      check_ruleset "$ruleset"
      whole_ruleset=1
    fi
  fi
  if [[ ${NEW[3]} != "${OLD[3]}" ]]; then
    [[ $marks == *R=* ]] || return 1
    route_changes "$dev" route_list || return 1
    changes=$REPLY
  fi

  # Changed lines past the header must all be peer lines; the comma after a peer only says "not the
  # last one", so it is dropped (a peer whose comma alone changed is kept as it is).
  for line in "${peer_list[@]}"; do
    [[ $line =~ ^([-+])([0-9]+)\ (.*)$ ]] || return 1
    line=${BASH_REMATCH[3]%,}
    [[ $line == '{"allowedIps":'* ]] || return 1
    if [[ ${BASH_REMATCH[1]} == - ]]; then removed[$line]=1; else added[$line]=1; fi
  done
  for line in "${!removed[@]}"; do
    if [[ -n ${added[$line]:-} ]]; then
      kept[$line]=1
      continue
    fi
    peer_line "$line" || return 1
    key=${BASH_REMATCH[11]}
    gone+=("$key")
    old_endpoint[$key]=${BASH_REMATCH[5]}
    old_keepalive[$key]=${BASH_REMATCH[8]}
    old_psk[$key]=${BASH_REMATCH[10]}
  done
  for line in "${!added[@]}"; do
    [[ -z ${kept[$line]:-} ]] || continue
    peer_line "$line" || return 1
    # own_psk matches a regex of its own: the fields are kept apart (no second match: each costs).
    fields=("${BASH_REMATCH[@]}")
    key=${fields[11]}
    own_psk "${fields[7]}" "${fields[10]}" || die "refused: peer ${fields[7]} names a key that is not its own peering's"
    if [[ -n ${old_endpoint[$key]+set} ]]; then
      # wg set cannot clear an endpoint or a preshared key: such an update takes the full path.
      [[ -n ${fields[5]} || -z ${old_endpoint[$key]} ]] || return 1
      [[ -n ${fields[10]} || -z ${old_psk[$key]} ]] || return 1
      updated[$key]=1
    fi
    # Key, allowed IPs, endpoint, keepalive, preshared key name; PEER_RE admits no '|' in any.
    came+=("$key|${fields[1]//\"/}|${fields[5]}|${fields[8]}|${fields[10]}")
  done

  # Everything checked: from here on, changes are made (the ruleset first; when its set's elements
  # do not apply, the full path runs instead, nothing changed yet).
  for key in "${gone[@]}"; do
    if [[ -z ${updated[$key]:-} && -n ${old_psk[$key]} ]]; then stale_secrets+=("${old_psk[$key]}"); fi
  done
  for line in "${came[@]}"; do
    IFS='|' read -r key allowed endpoint keepalive psk <<<"$line"
    wg_args+=(peer "$key" allowed-ips "$allowed")
    if [[ -n $endpoint ]]; then wg_args+=(endpoint "$endpoint"); fi
    if [[ $keepalive != null ]]; then
      wg_args+=(persistent-keepalive "$keepalive")
    elif [[ ${old_keepalive[$key]:-null} != null ]]; then wg_args+=(persistent-keepalive off); fi
    if [[ -n ${updated[$key]:-} && -n ${old_psk[$key]} && ${old_psk[$key]} != "$psk" ]]; then
      stale_secrets+=("${old_psk[$key]}")
    fi
    if [[ -n $psk ]]; then
      resolve_secret_names "$psk"
      # A pipe, never a file: a here-string is a temporary file on bash < 5.1.
      exec {fd}< <(printf '%s\n' "${SECRET[$psk]}")
      fds+=("$fd")
      wg_args+=(preshared-key "/dev/fd/$fd")
    fi
  done
  for key in "${gone[@]}"; do
    if [[ -z ${updated[$key]:-} ]]; then wg_args+=(peer "$key" remove); fi
  done
  # The ruleset before peers and routes, as on the full path (lib/apply-full.sh apply_wireguard):
  # the whole table when more than its set's elements changed, else those elements alone.
  if [[ -n $ruleset ]]; then
    nft_script "$dev" "$ruleset"
    script=$REPLY
    if [[ -n $whole_ruleset ]]; then
      load_ruleset "$script"
    elif [[ -n $set_changes ]] && ! load_set_changes "$set_changes"; then
      # No table to change (flushed from outside), or not the applied one: nothing was changed, and
      # the full path loads the whole table before it touches a peer or a route.
      for fd in "${fds[@]}"; do exec {fd}<&-; done
      echo "apply-config: the set elements did not apply to table inet vpc_peering (removed or changed from outside?); applying the whole document" >&2
      return 1
    fi
    # In place, by a builtin: a crash while it is written leaves a file without its last line,
    # which --report never loads (lib/kernel.sh RULESET_END, IN_PLACE), and delta.base empty.
    applied_ruleset "$script" "$IN_PLACE"
    printf '%s' "$REPLY" >"$STATE_DIR/nftables.applied" || die "cannot write $STATE_DIR/nftables.applied"
  fi
  if ((${#wg_args[@]})); then
    wg set "$dev" "${wg_args[@]}" >/dev/null 2>&1 || die "wg set $dev failed"
  fi
  for fd in "${fds[@]}"; do exec {fd}<&-; done
  if [[ -n $changes ]]; then
    ip -batch - <<<"$changes" >/dev/null 2>"$WORK/ip.err" || die "ip failed: $(tr '\n' ' ' <"$WORK/ip.err")"
  fi
  # delta.base last: until it is written, the next apply takes the full path (see above).
  applied_line
  printf '%s' "$REPLY" >"$STATE_DIR/applied.json" || die "cannot write $STATE_DIR/applied.json"
  printf '%s\n' "$base" >"$STATE_DIR/delta.base" || die "cannot write $STATE_DIR/delta.base"
  for key in "${stale_secrets[@]}"; do
    cache_file "$key"
    stale_files+=("$REPLY")
  done
  if ((${#stale_files[@]})); then rm -f -- "${stale_files[@]}"; fi
}
