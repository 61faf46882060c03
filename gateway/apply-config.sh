#!/usr/bin/env bash
# apply-config.sh - applies a gateway's desired state (docs/ARCHITECTURE.md "Desired-state document").
# Run by the SSM Command document on AWS and by the embedded runtime's local hosts.
#
#   apply-config.sh --gateway-id ID --generation N --state-uri s3://…|file://…
#   apply-config.sh --restore     # re-apply the persisted state (boot time)
#   apply-config.sh --report      # print the status report only
#
# Env: VPG_STATE_DIR (/var/lib/vpc-peering), VPG_MODE (wireguard|files), VPG_SECRET_SOURCE
# (ssm | dir:/path), VPG_VPC_IF (eth1), VPG_WAN_IF (eth0), VPG_WG_IF (default: state .interface.name).
# The last stdout line is a JSON report; secrets never reach stdout, stderr, argv or the report.
set -euo pipefail
umask 077

STATE_DIR=${VPG_STATE_DIR:-/var/lib/vpc-peering}
MODE=${VPG_MODE:-wireguard}
SECRET_SOURCE=${VPG_SECRET_SOURCE:-ssm}
VPC_IF=${VPG_VPC_IF:-eth1}
WAN_IF=${VPG_WAN_IF:-eth0}
# Tables and files this script owns.
NFT_TABLE='inet vpc_peering'
KEY_RE='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$'

die() { echo "apply-config: $*" >&2; exit 1; }
usage() { echo "apply-config: $*; usage: apply-config.sh --gateway-id ID --generation N --state-uri URI | --restore | --report" >&2; exit 2; }
trap 'die "unexpected failure (line $LINENO)"' ERR

need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "required command not found: $c"; done; }

