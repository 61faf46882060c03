#!/usr/bin/env bash
# apply-config.sh - applies a gateway's desired state (docs/ARCHITECTURE.md "Desired-state document").
# Run by the SSM Command document on AWS and by the embedded runtime's local hosts.
#
#   apply-config.sh --gateway-id ID --generation N --state-uri s3://…|file://… --state-sha256 HEX
#   apply-config.sh --restore     # re-apply the persisted state (boot time)
#   apply-config.sh --report      # print the status report only
#
# Env (or VPG_*=value lines in /etc/vpc-peering/gateway.env, see VPG_ENV_FILE): VPG_STATE_DIR
# (/var/lib/vpc-peering), VPG_MODE (wireguard|files), VPG_SECRET_SOURCE (s3://bucket | dir:/path),
# VPG_STATE_BUCKET (the only bucket documents may come from), VPG_PROTECTED_IPS (addresses no
# route may cover, comma-separated), VPG_SECRET_CACHE_SECONDS (3600), VPG_VPC_IF (eth1),
# VPG_WAN_IF (eth0), VPG_WG_IF (default: state .interface.name).
#
# The instance trusts no document (docs/SECURITY.md): it must be the one the command names (its
# SHA-256, under gateways/<gateway id>/), and it is refused when it routes a default route or a
# prefix covering a protected address, carries a ruleset outside the grammar render.ts writes, or
# names a secret that is not its own gateway's key or one of its own peerings' keys.
# The last stdout line is a JSON report; secrets never reach stdout, stderr, argv or the report.
# The full path's report and --report carry the live peers of the interface ("peers": handshake,
# bytes); a delta apply's report carries none ({"gatewayId","appliedGeneration","mode","path"}):
# reading them costs O(peers), and the control plane runs --report for them periodically.
#
# Cost model: a push that changes one peer must cost about what a bare `wg set` costs, whatever the
# number of peers. So a change is applied as that change when the interface still holds the last
# applied document (the delta path: flock, one awk pass that diffs the documents and writes the new
# one in place, one `wg set`, route and ruleset diffs only when they changed, no jq, no mv, no
# report of peers); otherwise the full path runs: one jq pass validates and renders everything,
# `wg syncconf`, one `ip -batch` of what differs from the kernel, nft only when its ruleset changed,
# everything persisted renamed into place by one `mv`. Secrets come from builtins and an
# instance-side cache.
set -euo pipefail
umask 077

