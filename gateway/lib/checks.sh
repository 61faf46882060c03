# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# What the instance refuses (docs/SECURITY.md): a document it cannot verify (digest, path, bucket),
# routes that would cut it off, a ruleset outside the grammar render.ts writes, secrets not its own.

# Written by --teardown (lib/teardown.sh).
TEARDOWN_FILE=teardown.json

# True when the command's gateway was torn down here at its generation or above (applied.json's
# layout, so APPLIED_RE reads it): a push of a deleted gateway that arrived after its teardown.
torn_down() {
  local line=''
  [[ -f $STATE_DIR/$TEARDOWN_FILE ]] || return 1
  IFS= read -r line <"$STATE_DIR/$TEARDOWN_FILE" || true
  [[ $line =~ $APPLIED_RE && ${BASH_REMATCH[1]} == "$GATEWAY_ID" ]] && ((GENERATION <= 10#${BASH_REMATCH[2]}))
}

# The document the command names, into SOURCE, not yet verified: it must live under
# gateways/<gateway id>/ as <generation>.json (in VPG_STATE_BUCKET when set). An s3:// document is
# downloaded to $WORK/download.json; a file:// one is named where it is. Nothing read from SOURCE is
# trusted until a copy of it has the command's SHA-256: the delta path hashes the copy its awk pass
# wrote (lib/apply-delta.sh), and verify_document makes and hashes one for the full path.
locate_document() {
  local name rest
  printf -v name '%012d.json' "$GENERATION"
  case $STATE_URI in
    s3://*)
      rest=${STATE_URI#s3://}
      [[ -z $STATE_BUCKET || ${rest%%/*} == "$STATE_BUCKET" ]] || die "refused: state document outside bucket $STATE_BUCKET"
      [[ ${rest#*/} == "gateways/$GATEWAY_ID/$name" ]] || die "refused: state document outside gateways/$GATEWAY_ID/"
      need aws
      SOURCE=$WORK/download.json
      aws s3 cp --only-show-errors "$STATE_URI" "$SOURCE" >/dev/null 2>&1 || die "cannot fetch $STATE_URI"
      ;;
    file://*)
      [[ $STATE_URI == */"gateways/$GATEWAY_ID/$name" ]] || die "refused: state document outside gateways/$GATEWAY_ID/"
      SOURCE=${STATE_URI#file://}
      ;;
  esac
}

# A verified copy of SOURCE, into DOCUMENT: its SHA-256 must be the command's. The copy is what is
# hashed, so it cannot change between check and use.
verify_document() {
  DOCUMENT=$WORK/download.json
  if [[ $SOURCE == "$DOCUMENT" ]]; then
    sha256sum -- "$DOCUMENT" >"$WORK/digest" 2>/dev/null || die "cannot hash the state document"
  else
    # The copy and its digest in one pipeline: what is hashed is what tee wrote.
    tee -- "$DOCUMENT" 2>/dev/null <"$SOURCE" | sha256sum >"$WORK/digest" 2>/dev/null \
      || die "cannot fetch $STATE_URI"
  fi
  read_digest
  [[ $REPLY == "$STATE_SHA256" ]] || die "refused: state document digest mismatch"
}

# The SHA-256 that sha256sum wrote to $WORK/digest into REPLY (no subshell around the hash).
read_digest() { IFS=' ' read -r REPLY _ <"$WORK/digest" || die "cannot hash the state document"; }

# 32-bit value of IPv4 address $1 into REPLY; false for anything else.
ipv4_value() {
  [[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  REPLY=$(((BASH_REMATCH[1] << 24) | (BASH_REMATCH[2] << 16) | (BASH_REMATCH[3] << 8) | BASH_REMATCH[4]))
}

# Addresses no route may cover, into PROTECTED (once): PROTECTED_IPS, and in wireguard mode the
# addresses of the instance's own WAN and VPC interfaces (its endpoint and its management path).
PROTECTED=()
protected_addresses() {
  local line
  ((${#PROTECTED[@]})) && return 0
  IFS=, read -r -a PROTECTED <<<"$PROTECTED_IPS"
  if [[ $MODE == wireguard ]]; then
    # Every interface's in one process (`ip -o`: one line per address, "<index>: <name> inet …").
    while IFS= read -r line; do
      [[ $line =~ ^[0-9]+:\ +([^ ]+)\ +inet\ ([0-9.]+)/ ]] || continue
      if [[ ${BASH_REMATCH[1]} == "$WAN_IF" || ${BASH_REMATCH[1]} == "$VPC_IF" ]]; then PROTECTED+=("${BASH_REMATCH[2]}"); fi
    done < <(ip -4 -o address show 2>/dev/null)
  fi
}

# Refuses routes "$@" that are a default route or cover a protected address: through the tunnel
# they would cut the instance off from the control plane, and --restore would repeat it at boot.
# Any route that is not an IPv4 prefix, IPv6 included, is refused: the control plane renders IPv4
# only (lambdas/core/cidr.ts) and the protected addresses are IPv4, so `::/1` + `8000::/1` or
# `fd00:ec2::/32` (the IPv6 metadata service) could not be checked (docs/SECURITY.md). And only a
# canonical prefix (canonical_prefix): ip reads 172.18.0.00/16 as 172.18.0.0/16, and the delta path
# diffs routes as text, so deleting an alias would delete the route the document still holds
# (review s19k).
check_routes() {
  local route address network length mask
  (($#)) || return 0
  protected_addresses
  for route in "$@"; do
    length=${route##*/}
    ((10#$length > 0)) || die "refused: default route $route"
    [[ $route != *:* ]] || die "refused: IPv6 route $route (the control plane renders IPv4 routes only)"
    ipv4_value "${route%/*}" || die "refused: route $route is not an IPv4 prefix"
    network=$REPLY
    canonical_prefix "$route" || die "refused: route $route is not a canonical prefix (ip would read it as another)"
    mask=$(((0xffffffff << (32 - 10#$length)) & 0xffffffff))
    for address in "${PROTECTED[@]}"; do
      ipv4_value "$address" || continue
      (((REPLY & mask) != (network & mask))) || die "refused: route $route covers protected address $address"
    done
  done
}

# The lines render.ts writes (core/render.ts renderNftables), nothing else: no flush, include,
# define, other table or hook can pass. Addresses are checked as CIDRs. The one named set, `peered`,
# is declared on one line: an ipv4_addr interval set of CIDRs (a peering delta changes its elements
# alone: lib/apply-delta.sh).
NFT_CIDR='[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}'
NFT_SET="($NFT_CIDR|\\{ $NFT_CIDR(, $NFT_CIDR)* \\})"
# shellcheck disable=SC2016 # nft text, not shell
NFT_LINES=(
  '' '\}' '  \}' '  chain (input|mss_clamp|forward|postrouting) \{'
  '    type filter hook input priority filter; policy accept;'
  '    iifname \$wg_if ct state established,related accept'
  '    iifname \$wg_if drop'
  '    type filter hook forward priority (mangle|filter); policy (accept|drop);'
  '    type nat hook postrouting priority srcnat; policy accept;'
  '    oifname \$wg_if tcp flags syn / syn,rst tcp option maxseg size set rt mtu'
  '    iifname \$wg_if tcp flags syn / syn,rst tcp option maxseg size set [0-9]{1,4}'
  '    oifname \$wan_if ct state established,related ct status ! snat drop'
  '    ct state established,related accept'
  '    iifname \$vpc_if oifname \$wg_if ip saddr '"$NFT_CIDR"' accept'
  '    iifname \$wg_if oifname \$vpc_if ip daddr '"$NFT_CIDR"' accept'
  '  set peered \{ type ipv4_addr; flags interval;( elements = \{ '"$NFT_CIDR(, $NFT_CIDR)*"' \};)? \}'
  '    iifname \$wg_if oifname \$wg_if ip saddr '"$NFT_CIDR"' ip daddr @peered accept'
  '    iifname \$wg_if oifname \$wg_if ip saddr @peered ip daddr '"$NFT_CIDR"' accept'
  # The hub rules as render.ts wrote them before the named set (anonymous sets): a state.json
  # applied then is still restored at boot by this script (docs/DECISIONS.md "A peering change
  # adds and deletes set elements").
  '    iifname \$wg_if oifname \$wg_if ip saddr '"$NFT_SET"' ip daddr '"$NFT_SET"' accept'
  '    iifname \$vpc_if oifname \$wan_if accept'
  '    oifname \$wan_if masquerade'
)
printf -v NFT_LINE_RE '%s|' "${NFT_LINES[@]}"
NFT_LINE_RE="^(${NFT_LINE_RE%|})\$"

# True when set element $1 is a prefix as core/cidr.ts writes it: octets without a leading zero and
# at most 255, a length of at most 32, no host bit. nft reads 172.20.0.1/16 as 172.20.0.0/16 and
# 010.0.0.0/8 as 8.0.0.0/8, and the delta path diffs the set's elements as text: an alias would
# add nothing, or delete an interval the document still holds (review s19i).
canonical_prefix() {
  local octet
  [[ $1 =~ ^(([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3}))/([0-9]{1,2})$ ]] || return 1
  for octet in "${BASH_REMATCH[@]:2:4}"; do
    [[ $octet == 0 || $octet != 0* ]] && ((octet <= 255)) || return 1
  done
  local length=${BASH_REMATCH[6]}
  [[ $length == 0 || $length != 0* ]] && ((length <= 32)) || return 1
  ipv4_value "${BASH_REMATCH[1]}"
  ((length == 32 || (REPLY & (0xffffffff >> length)) == 0))
}

# Refuses ruleset text $1 unless it is one `table inet vpc_peering` made of NFT_LINE_RE lines, the
# elements of its named set canonical prefixes (canonical_prefix).
check_ruleset() {
  local line element
  local -a rules elements
  mapfile -t rules <<<"$1"
  [[ ${rules[0]:-} == 'table inet vpc_peering {' ]] || die "refused: the ruleset must be table inet vpc_peering"
  for line in "${rules[@]:1}"; do
    [[ $line =~ $NFT_LINE_RE ]] || die "refused: ruleset line outside the grammar: ${line:0:80}"
    [[ $line == '  set peered {'*' elements = { '* ]] || continue
    line=${line#*' elements = { '}
    IFS=, read -r -a elements <<<"${line%' }; }'}"
    for element in "${elements[@]}"; do
      canonical_prefix "${element# }" || die "refused: a set element that is not a canonical prefix: ${element:0:40}"
    done
  done
}

# True when preshared key name $2 of peer entry $1 is its own peering's (or there is none): the
# delta path's twin of the jq pass's own_psk (the same rule as core/secret-scope.ts): `psk`, or
# `psk-<16 hex>` once a move rotated it.
own_psk() {
  [[ -z $2 ]] && return 0
  [[ $1 == vpc-peering-* && $2 =~ ^/[A-Za-z0-9_.-]+/peerings/([^/]+)/psk(-[0-9a-f]{16})?$ && ${BASH_REMATCH[1]} == "${1#vpc-peering-}" ]]
}