# ---------- arguments ----------
ACTION=apply GATEWAY_ID='' GENERATION='' STATE_URI=''
while (($#)); do
  case $1 in
    --gateway-id) (($# >= 2)) || usage "--gateway-id needs a value"; GATEWAY_ID=$2; shift 2 ;;
    --generation) (($# >= 2)) || usage "--generation needs a value"; GENERATION=$2; shift 2 ;;
    --state-uri) (($# >= 2)) || usage "--state-uri needs a value"; STATE_URI=$2; shift 2 ;;
    --restore) ACTION=restore; shift ;;
    --report) ACTION=report; shift ;;
    *) usage "unknown argument: $1" ;;
  esac
done
case $MODE in wireguard | files) ;; *) usage "VPG_MODE must be wireguard or files, got: $MODE" ;; esac
if [[ $ACTION == apply ]]; then
  [[ $GATEWAY_ID =~ ^[A-Za-z0-9._:-]+$ ]] || usage "--gateway-id must match ^[A-Za-z0-9._:-]+\$"
  [[ $GENERATION =~ ^[0-9]{1,15}$ ]] || usage "--generation must be a non-negative integer"
  [[ $STATE_URI =~ ^(s3://[^[:space:]]+|file:///[^[:space:]]*)$ ]] || usage "--state-uri must be s3://… or file:///…"
  GENERATION=$((10#$GENERATION))
fi
need jq
[[ $MODE == files ]] || need wg ip nft

mkdir -p "$STATE_DIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vpg.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---------- helpers ----------
# Writes stdin to $1 atomically (same directory, then rename), so a crash never leaves half a file.
write_atomic() { local dest=$1 tmp; tmp=$(mktemp "$dest.XXXXXX"); cat >"$tmp"; mv -f "$tmp" "$dest"; }

fetch_state() {
  case $1 in
    s3://*) need aws; aws s3 cp --only-show-errors "$1" - ;;
    file://*) cat -- "${1#file://}" ;;
  esac
}

# A secret name is a path-like SSM parameter name; '..' is refused so dir: sources cannot escape.
fetch_secret() {
  local name=$1 value
  [[ $name =~ ^/[A-Za-z0-9_.:/-]+$ && ! $name =~ (^|/)\.\.(/|$) ]] || die "invalid secret name: $name"
  case $SECRET_SOURCE in
    ssm) need aws
         value=$(aws ssm get-parameter --with-decryption --name "$name" --query Parameter.Value --output text 2>/dev/null) \
           || die "cannot read secret $name from SSM" ;;
    dir:/*) value=$(cat -- "${SECRET_SOURCE#dir:}$name" 2>/dev/null) || die "secret not found: $name" ;;
    *) die "VPG_SECRET_SOURCE must be ssm or dir:/path" ;;
  esac
  # Every secret here is a WireGuard key; anything else would be a config-injection vector.
  [[ $value =~ $KEY_RE ]] || die "secret $name is not a WireGuard key"
  printf '%s' "$value"
}

# Refuses a document whose fields could inject config lines or shell words (defence in depth:
# the control plane validates too). Prints the reason; exits non-zero when the document is bad.
validate_document() {
  jq -r --arg key "$KEY_RE" '
    def cidr: type == "string" and test("^[0-9a-fA-F:.]+/[0-9]{1,3}$");
    def secret: . == null or (type == "string" and test("^/[A-Za-z0-9_.:/-]+$"));
    [ (if .schema != 1 then "schema must be 1" else empty end),
      (if (.interface.name | type == "string" and test("^[A-Za-z0-9_.=-]{1,15}$")) then empty else "interface.name" end),
      (if (.interface.address | cidr) then empty else "interface.address" end),
      (if (.interface.listenPort | type == "number" and . >= 1 and . <= 65535) then empty else "interface.listenPort" end),
      (if (.interface.mtu | . == null or (type == "number" and . >= 576 and . <= 9000)) then empty else "interface.mtu" end),
      (if (.interface.privateKeyParam | secret) then empty else "interface.privateKeyParam" end),
      (if (.routes | type == "array" and all(.[]; cidr)) then empty else "routes" end),
      (if (.nftables | . == null or type == "string") then empty else "nftables" end),
      (if (.peers | type == "array") then empty else "peers" end),
      (.peers // [] | to_entries[] | .key as $i | .value |
        (if (.publicKey | type == "string" and test($key)) then empty else "peers[\($i)].publicKey" end),
        (if (.presharedKeyParam | secret) then empty else "peers[\($i)].presharedKeyParam" end),
        (if (.allowedIps | type == "array" and all(.[]; cidr)) then empty else "peers[\($i)].allowedIps" end),
        (if (.endpoint | . == null or (type == "string" and test("^([0-9.]+|\\[[0-9a-fA-F:]+\\]):[0-9]{1,5}$"))) then empty else "peers[\($i)].endpoint" end),
        (if (.persistentKeepalive | . == null or (type == "number" and . >= 0 and . <= 65535)) then empty else "peers[\($i)].persistentKeepalive" end))
    ] | if length == 0 then empty else "invalid state document: " + join(", ") | halt_error(1) end
  ' "$1" 2>&1 >/dev/null || return 1
}

wg_if_of() { if [[ -n ${VPG_WG_IF:-} ]]; then echo "$VPG_WG_IF"; else jq -r '.interface.name' "$1"; fi; }

# Renders the `wg syncconf` config of document $1 into $2 (0600: it holds the keys).
render_wg_conf() {
  local doc=$1 out=$2 wg_if=$3 key_param pub psk_param ips endpoint keepalive secret
  key_param=$(jq -r '.interface.privateKeyParam // ""' "$doc")
  {
    echo '[Interface]'
    # Secrets go through variables (assignments stop on failure under set -e), never argv.
    if [[ -n $key_param ]]; then
      secret=$(fetch_secret "$key_param")
      printf 'PrivateKey = %s\n' "$secret"
    elif [[ $MODE == wireguard ]]; then
      # The control plane does not hold this key: keep the one the interface already has.
      secret=$(wg show "$wg_if" private-key) || die "cannot read the private key of $wg_if"
      if [[ $secret =~ $KEY_RE ]]; then printf 'PrivateKey = %s\n' "$secret"; fi
    fi
    printf 'ListenPort = %s\n' "$(jq -r '.interface.listenPort' "$doc")"
    # Fields split on \x1f, not a tab: IFS whitespace would merge the empty fields of null values.
    while IFS=$'\x1f' read -r pub psk_param ips endpoint keepalive; do
      printf '\n[Peer]\nPublicKey = %s\n' "$pub"
      if [[ -n $psk_param ]]; then
        secret=$(fetch_secret "$psk_param")
        printf 'PresharedKey = %s\n' "$secret"
      fi
      printf 'AllowedIPs = %s\n' "$ips"
      if [[ -n $endpoint ]]; then printf 'Endpoint = %s\n' "$endpoint"; fi
      if [[ -n $keepalive && $keepalive != 0 ]]; then printf 'PersistentKeepalive = %s\n' "$keepalive"; fi
    done < <(jq -r '.peers[] | [.publicKey, (.presharedKeyParam // ""), (.allowedIps | join(",")),
                                (.endpoint // ""), (.persistentKeepalive // "" | tostring)] | join("\u001f")' "$doc")
  } >"$out"
}

render_routes() { jq -r '.routes[]' "$1" >"$2"; }

# One nft transaction: create-if-absent + delete + the document's table = atomic replace.
render_nft() {
  {
    printf 'define vpc_if = "%s"\ndefine wan_if = "%s"\n' "$VPC_IF" "$WAN_IF"
    printf 'table %s {}\ndelete table %s\n' "$NFT_TABLE" "$NFT_TABLE"
    jq -r '.nftables // ""' "$1"
  } >"$2"
}

apply_address() {
  local wg_if=$1 want=$2 mtu=$3 have
  ip addr replace "$want" dev "$wg_if"
  # A changed tunnel address must not leave the old one behind.
  while read -r have; do
    if [[ -n $have && $have != "$want" ]]; then ip addr del "$have" dev "$wg_if"; fi
  done < <(ip -j addr show dev "$wg_if" | jq -r '.[].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"')
  if [[ -n $mtu ]]; then ip link set dev "$wg_if" mtu "$mtu" up; else ip link set dev "$wg_if" up; fi
}

# `ip route show` prints host routes without their /32 (/128) and 0/0 as "default".
route_key() {
  case $1 in 0.0.0.0/0 | ::/0) echo default ;; */32 | */128) echo "${1%/*}" ;; *) echo "$1" ;; esac
}

apply_routes() {
  local wg_if=$1 list=$2 prefix family have
  declare -A desired=()
  while read -r prefix; do
    [[ -n $prefix ]] || continue
    ip route replace "$prefix" dev "$wg_if" proto static
    desired[$(route_key "$prefix")]=1
  done <"$list"
  for family in -4 -6; do
    while read -r have; do
      if [[ -n $have && -z ${desired[$have]:-} ]]; then ip "$family" route del "$have" dev "$wg_if" proto static; fi
    done < <(ip -j "$family" route show dev "$wg_if" proto static | jq -r '.[].dst')
  done
}

apply_wireguard() {
  local doc=$1 wg_if=$2 err
  ip link show dev "$wg_if" >/dev/null 2>&1 \
    || die "interface $wg_if does not exist (the gateway product provisions it)"
  render_wg_conf "$doc" "$TMP/wg.conf" "$wg_if"
  # syncconf, never setconf: unchanged peers keep their sessions and counters.
  # Its output is not echoed: a parse error would quote a config line, which may hold a key.
  wg syncconf "$wg_if" "$TMP/wg.conf" >/dev/null 2>&1 || die "wg syncconf $wg_if failed"
  apply_address "$wg_if" "$(jq -r '.interface.address' "$doc")" "$(jq -r '.interface.mtu // ""' "$doc")"
  render_routes "$doc" "$TMP/routes.txt"
  apply_routes "$wg_if" "$TMP/routes.txt"
  render_nft "$doc" "$TMP/nftables.nft"
  err=$(nft -f "$TMP/nftables.nft" 2>&1) || die "nft -f failed: ${err//$'\n'/ }"
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null
}

apply_files() {
  local doc=$1 wg_if=$2
  render_wg_conf "$doc" "$TMP/wg.conf" "$wg_if"
  render_routes "$doc" "$TMP/routes.txt"
  render_nft "$doc" "$TMP/nftables.nft"
  local f; for f in wg.conf routes.txt nftables.nft; do write_atomic "$STATE_DIR/$f" <"$TMP/$f"; done
}

persist() {
  local doc=$1 gateway_id=$2 generation=$3
  write_atomic "$STATE_DIR/state.json" <"$doc"
  jq -n --arg id "$gateway_id" --argjson g "$generation" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '{gatewayId: $id, generation: $g, appliedAt: $at}' | write_atomic "$STATE_DIR/applied.json"
}

# Peers as the interface sees them. The dump's first line holds the private key and each peer
# line holds the preshared key (field 2): both are cut before anything is printed.
peers_from_interface() {
  wg show "$1" dump | tail -n +2 | cut -f1,3-7 | jq -R -s '
    [ split("\n")[] | select(length > 0) | split("\t") |
      { publicKey: .[0],
        endpoint: (if .[1] == "(none)" then null else .[1] end),
        allowedIps: (if .[2] == "(none)" then [] else .[2] | split(",") end),
        latestHandshake: (.[3] | tonumber), rxBytes: (.[4] | tonumber), txBytes: (.[5] | tonumber) } ]'
}

peers_from_state() {
  jq '[.peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}]' "$1"
}

applied_generation() {
  if [[ -f $STATE_DIR/applied.json ]]; then
    jq -r --arg id "$1" 'if .gatewayId == $id then .generation else 0 end' "$STATE_DIR/applied.json"
  else echo 0; fi
}

# Prints the report; $1 = extra fields (e.g. {"skipped":"stale"}).
report() {
  local extra=${1:-'{}'} peers='[]' gateway_id=${GATEWAY_ID:-} generation=0
  if [[ -f $STATE_DIR/state.json && -f $STATE_DIR/applied.json ]]; then
    gateway_id=$(jq -r '.gatewayId' "$STATE_DIR/applied.json")
    generation=$(jq -r '.generation' "$STATE_DIR/applied.json")
    if [[ $MODE == wireguard ]]; then
      peers=$(peers_from_interface "$(wg_if_of "$STATE_DIR/state.json")") || die "cannot read the interface status"
    else
      peers=$(peers_from_state "$STATE_DIR/state.json")
    fi
  fi
  jq -c -n --arg id "$gateway_id" --argjson g "$generation" --arg mode "$MODE" --argjson peers "$peers" \
    --argjson extra "$extra" \
    '{gatewayId: (if $id == "" then null else $id end), appliedGeneration: $g, mode: $mode, peers: $peers} + $extra'
}

apply_document() {
  local doc=$1 err
  err=$(validate_document "$doc") || die "${err:-invalid state document}"
  if [[ $MODE == wireguard ]]; then apply_wireguard "$doc" "$(wg_if_of "$doc")"; else apply_files "$doc" "$(wg_if_of "$doc")"; fi
}

# ---------- main ----------
if [[ $ACTION == report ]]; then report; exit 0; fi

exec 9>"$STATE_DIR/lock"
flock 9

case $ACTION in
  restore)
    [[ -f $STATE_DIR/state.json ]] || { echo "apply-config: nothing to restore in $STATE_DIR" >&2; exit 0; }
    cp "$STATE_DIR/state.json" "$TMP/state.json"
    apply_document "$TMP/state.json"
    ;;
  apply)
    fetch_state "$STATE_URI" >"$TMP/state.json" 2>/dev/null || die "cannot fetch $STATE_URI"
    jq -e . "$TMP/state.json" >/dev/null 2>&1 || die "state document is not JSON: $STATE_URI"
    [[ $(jq -r '.gatewayId' "$TMP/state.json") == "$GATEWAY_ID" ]] || die "state document is for another gateway"
    [[ $(jq -r '.generation' "$TMP/state.json") == "$GENERATION" ]] || die "state document generation does not match $GENERATION"
    applied=$(applied_generation "$GATEWAY_ID")
    if ((GENERATION < applied)); then
      echo "apply-config: generation $GENERATION is older than applied $applied; nothing applied" >&2
      report '{"skipped":"stale"}'
      exit 0
    fi
    apply_document "$TMP/state.json"
    persist "$TMP/state.json" "$GATEWAY_ID" "$GENERATION"
    ;;
esac
report