# The instance's own settings (on AWS the SSM document passes none): VPG_*=value lines of
# $VPG_ENV_FILE, read as data, never sourced. The environment wins over the file.
ENV_FILE=${VPG_ENV_FILE:-/etc/vpc-peering/gateway.env}
if [[ -r $ENV_FILE ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^(VPG_(STATE_DIR|MODE|SECRET_SOURCE|STATE_BUCKET|PROTECTED_IPS|SECRET_CACHE_SECONDS|VPC_IF|WAN_IF|WG_IF))=([A-Za-z0-9_./:@,-]*)$ ]]; then
      [[ -n ${!BASH_REMATCH[1]:-} ]] || printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[3]}"
    elif [[ -n $line && $line != \#* ]]; then
      echo "apply-config: ignoring unrecognised line in $ENV_FILE: $line" >&2
    fi
  done <"$ENV_FILE"
fi

STATE_DIR=${VPG_STATE_DIR:-/var/lib/vpc-peering}
MODE=${VPG_MODE:-wireguard}
SECRET_SOURCE=${VPG_SECRET_SOURCE:-}
STATE_BUCKET=${VPG_STATE_BUCKET:-}
# Whatever a document says, these stay reachable the way they are: the instance metadata service
# (its credentials) and its DNS resolver; the instance adds its own interfaces' addresses.
PROTECTED_IPS=169.254.169.254,169.254.169.253${VPG_PROTECTED_IPS:+,$VPG_PROTECTED_IPS}
CACHE_SECONDS=${VPG_SECRET_CACHE_SECONDS:-3600}
VPC_IF=${VPG_VPC_IF:-eth1}
WAN_IF=${VPG_WAN_IF:-eth0}
# Scratch files (under the lock) and the secret cache (README "Secret cache").
WORK=$STATE_DIR/work
CACHE=$STATE_DIR/secrets
KEY_RE='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$'
SECRET_NAME_RE='^/[A-Za-z0-9_.:/-]+$'
# applied.json: the gateway and generation last applied (the comma: the number is complete).
APPLIED_RE='^\{"gatewayId":"([A-Za-z0-9._:-]+)","generation":([0-9]{1,15}),'
BOOT_ID=''
IFS= read -r BOOT_ID </proc/sys/kernel/random/boot_id || true

die() { echo "apply-config: $*" >&2; exit 1; }
usage() { echo "apply-config: $*; usage: apply-config.sh --gateway-id ID --generation N --state-uri URI --state-sha256 HEX | --restore | --report" >&2; exit 2; }
trap 'die "unexpected failure (line $LINENO)"' ERR

# Looks the commands up in one builtin call; bash then runs them without searching PATH again.
need() {
  local c
  hash "$@" 2>/dev/null && return 0
  for c in "$@"; do hash "$c" 2>/dev/null || die "required command not found: $c"; done
}

# ---------- arguments ----------
ACTION=apply GATEWAY_ID='' GENERATION=0 STATE_URI='' STATE_SHA256=''
while (($#)); do
  case $1 in
    --gateway-id) (($# >= 2)) || usage "--gateway-id needs a value"; GATEWAY_ID=$2; shift 2 ;;
    --generation) (($# >= 2)) || usage "--generation needs a value"; GENERATION=$2; shift 2 ;;
    --state-uri) (($# >= 2)) || usage "--state-uri needs a value"; STATE_URI=$2; shift 2 ;;
    --state-sha256) (($# >= 2)) || usage "--state-sha256 needs a value"; STATE_SHA256=$2; shift 2 ;;
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
  [[ $STATE_SHA256 =~ ^[0-9a-f]{64}$ ]] || usage "--state-sha256 must be 64 lowercase hex digits"
  GENERATION=$((10#$GENERATION))
fi
if [[ $ACTION != report ]]; then
  case $SECRET_SOURCE in s3://?* | dir:/*) ;; *) usage "VPG_SECRET_SOURCE must be s3://bucket or dir:/path" ;; esac
fi
[[ $CACHE_SECONDS =~ ^[0-9]{1,7}$ ]] || usage "VPG_SECRET_CACHE_SECONDS must be a number of seconds"
need jq awk flock mv cp
[[ $MODE == files ]] || need wg ip nft

[[ -d $WORK ]] || mkdir -p "$WORK"
[[ -d $CACHE ]] || mkdir -p "$CACHE"
# A files-mode wg.conf holds keys: never leave a staged one behind.
trap '[[ ! -e $WORK/wg.conf ]] || rm -f -- "$WORK/wg.conf"' EXIT

# ---------- the document: one jq pass ----------
# Output: NUL-terminated fields. "stale", applied generation; or "apply", wg interface, `ip -batch`
# changes, nft ruleset, routes.txt, files-mode report peers, then the wg config as alternating
# text / secret-reference fields (a reference is a secret name, or @keep for the interface's key).
# jq never sees a secret value. Exit 1 = refusal (message on stderr), 2/6 = not JSON.
# shellcheck disable=SC2016 # jq program, not shell
JQ_PROGRAM='
def nul: "\u0000";
"[0-9a-fA-F:.]+/[0-9]{1,3}" as $cidr
| "/[A-Za-z0-9_.:/-]+" as $secret
| "([0-9.]+|\\[[0-9a-fA-F:]+\\]):[0-9]{1,5}" as $endpoint
|
def refuse($message): "\($message)\n" | halt_error(1);
def cidr: type == "string" and test("^\($cidr)$");
def secret: . == null or (type == "string" and test("^\($secret)$"));
# Secrets of this gateway only (docs/SECURITY.md): its own key, the keys of its own peerings. Split, not
# matched, so no id needs escaping in a regex. Same rule as own_psk below and core/secret-scope.ts.
def prefix_ok: test("^[A-Za-z0-9_.-]+$");
def own_key($gw): . == null or (type == "string" and startswith("/")
  and (ltrimstr("/") | split("/") | length == 4 and (.[0] | prefix_ok) and .[1:] == ["gateways", $gw, "private-key"]));
def own_psk: .presharedKeyParam == null or (
  (.name | type == "string" and startswith("vpc-peering-"))
  and ((.name | ltrimstr("vpc-peering-")) as $pid
    | .presharedKeyParam | type == "string" and startswith("/")
      and (ltrimstr("/") | split("/") | length == 4 and (.[0] | prefix_ok) and .[1:] == ["peerings", $pid, "psk"])));
# One regex over a whole list: jq 1.6 compiles the regex of every test() call, which dominates the
# cost at 1000 peers. Items are strings without a newline, so the joined lines are the items.
def all_match($re):
  length == 0 or (all(.[]; type == "string" and (contains("\n") | not))
    and (join("\n") | test("\\A(?:\($re))(?:\\n(?:\($re)))*\\z")));
def peers_ok:
  (.peers | all(.[]; (.allowedIps | type == "array") and (.persistentKeepalive | . == null or (type == "number" and . >= 0 and . <= 65535))))
  and ([.peers[].publicKey] | all_match($key | ltrimstr("^") | rtrimstr("$")))
  and ([.peers[].allowedIps[]] | all_match($cidr))
  and ([.peers[].presharedKeyParam | select(. != null)] | all_match($secret))
  and all(.peers[]; own_psk)
  and ([.peers[].endpoint | select(. != null)] | all_match($endpoint));
# Refuses fields that could inject config lines or shell words (defence in depth: the control plane
# validates too). A NUL would also shift the output fields.
def problems:
  .gatewayId as $gw
  | [ (if .schema != 1 then "schema must be 1" else empty end),
    (if ($gw | type == "string" and test("^[A-Za-z0-9._:-]+$")) then empty else "gatewayId" end),
    (if (.interface.name | type == "string" and test("^[A-Za-z0-9_.=-]{1,15}$")) then empty else "interface.name" end),
    (if (.interface.address | cidr) then empty else "interface.address" end),
    (if (.interface.listenPort | type == "number" and . >= 1 and . <= 65535) then empty else "interface.listenPort" end),
    (if (.interface.mtu | . == null or (type == "number" and . >= 576 and . <= 9000)) then empty else "interface.mtu" end),
    (if (.interface.privateKeyParam | secret and own_key($gw)) then empty else "interface.privateKeyParam (not the key of this gateway)" end),
    (if (.routes | type == "array" and all_match($cidr)) then empty else "routes" end),
    (if (.nftables | . == null or (type == "string" and (split(nul) | length) == 1)) then empty else "nftables" end),
    (if (.peers | type == "array") then empty else "peers" end),
    # Per-peer messages only when the whole-list checks failed.
    (if (.peers | type == "array") and peers_ok then empty else .peers // [] | to_entries[] | .key as $i | .value |
      (if (.publicKey | type == "string" and test($key)) then empty else "peers[\($i)].publicKey" end),
      (if (.presharedKeyParam | secret) and own_psk then empty else "peers[\($i)].presharedKeyParam (not the key of this peering)" end),
      (if (.allowedIps | type == "array" and all(.[]; cidr)) then empty else "peers[\($i)].allowedIps" end),
      (if (.endpoint | . == null or (type == "string" and test("^\($endpoint)$"))) then empty else "peers[\($i)].endpoint" end),
      (if (.persistentKeepalive | . == null or (type == "number" and . >= 0 and . <= 65535)) then empty else "peers[\($i)].persistentKeepalive" end)
    end)
  ];

# `ip -j route show` prints host routes without their /32 (/128) and 0/0 as "default"
# (IPv6 routes are the ones carrying a "pref").
def route_key:
  if .dst == "default" then (if .pref then "::/0" else "0.0.0.0/0" end)
  elif (.dst | contains("/")) then .dst
  elif (.dst | contains(":")) then .dst + "/128"
  else .dst + "/32" end;
def set_of(list): reduce list as $item ({}; .[$item] = true);

# What `ip -batch` must change so that address, MTU, link state and routes are as desired.
def ip_changes($dev):
  (first($ipnow[0][]? | select(.ifname == $dev)) // refuse("interface \($dev) does not exist (the gateway product provisions it)")) as $link
  | .interface.address as $want
  | .interface.mtu as $mtu
  | [$link.addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] as $addresses
  | [$ipnow[1][]? | select(.dev == $dev and .table == null) | route_key] as $have
  | set_of($have[]) as $haveSet
  | .routes as $routes
  | set_of($routes[]) as $wantSet
  | [ (if any($addresses[]; . == $want) then empty else "address replace \($want) dev \($dev)" end),
      ($addresses[] | select(. != $want) | "address del \(.) dev \($dev)"),
      (if any($link.flags[]; . == "UP") and ($mtu == null or $link.mtu == $mtu) then empty
       else "link set dev \($dev)\(if $mtu == null then "" else " mtu \($mtu)" end) up" end),
      ($routes | unique[] | select($haveSet[.] | not) | "route replace \(.) dev \($dev) proto static"),
      ($have[] | select($wantSet[.] | not) | "route del \(.) dev \($dev) proto static") ]
  | map(. + "\n") | add // "";

# The `wg syncconf` config as a stream of texts; a secret is a reference between two NULs.
def secret_ref($name): nul, $name, nul;
def wg_config:
  "[Interface]\n",
  (if .interface.privateKeyParam != null then "PrivateKey = ", secret_ref(.interface.privateKeyParam), "\n"
   elif $mode == "wireguard" then secret_ref("@keep")
   else empty end),
  "ListenPort = \(.interface.listenPort)\n",
  (.peers[] |
    "\n[Peer]\nPublicKey = \(.publicKey)\n",
    (if .presharedKeyParam != null then "PresharedKey = ", secret_ref(.presharedKeyParam), "\n" else empty end),
    "AllowedIPs = \(.allowedIps | join(","))\n",
    (if .endpoint != null then "Endpoint = \(.endpoint)\n" else empty end),
    (if (.persistentKeepalive // 0) != 0 then "PersistentKeepalive = \(.persistentKeepalive)\n" else empty end));

def applied_generation:
  first($applied[] | select(.gatewayId == $id) | .generation) // 0;

([limit(1; inputs)] | if length == 0 then "not JSON\n" | halt_error(6) else .[0] end)
| if type != "object" then refuse("invalid state document: not an object") else . end
| if $action == "apply" and .gatewayId != $id then refuse("state document is for another gateway")
  elif $action == "apply" and (.generation | tostring) != ($gen | tostring) then refuse("state document generation does not match \($gen)")
  elif $action == "apply" and $gen < applied_generation then "stale", nul, "\(applied_generation)", nul
  else
    (problems | if length > 0 then refuse("invalid state document: " + join(", ")) else empty end),
    ((if $wgif != "" then $wgif else .interface.name end) as $dev
    | "apply", nul, $dev, nul,
      (if $mode == "wireguard" then ip_changes($dev) else "" end), nul,
      (.nftables // ""), nul,
      (.routes | map(. + "\n") | add // ""), nul,
      (if $mode == "files" then [.peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson else "" end), nul,
      wg_config)
  end
'

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

# The applied record as a JSON array for the jq pass, into REPLY: [] when there is none, or when
# applied.json is torn: then no generation is known to be applied, and refusing every later push as
# "not JSON" would wedge the gateway for good.
applied_record() {
  REPLY='[]'
  if read_applied; then
    REPLY="[{\"gatewayId\":\"$APPLIED_ID\",\"generation\":$APPLIED_GEN}]"
  elif [[ -f $STATE_DIR/applied.json ]]; then
    echo "apply-config: ignoring unreadable $STATE_DIR/applied.json: no generation is known to be applied" >&2
  fi
}

# Runs the jq pass on document $1 into the array FIELDS.
render_document() {
  local doc=$1 rc=0 message=''
  local -a inputs=()
  applied_record
  inputs+=(--argjson applied "$REPLY")
  if [[ $MODE == wireguard ]]; then
    # Links with their addresses, then the static routes of every table (both families).
    ip -j -batch - <<<$'address show\nroute show table all proto static' >"$WORK/ip.json" 2>"$WORK/ip.err" \
      || die "cannot read the network state: $(tr '\n' ' ' <"$WORK/ip.err")"
    inputs+=(--slurpfile ipnow "$WORK/ip.json")
  else inputs+=(--argjson ipnow '[]'); fi
  jq -n -j --arg action "$ACTION" --arg id "$GATEWAY_ID" --argjson gen "$GENERATION" --arg mode "$MODE" \
    --arg wgif "${VPG_WG_IF:-}" --arg key "$KEY_RE" \
    "${inputs[@]}" "$JQ_PROGRAM" "$doc" >"$WORK/rendered" 2>"$WORK/jq.err" || rc=$?
  if ((rc != 0)); then
    IFS= read -r message <"$WORK/jq.err" || true
    case $rc in
      1) die "$message" ;;
      2 | 6) die "state document is not JSON: ${STATE_URI:-$doc}" ;;
      *) die "invalid state document: ${message#jq: error*: }" ;;
    esac
  fi
  mapfile -d '' FIELDS <"$WORK/rendered"
}

# ---------- secrets ----------
declare -A SECRET=() REFERENCED=()

# Cache file of secret $1 in REPLY: the name, flattened ('/' cannot occur in a file name and '%'
# cannot occur in a secret name) and bounded to a file-name length; the file starts with the full
# name, so two long names sharing a file are told apart.
cache_file() {
  local key=${1#/}
  key=${key//\//%}
  if ((${#key} > 200)); then key="${key:0:190}~${#key}"; fi
  REPLY=$CACHE/$key
}

# Value of secret $1 from the cache in REPLY; fails when absent, older than CACHE_SECONDS (a copy
# delivered again under a reused name is then fetched anew) or not a WireGuard key (e.g. torn).
cache_read() {
  local name value cached now
  cache_file "$1"
  [[ -f $REPLY ]] || return 1
  { IFS= read -r name && IFS= read -r value && IFS= read -r cached; } <"$REPLY" || return 1
  printf -v now '%(%s)T' -1
  [[ $name == "$1" && $value =~ $KEY_RE && $cached =~ ^[0-9]{1,12}$ ]] && ((now - cached < CACHE_SECONDS)) || return 1
  REPLY=$value
}

# Reads secret file $1 of a dir: source into REPLY, trailing newlines dropped; builtins only.
read_secret_file() {
  local file=${SECRET_SOURCE#dir:}$1 value=''
  [[ -f $file && -r $file ]] || die "secret not found: $1"
  IFS= read -r -d '' value <"$file" || true
  REPLY=${value%"${value##*[!$'\n']}"}
}

# Fetches secrets "$@" into SECRET from the copies delivered to this instance (s3://bucket source:
# gateways/<gateway id>/secrets<name>, readable by this instance only); values come through a pipe
# and never touch disk or argv.
fetch_delivered() {
  local name value
  need aws
  for name in "$@"; do
    value=$(aws s3 cp --only-show-errors "$SECRET_SOURCE/gateways/$GATEWAY_ID/secrets$name" - 2>/dev/null) \
      || die "cannot read secret $name delivered to this instance"
    SECRET[$name]=$value
  done
}

# Fills SECRET for every secret reference in FIELDS.
resolve_secrets() {
  local i
  local -a names=()
  for ((i = 7; i < ${#FIELDS[@]}; i += 2)); do names+=("${FIELDS[i]}"); done
  resolve_secret_names "${names[@]}"
}

# Fills SECRET for secret names "$@": from the cache, else from the secret source (then cached).
# Every value must be a WireGuard key: anything else would be a config-injection vector.
resolve_secret_names() {
  local name now
  local -a missing=()
  for name in "$@"; do
    [[ $name == @keep || -n ${SECRET[$name]+set} ]] && continue
    [[ $name =~ $SECRET_NAME_RE && ! $name =~ (^|/)\.\.(/|$) ]] || die "invalid secret name: $name"
    cache_file "$name"
    REFERENCED[${REPLY##*/}]=1
    # A local file is as cheap as the cache, and always the latest delivered copy.
    if [[ $SECRET_SOURCE != dir:* ]] && cache_read "$name"; then SECRET[$name]=$REPLY; else missing+=("$name"); fi
  done
  ((${#missing[@]})) || return 0
  case $SECRET_SOURCE in
    s3://*) fetch_delivered "${missing[@]}" ;;
    dir:/*) for name in "${missing[@]}"; do read_secret_file "$name"; SECRET[$name]=$REPLY; done ;;
  esac
  printf -v now '%(%s)T' -1
  for name in "${missing[@]}"; do
    [[ -n ${SECRET[$name]+set} ]] || die "cannot read secret $name"
    [[ ${SECRET[$name]} =~ $KEY_RE ]] || die "secret $name is not a WireGuard key"
    [[ $SECRET_SOURCE != dir:* ]] || continue
    cache_file "$name"
    printf '%s\n%s\n%s\n' "$name" "${SECRET[$name]}" "$now" >"$REPLY"
  done
}

# Drops cached secrets the applied document no longer names.
prune_cache() {
  local file
  local -a stale=()
  for file in "$CACHE"/*; do
    if [[ -f $file && -z ${REFERENCED[${file##*/}]:-} ]]; then stale+=("$file"); fi
  done
  if ((${#stale[@]})); then rm -f -- "${stale[@]}"; fi
}

# The wg config from FIELDS with the secrets in place, into CONF.
assemble_config() {
  local wg_if=$1 i key
  CONF=${FIELDS[6]}
  for ((i = 7; i < ${#FIELDS[@]}; i += 2)); do
    if [[ ${FIELDS[i]} == @keep ]]; then
      # The control plane does not hold this key: keep the one the interface already has.
      key=$(wg show "$wg_if" private-key) || die "cannot read the private key of $wg_if"
      if [[ $key =~ $KEY_RE ]]; then CONF+="PrivateKey = $key"$'\n'; fi
    else
      CONF+=${SECRET[${FIELDS[i]}]}
    fi
    CONF+=${FIELDS[i + 1]:-}
  done
}

# ---------- what the instance refuses (docs/SECURITY.md) ----------
# Fetches the document the command names into $WORK/download.json, into DOCUMENT: it must live
# under gateways/<gateway id>/ as <generation>.json (in VPG_STATE_BUCKET when set) and its SHA-256
# must be the command's. A copy is checked, so the file cannot change between check and use.
fetch_document() {
  local name digest rest
  printf -v name '%012d.json' "$GENERATION"
  case $STATE_URI in
    s3://*)
      rest=${STATE_URI#s3://}
      [[ -z $STATE_BUCKET || ${rest%%/*} == "$STATE_BUCKET" ]] || die "refused: state document outside bucket $STATE_BUCKET"
      [[ ${rest#*/} == "gateways/$GATEWAY_ID/$name" ]] || die "refused: state document outside gateways/$GATEWAY_ID/"
      need aws
      aws s3 cp --only-show-errors "$STATE_URI" "$WORK/download.json" >/dev/null 2>&1 || die "cannot fetch $STATE_URI" ;;
    file://*)
      [[ $STATE_URI == */"gateways/$GATEWAY_ID/$name" ]] || die "refused: state document outside gateways/$GATEWAY_ID/"
      cp -- "${STATE_URI#file://}" "$WORK/download.json" 2>/dev/null || die "cannot fetch $STATE_URI" ;;
  esac
  digest=$(sha256sum "$WORK/download.json") || die "cannot hash the state document"
  [[ ${digest%% *} == "$STATE_SHA256" ]] || die "refused: state document digest mismatch"
  DOCUMENT=$WORK/download.json
}

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
    while IFS= read -r line; do
      [[ $line =~ inet\ ([0-9.]+)/ ]] && PROTECTED+=("${BASH_REMATCH[1]}")
    done < <(ip -4 -o address show dev "$WAN_IF" 2>/dev/null; ip -4 -o address show dev "$VPC_IF" 2>/dev/null)
  fi
}

# Refuses routes "$@" that are a default route or cover a protected address: through the tunnel
# they would cut the instance off from the control plane, and --restore would repeat it at boot.
check_routes() {
  local route address network length mask
  (($#)) || return 0
  protected_addresses
  for route in "$@"; do
    length=${route##*/}
    ((10#$length > 0)) || die "refused: default route $route"
    ipv4_value "${route%/*}" || continue
    network=$REPLY
    mask=$(((0xffffffff << (32 - 10#$length)) & 0xffffffff))
    for address in "${PROTECTED[@]}"; do
      ipv4_value "$address" || continue
      (((REPLY & mask) != (network & mask))) || die "refused: route $route covers protected address $address"
    done
  done
}

# The lines render.ts writes (core/render.ts renderNftables), nothing else: no flush, include,
# define, other table or hook can pass. Addresses are checked as CIDRs.
NFT_CIDR='[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}'
NFT_SET="($NFT_CIDR|\\{ $NFT_CIDR(, $NFT_CIDR)* \\})"
# shellcheck disable=SC2016 # nft text, not shell
NFT_LINES=(
  '' '\}' '  \}' '  chain (mss_clamp|forward|postrouting) \{'
  '    type filter hook forward priority (mangle|filter); policy (accept|drop);'
  '    type nat hook postrouting priority srcnat; policy accept;'
  '    oifname \$wg_if tcp flags syn / syn,rst tcp option maxseg size set rt mtu'
  '    iifname \$wg_if tcp flags syn / syn,rst tcp option maxseg size set [0-9]{1,4}'
  '    ct state established,related accept'
  '    iifname \$vpc_if oifname \$wg_if ip saddr '"$NFT_CIDR"' accept'
  '    iifname \$wg_if oifname \$vpc_if ip daddr '"$NFT_CIDR"' accept'
  '    iifname \$wg_if oifname \$wg_if ip saddr '"$NFT_SET"' ip daddr '"$NFT_SET"' accept'
  '    iifname \$vpc_if oifname \$wan_if accept'
  '    oifname \$wan_if masquerade'
)
printf -v NFT_LINE_RE '%s|' "${NFT_LINES[@]}"
NFT_LINE_RE="^(${NFT_LINE_RE%|})\$"

# Refuses ruleset text $1 unless it is one `table inet vpc_peering` made of NFT_LINE_RE lines.
check_ruleset() {
  local line
  local -a rules
  mapfile -t rules <<<"$1"
  [[ ${rules[0]:-} == 'table inet vpc_peering {' ]] || die "refused: the ruleset must be table inet vpc_peering"
  for line in "${rules[@]:1}"; do
    [[ $line =~ $NFT_LINE_RE ]] || die "refused: ruleset line outside the grammar: ${line:0:80}"
  done
}

# True when preshared key name $2 of peer entry $1 is its own peering's (or there is none): the
# delta path's twin of the jq pass's own_psk (the same rule as core/secret-scope.ts).
own_psk() {
  [[ -z $2 ]] && return 0
  [[ $1 == vpc-peering-* && $2 =~ ^/[A-Za-z0-9_.-]+/peerings/([^/]+)/psk$ && ${BASH_REMATCH[1]} == "${1#vpc-peering-}" ]]
}

# ---------- applying ----------
STAGED=()
# The delta base a full apply records (apply_wireguard), when its document can be one.
DELTA_BASE=''
# Writes $2 to $WORK/$1, to be renamed into the state directory by persist.
stage() { printf '%s' "$2" >"$WORK/$1" || die "cannot write $WORK/$1"; STAGED+=("$WORK/$1"); }

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
  if canonical_document "$1"; then interface_instance "$wg_if"; DELTA_BASE=$REPLY$'\n'; fi
  IFS= read -r forward </proc/sys/net/ipv4/ip_forward || true
  if [[ $forward != 1 ]]; then echo 1 >/proc/sys/net/ipv4/ip_forward; fi
}

apply_files() {
  stage routes.txt "${FIELDS[4]}"
  nft_script "${FIELDS[1]}" "${FIELDS[3]}"
  stage nftables.nft "$REPLY"
  stage wg.conf "$CONF"
}

# The content of applied.json for this apply, into REPLY.
applied_line() {
  local now
  TZ=UTC0 printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  REPLY="{\"gatewayId\":\"$GATEWAY_ID\",\"generation\":$GENERATION,\"appliedAt\":\"$now\"}"$'\n'
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
  local -a routes
  render_document "$1"
  if [[ ${FIELDS[0]} == stale ]]; then
    echo "apply-config: generation $GENERATION is older than applied ${FIELDS[1]}; nothing applied" >&2
    report_from_store ',"skipped":"stale"'
    exit 0
  fi
  check_ruleset "${FIELDS[3]}"
  routes=()
  if [[ -n ${FIELDS[4]} ]]; then mapfile -t routes <<<"${FIELDS[4]%$'\n'}"; fi
  check_routes "${routes[@]}"
  resolve_secrets
  assemble_config "${FIELDS[1]}"
  forget_delta_base
  if [[ $MODE == wireguard ]]; then apply_wireguard "$1"; else apply_files; fi
  persist
  prune_cache
}

# ---------- delta apply ----------
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
HEADER_RE='^\{"schema":1,"gatewayId":"([A-Za-z0-9._:-]+)","generation":([0-9]{1,15}),$'
# Groups: 1 allowed IPs, 4 endpoint or null, 5 endpoint, 7 name, 8 keepalive, 9/10 preshared key
# name, 11 key. peer_line checks the name's and the key's lengths.
PEER_RE='^\{"allowedIps":\[(("'$CIDR_RE'")(,"'$CIDR_RE'")*)?\],"endpoint":(null|"(([0-9.]+|\[[0-9a-fA-F:]+\]):[0-9]{1,5})"),"name":"([A-Za-z0-9._:-]+)","persistentKeepalive":(null|[0-9]{1,5}),"presharedKeyParam":(null|"(/[A-Za-z0-9_.:/-]+)"),"publicKey":"([A-Za-z0-9+/]+[AEIMQUYcgkosw480]=)","type":"(vpc-peering|road-warrior)"\}$'
ROUTES_RE='^"routes":\[(("'$CIDR_RE'")(,"'$CIDR_RE'")*)?\],$'
# The nftables text as JSON escapes it: only newlines are expected (render.ts writes no quote).
NFT_RE='^"nftables":"(([^"\\]|\\n)*)",$'

# Lines of the second file (the new document) that the first (the old one) lacks ("+<line number>
# <line>"), then lines of the first that the second lacks ("-<line number> <line>"); then the second
# file is copied to `copy`. The files are walked in step, and an unequal pair is tried against the
# old file's next line (one line removed) and against the lines set aside so far (one line added or
# moved): a change of a few lines hashes a few lines, not every line, whatever the size. A line set
# aside in one file and met in the other cancels out, so the result is the two sets' difference
# whatever the order. `copy` may be the old file: it has been read to its end and closed before
# `copy` is opened (and so truncated). The old file is copied to `previous` as it is read, so the
# last applied document survives a delta that stops after this pass (see restore_document).
CHANGED_LINES='
  function advance(read) {
    old_line = next_line; has_old = has_next; old_at = next_at
    read = (getline next_line < old)
    if (read < 0) { failed = 1; exit 2 }
    has_next = read > 0
    if (has_next) { next_at++; print next_line > previous }
  }
  function old_gone() { if (old_line in came) delete came[old_line]; else gone[old_line] = old_at }
  BEGIN { old = ARGV[1]; ARGV[1] = ""; printf "" > previous; advance(); advance() }
  has_old && $0 == old_line { advance(); next }
  $0 in gone { delete gone[$0]; next }
  has_next && $0 == next_line { old_gone(); advance(); advance(); next }
  { came[$0] = FNR }
  END {
    if (failed) exit 2
    while (has_old) { old_gone(); advance() }
    close(old)
    if (close(previous) != 0) exit 2
    printf "" > copy
    while ((read = (getline line < ARGV[2])) > 0) print line > copy
    if (read < 0 || close(copy) != 0) exit 2
    for (line in came) print "+" came[line] " " line
    for (line in gone) print "-" gone[line] " " line
  }'

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

# Route changes (`ip -batch` lines) from routes line $2 to routes line $3 on $1, into REPLY.
route_changes() {
  local dev=$1 route
  local -a old=() new=()
  local -A had=() wanted=()
  [[ $2 =~ $ROUTES_RE ]] || return 1
  IFS=, read -r -a old <<<"${BASH_REMATCH[1]//\"/}"
  [[ $3 =~ $ROUTES_RE ]] || return 1
  IFS=, read -r -a new <<<"${BASH_REMATCH[1]//\"/}"
  check_routes "${new[@]}"
  for route in "${old[@]}"; do had[$route]=1; done
  for route in "${new[@]}"; do wanted[$route]=1; done
  REPLY=''
  for route in "${!wanted[@]}"; do [[ -n ${had[$route]:-} ]] || REPLY+="route replace $route dev $dev proto static"$'\n'; done
  for route in "${!had[@]}"; do [[ -n ${wanted[$route]:-} ]] || REPLY+="route del $route dev $dev proto static"$'\n'; done
}

apply_delta() {
  local doc=$1 dev base line key allowed endpoint keepalive psk ruleset='' changes='' fd
  local -a NEW OLD delta gone=() came=() wg_args=() fds=() stale_secrets=() stale_files=()
  local -A removed=() added=() kept=() updated=() old_endpoint=() old_psk=() old_keepalive=()
  [[ $MODE == wireguard && -s $STATE_DIR/delta.base ]] || return 1
  read_applied && [[ $APPLIED_ID == "$GATEWAY_ID" ]] && ((GENERATION >= APPLIED_GEN)) || return 1
  mapfile -t -n 7 NEW <"$doc"
  mapfile -t -n 7 OLD <"$STATE_DIR/state.json"
  canonical_header NEW && canonical_header OLD || return 1
  [[ ${NEW[0]} =~ $HEADER_RE && ${BASH_REMATCH[1]} == "$GATEWAY_ID" && $((10#${BASH_REMATCH[2]})) == "$GENERATION" ]] || return 1
  [[ ${NEW[1]} == "${OLD[1]}" && ${NEW[1]} =~ \"name\":\"([A-Za-z0-9_.=-]{1,15})\" ]] || return 1
  dev=${VPG_WG_IF:-${BASH_REMATCH[1]}}
  IFS= read -r base <"$STATE_DIR/delta.base" || return 1
  interface_instance "$dev"
  [[ $base == "$REPLY" ]] || return 1
  # awk writes the new document over state.json: it must not be the document itself.
  [[ ! $doc -ef $STATE_DIR/state.json ]] || return 1
  if [[ ${NEW[2]} != "${OLD[2]}" ]]; then
    [[ ${NEW[2]} =~ $NFT_RE ]] || return 1
    ruleset=${BASH_REMATCH[1]//\\n/$'\n'}
    check_ruleset "$ruleset"
  fi
  if [[ ${NEW[3]} != "${OLD[3]}" ]]; then route_changes "$dev" "${OLD[3]}" "${NEW[3]}" || return 1; changes=$REPLY; fi

  # From here on state.json is rewritten: any refusal below falls back to the full path, as a
  # refused delta does.
  forget_delta_base
  # Changed lines past the header must all be peer lines; the comma after a peer only says "not the
  # last one", so it is dropped (a peer whose comma alone changed is kept as it is). One awk pass
  # finds them and writes the new document over the old one (one process instead of diff + cp + mv).
  awk -v copy="$STATE_DIR/state.json" -v previous="$STATE_DIR/state.previous.json" "$CHANGED_LINES" \
    "$STATE_DIR/state.json" "$doc" >"$WORK/delta" || return 1
  mapfile -t delta <"$WORK/delta"
  for line in "${delta[@]}"; do
    [[ $line =~ ^([-+])([0-9]+)\ (.*)$ ]] || return 1
    ((BASH_REMATCH[2] > 7)) || continue
    line=${BASH_REMATCH[3]%,}
    [[ $line == '{"allowedIps":'* ]] || return 1
    if [[ ${BASH_REMATCH[1]} == - ]]; then removed[$line]=1; else added[$line]=1; fi
  done
  for line in "${!removed[@]}"; do
    if [[ -n ${added[$line]:-} ]]; then kept[$line]=1; continue; fi
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
    key=${BASH_REMATCH[11]}
    own_psk "${BASH_REMATCH[7]}" "${BASH_REMATCH[10]}" || die "refused: peer ${BASH_REMATCH[7]} names a key that is not its own peering's"
    peer_line "$line"
    if [[ -n ${old_endpoint[$key]+set} ]]; then
      # wg set cannot clear an endpoint or a preshared key: such an update takes the full path.
      [[ -n ${BASH_REMATCH[5]} || -z ${old_endpoint[$key]} ]] || return 1
      [[ -n ${BASH_REMATCH[10]} || -z ${old_psk[$key]} ]] || return 1
      updated[$key]=1
    fi
    # Key, allowed IPs, endpoint, keepalive, preshared key name; PEER_RE admits no '|' in any.
    came+=("$key|${BASH_REMATCH[1]//\"/}|${BASH_REMATCH[5]}|${BASH_REMATCH[8]}|${BASH_REMATCH[10]}")
  done

  # Everything checked: from here on, changes are made.
  for key in "${gone[@]}"; do
    if [[ -z ${updated[$key]:-} && -n ${old_psk[$key]} ]]; then stale_secrets+=("${old_psk[$key]}"); fi
  done
  for line in "${came[@]}"; do
    IFS='|' read -r key allowed endpoint keepalive psk <<<"$line"
    wg_args+=(peer "$key" allowed-ips "$allowed")
    if [[ -n $endpoint ]]; then wg_args+=(endpoint "$endpoint"); fi
    if [[ $keepalive != null ]]; then wg_args+=(persistent-keepalive "$keepalive")
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
  if ((${#wg_args[@]})); then
    wg set "$dev" "${wg_args[@]}" >/dev/null 2>&1 || die "wg set $dev failed"
  fi
  for fd in "${fds[@]}"; do exec {fd}<&-; done
  if [[ -n $changes ]]; then
    ip -batch - <<<"$changes" >/dev/null 2>"$WORK/ip.err" || die "ip failed: $(tr '\n' ' ' <"$WORK/ip.err")"
  fi
  if [[ -n $ruleset ]]; then
    nft_script "$dev" "$ruleset"
    load_ruleset "$REPLY"
    persist_staged
  fi
  # delta.base last: until it is written, the next apply takes the full path (see above).
  applied_line
  printf '%s' "$REPLY" >"$STATE_DIR/applied.json" || die "cannot write $STATE_DIR/applied.json"
  printf '%s\n' "$base" >"$STATE_DIR/delta.base" || die "cannot write $STATE_DIR/delta.base"
  for key in "${stale_secrets[@]}"; do cache_file "$key"; stale_files+=("$REPLY"); done
  if ((${#stale_files[@]})); then rm -f -- "${stale_files[@]}"; fi
}

# ---------- report ----------
# Prints the peers as the interface sees them, as JSON, straight to stdout (at 1000 peers, a copy
# through a bash variable costs more than the dump). The dump's first line holds the private key
# and each peer line the preshared key (field 2): neither is ever printed.
peers_from_interface() {
  wg show "$1" dump | awk -F'\t' '
    function num(v) { return v ~ /^[0-9]+$/ ? v : 0 }
    NR > 1 {
      ips = $4 == "(none)" ? "" : "\"" $4 "\""
      gsub(/,/, "\",\"", ips)
      printf "%s{\"publicKey\":\"%s\",\"endpoint\":%s,\"allowedIps\":[%s],\"latestHandshake\":%s,\"rxBytes\":%s,\"txBytes\":%s}",
        (NR > 2 ? "," : ""), $1, ($3 == "(none)" ? "null" : "\"" $3 "\""), ips, num($5), num($6), num($7)
    }
    BEGIN { printf "[" } END { printf "]" }' || die "cannot read the interface status"
}

# Prints the start of the report line: $1 = gatewayId as JSON, $2 = generation, $3 = extra fields.
report_head() { printf '{"gatewayId":%s,"appliedGeneration":%s,"mode":"%s"%s' "$1" "$2" "$MODE" "$3"; }

# Prints the report line: report_head "$1" "$2" "$3", then the peers of interface $4 (wireguard
# mode), else the peers JSON $5.
print_report() {
  report_head "$1" "$2" "$3"
  printf ',"peers":'
  if [[ $MODE == wireguard && -n $4 ]]; then peers_from_interface "$4"; else printf '%s' "$5"; fi
  printf '}\n'
}

# The report of an apply on interface $1; $2 = the files-mode peers, $3 = extra fields.
report_applied() { print_report "\"$GATEWAY_ID\"" "$GENERATION" "$3" "$1" "$2"; }

# The report of what the state directory says was applied; $1 = extra fields.
report_from_store() {
  local id='null' generation=0 wg_if='' peers='[]'
  if [[ -f $STATE_DIR/state.json && -f $STATE_DIR/applied.json ]]; then
    { IFS= read -r id && IFS= read -r generation && IFS= read -r wg_if && IFS= read -r peers; } < <(
      jq -n -r --arg wgif "${VPG_WG_IF:-}" --slurpfile a "$STATE_DIR/applied.json" --slurpfile s "$STATE_DIR/state.json" '
        ($a[0].gatewayId | tojson), $a[0].generation, (if $wgif != "" then $wgif else $s[0].interface.name end),
        ([$s[0].peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson)')
    [[ $generation =~ ^[0-9]+$ ]] || die "cannot read $STATE_DIR/applied.json"
  fi
  print_report "$id" "$generation" "${1:-}" "$wg_if" "$peers"
}

# ---------- restore ----------
# The document to restore, into REPLY: the one of the applied generation. That is state.json,
# unless a delta apply stopped after writing it (a refused change, a crash): then its predecessor,
# which the delta's awk pass kept, is what the interface last held whole. Otherwise state.json.
restore_document() {
  local state=''
  REPLY=$STATE_DIR/state.json
  [[ -f $STATE_DIR/state.previous.json ]] && read_applied || return 0
  read_header "$STATE_DIR/state.json" || true
  state=$DOC_GEN
  if [[ $state != "$APPLIED_GEN" ]] && read_header "$STATE_DIR/state.previous.json" && [[ $DOC_GEN == "$APPLIED_GEN" ]]; then
    REPLY=$STATE_DIR/state.previous.json
  fi
}

# ---------- main ----------
if [[ $ACTION == report ]]; then report_from_store; exit 0; fi

exec 9>"$STATE_DIR/lock"
flock 9

case $ACTION in
  restore)
    [[ -f $STATE_DIR/state.json ]] || { echo "apply-config: nothing to restore in $STATE_DIR" >&2; exit 0; }
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
    apply_document "$RESTORED"
    report_from_store
    ;;
  apply)
    fetch_document
    # The delta path writes the document to $STATE_DIR/state.json itself; the full path copies it to
    # $WORK/state.json, renamed into place by persist.
    if apply_delta "$DOCUMENT"; then
      # No peers: the live ones cost O(peers) to read (--report has them).
      report_head "\"$GATEWAY_ID\"" "$GENERATION" ',"path":"delta"'
      printf '}\n'
    else
      cp -- "$DOCUMENT" "$WORK/state.json" 2>/dev/null || die "cannot fetch $STATE_URI"
      apply_document "$WORK/state.json"
      report_applied "${FIELDS[1]}" "${FIELDS[5]}" ',"path":"full"'
    fi
    ;;
esac
