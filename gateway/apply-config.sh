#!/usr/bin/env bash
# apply-config.sh - applies a gateway's desired state (docs/ARCHITECTURE.md "Desired-state document").
# Run by the SSM Command document on AWS and by the embedded runtime's local hosts.
#
#   apply-config.sh --gateway-id ID --generation N --state-uri s3://…|file://…
#   apply-config.sh --restore     # re-apply the persisted state (boot time)
#   apply-config.sh --report      # print the status report only
#
# Env (or VPG_*=value lines in /etc/vpc-peering/gateway.env, see VPG_ENV_FILE): VPG_STATE_DIR
# (/var/lib/vpc-peering), VPG_MODE (wireguard|files), VPG_SECRET_SOURCE (ssm | dir:/path),
# VPG_VPC_IF (eth1), VPG_WAN_IF (eth0), VPG_WG_IF (default: state .interface.name).
# The last stdout line is a JSON report; secrets never reach stdout, stderr, argv or the report.
#
# Cost model: a push that changes one peer must cost about what a bare `wg set` costs, whatever the
# number of peers. So: one jq pass validates and renders everything (it is the costly process),
# secrets come from builtins and an instance-side cache, the interface/route state is read by one
# `ip` and changed by one `ip -batch` (only when something differs), nft runs only when its ruleset
# changed, and everything persisted is renamed into place by one `mv`.
set -euo pipefail
umask 077

# The instance's own settings (on AWS the SSM document passes none): VPG_*=value lines of
# $VPG_ENV_FILE, read as data, never sourced. The environment wins over the file.
ENV_FILE=${VPG_ENV_FILE:-/etc/vpc-peering/gateway.env}
if [[ -r $ENV_FILE ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^(VPG_(STATE_DIR|MODE|SECRET_SOURCE|VPC_IF|WAN_IF|WG_IF))=([A-Za-z0-9_./:@-]*)$ ]]; then
      [[ -n ${!BASH_REMATCH[1]:-} ]] || printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[3]}"
    elif [[ -n $line && $line != \#* ]]; then
      echo "apply-config: ignoring unrecognised line in $ENV_FILE: $line" >&2
    fi
  done <"$ENV_FILE"
fi

STATE_DIR=${VPG_STATE_DIR:-/var/lib/vpc-peering}
MODE=${VPG_MODE:-wireguard}
SECRET_SOURCE=${VPG_SECRET_SOURCE:-ssm}
VPC_IF=${VPG_VPC_IF:-eth1}
WAN_IF=${VPG_WAN_IF:-eth0}
# Scratch files (under the lock) and the secret cache (README "Secret cache").
WORK=$STATE_DIR/work
CACHE=$STATE_DIR/secrets
KEY_RE='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$'
SECRET_NAME_RE='^/[A-Za-z0-9_.:/-]+$'
# How many names one `aws ssm get-parameters` call accepts.
SSM_BATCH=10

die() { echo "apply-config: $*" >&2; exit 1; }
usage() { echo "apply-config: $*; usage: apply-config.sh --gateway-id ID --generation N --state-uri URI | --restore | --report" >&2; exit 2; }
trap 'die "unexpected failure (line $LINENO)"' ERR

need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "required command not found: $c"; done; }

# ---------- arguments ----------
ACTION=apply GATEWAY_ID='' GENERATION=0 STATE_URI=''
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
need jq awk flock mv
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
  and ([.peers[].endpoint | select(. != null)] | all_match($endpoint));
# Refuses fields that could inject config lines or shell words (defence in depth: the control plane
# validates too). A NUL would also shift the output fields.
def problems:
  [ (if .schema != 1 then "schema must be 1" else empty end),
    (if (.interface.name | type == "string" and test("^[A-Za-z0-9_.=-]{1,15}$")) then empty else "interface.name" end),
    (if (.interface.address | cidr) then empty else "interface.address" end),
    (if (.interface.listenPort | type == "number" and . >= 1 and . <= 65535) then empty else "interface.listenPort" end),
    (if (.interface.mtu | . == null or (type == "number" and . >= 576 and . <= 9000)) then empty else "interface.mtu" end),
    (if (.interface.privateKeyParam | secret) then empty else "interface.privateKeyParam" end),
    (if (.routes | type == "array" and all_match($cidr)) then empty else "routes" end),
    (if (.nftables | . == null or (type == "string" and (split(nul) | length) == 1)) then empty else "nftables" end),
    (if (.peers | type == "array") then empty else "peers" end),
    # Per-peer messages only when the whole-list checks failed.
    (if (.peers | type == "array") and peers_ok then empty else .peers // [] | to_entries[] | .key as $i | .value |
      (if (.publicKey | type == "string" and test($key)) then empty else "peers[\($i)].publicKey" end),
      (if (.presharedKeyParam | secret) then empty else "peers[\($i)].presharedKeyParam" end),
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

# The ruleset names the interfaces through these defines: $wg_if is the one configured here.
def nft_ruleset($dev):
  "define wg_if = \"\($dev)\"\ndefine vpc_if = \"\($vpcif)\"\ndefine wan_if = \"\($wanif)\"\n"
  + "table inet vpc_peering {}\ndelete table inet vpc_peering\n" + (.nftables // "") + "\n";

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
      nft_ruleset($dev), nul,
      (.routes | map(. + "\n") | add // ""), nul,
      (if $mode == "files" then [.peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson else "" end), nul,
      wg_config)
  end
'

# Runs the jq pass on document $1 into the array FIELDS.
render_document() {
  local doc=$1 rc=0 message=''
  local -a inputs=()
  if [[ -f $STATE_DIR/applied.json ]]; then inputs+=(--slurpfile applied "$STATE_DIR/applied.json")
  else inputs+=(--argjson applied '[]'); fi
  if [[ $MODE == wireguard ]]; then
    # Links with their addresses, then the static routes of every table (both families).
    ip -j -batch - <<<$'address show\nroute show table all proto static' >"$WORK/ip.json" 2>"$WORK/ip.err" \
      || die "cannot read the network state: $(tr '\n' ' ' <"$WORK/ip.err")"
    inputs+=(--slurpfile ipnow "$WORK/ip.json")
  else inputs+=(--argjson ipnow '[]'); fi
  jq -n -j --arg action "$ACTION" --arg id "$GATEWAY_ID" --argjson gen "$GENERATION" --arg mode "$MODE" \
    --arg wgif "${VPG_WG_IF:-}" --arg vpcif "$VPC_IF" --arg wanif "$WAN_IF" --arg key "$KEY_RE" \
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

# Value of secret $1 from the cache in REPLY; fails when absent or not a WireGuard key (e.g. torn).
cache_read() {
  local name value
  cache_file "$1"
  [[ -f $REPLY ]] || return 1
  { IFS= read -r name && IFS= read -r value; } <"$REPLY" || return 1
  [[ $name == "$1" && $value =~ $KEY_RE ]] || return 1
  REPLY=$value
}

# Reads secret file $1 of a dir: source into REPLY, trailing newlines dropped; builtins only.
read_secret_file() {
  local file=${SECRET_SOURCE#dir:}$1 value=''
  [[ -f $file && -r $file ]] || die "secret not found: $1"
  IFS= read -r -d '' value <"$file" || true
  REPLY=${value%"${value##*[!$'\n']}"}
}

# Fetches secrets "$@" from SSM into SECRET, SSM_BATCH names per call; values never touch disk.
fetch_ssm() {
  local out name value
  local -a batch
  need aws
  while (($#)); do
    batch=("${@:1:SSM_BATCH}")
    shift "${#batch[@]}"
    out=$(aws ssm get-parameters --with-decryption --names "${batch[@]}" \
      --query 'Parameters[].[Name,Value]' --output text 2>/dev/null) || die "cannot read secrets ${batch[*]} from SSM"
    while IFS=$'\t' read -r name value; do
      if [[ -n $name ]]; then SECRET[$name]=$value; fi
    done <<<"$out"
  done
}

# Fills SECRET for every secret reference in FIELDS: from the cache, else from the secret source
# (then cached). Every value must be a WireGuard key: anything else would be a config-injection vector.
resolve_secrets() {
  local i name
  local -a missing=()
  for ((i = 7; i < ${#FIELDS[@]}; i += 2)); do
    name=${FIELDS[i]}
    [[ $name == @keep || -n ${SECRET[$name]+set} ]] && continue
    [[ $name =~ $SECRET_NAME_RE && ! $name =~ (^|/)\.\.(/|$) ]] || die "invalid secret name: $name"
    cache_file "$name"
    REFERENCED[${REPLY##*/}]=1
    if cache_read "$name"; then SECRET[$name]=$REPLY; else missing+=("$name"); fi
  done
  ((${#missing[@]})) || return 0
  case $SECRET_SOURCE in
    ssm) fetch_ssm "${missing[@]}" ;;
    dir:/*) for name in "${missing[@]}"; do read_secret_file "$name"; SECRET[$name]=$REPLY; done ;;
    *) die "VPG_SECRET_SOURCE must be ssm or dir:/path" ;;
  esac
  for name in "${missing[@]}"; do
    [[ -n ${SECRET[$name]+set} ]] || die "cannot read secret $name from SSM"
    [[ ${SECRET[$name]} =~ $KEY_RE ]] || die "secret $name is not a WireGuard key"
    cache_file "$name"
    printf '%s\n%s\n' "$name" "${SECRET[$name]}" >"$REPLY"
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

# ---------- applying ----------
STAGED=()
# Writes $2 to $WORK/$1, to be renamed into the state directory by persist.
stage() { printf '%s' "$2" >"$WORK/$1"; STAGED+=("$WORK/$1"); }

apply_wireguard() {
  local wg_if=${FIELDS[1]} changes=${FIELDS[2]} ruleset previous='' boot_id='' forward='' err
  # syncconf, never setconf: unchanged peers keep their sessions and counters. The config goes
  # through a pipe (as wg-quick does): a here-string larger than the pipe buffer would be written
  # to a temporary file under $TMPDIR. Its output is not echoed: a parse error would quote a config
  # line (maybe a key).
  wg syncconf "$wg_if" <(printf '%s' "$CONF") >/dev/null 2>&1 || die "wg syncconf $wg_if failed"
  if [[ -n $changes ]]; then
    ip -batch - <<<"$changes" >/dev/null 2>"$WORK/ip.err" || die "ip failed: $(tr '\n' ' ' <"$WORK/ip.err")"
  fi
  # The ruleset is reloaded only when it differs from the last one applied in this boot (a reboot
  # or --restore reloads it: the kernel state is gone then).
  IFS= read -r boot_id </proc/sys/kernel/random/boot_id || true
  ruleset="# boot $boot_id"$'\n'"${FIELDS[3]}"
  if [[ -f $STATE_DIR/nftables.applied ]]; then IFS= read -r -d '' previous <"$STATE_DIR/nftables.applied" || true; fi
  if [[ $ACTION == restore || $ruleset != "$previous" ]]; then
    stage nftables.applied "$ruleset"
    # One nft transaction: create-if-absent + delete + the document's table = atomic replace.
    err=$(nft -f "$WORK/nftables.applied" 2>&1) || die "nft -f failed: ${err//$'\n'/ }"
  fi
  IFS= read -r forward </proc/sys/net/ipv4/ip_forward || true
  if [[ $forward != 1 ]]; then echo 1 >/proc/sys/net/ipv4/ip_forward; fi
}

apply_files() {
  stage routes.txt "${FIELDS[4]}"
  stage nftables.nft "${FIELDS[3]}"
  stage wg.conf "$CONF"
}

# Renames everything staged into the state directory (each rename is atomic) with one process.
persist() {
  local now
  if [[ $ACTION == apply ]]; then
    TZ=UTC0 printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
    STAGED+=("$WORK/state.json")
    stage applied.json "{\"gatewayId\":\"$GATEWAY_ID\",\"generation\":$GENERATION,\"appliedAt\":\"$now\"}"$'\n'
  fi
  if ((${#STAGED[@]})); then mv -f -- "${STAGED[@]}" "$STATE_DIR/"; fi
}

apply_document() {
  render_document "$1"
  if [[ ${FIELDS[0]} == stale ]]; then
    echo "apply-config: generation $GENERATION is older than applied ${FIELDS[1]}; nothing applied" >&2
    report_from_store ',"skipped":"stale"'
    exit 0
  fi
  resolve_secrets
  assemble_config "${FIELDS[1]}"
  if [[ $MODE == wireguard ]]; then apply_wireguard; else apply_files; fi
  persist
  prune_cache
}

# ---------- report ----------
# Peers as the interface sees them, as JSON, into REPLY. The dump's first line holds the private
# key and each peer line holds the preshared key (field 2): neither is ever printed.
peers_from_interface() {
  REPLY=$(wg show "$1" dump | awk -F'\t' '
    function num(v) { return v ~ /^[0-9]+$/ ? v : 0 }
    NR > 1 {
      ips = $4 == "(none)" ? "" : "\"" $4 "\""
      gsub(/,/, "\",\"", ips)
      printf "%s{\"publicKey\":\"%s\",\"endpoint\":%s,\"allowedIps\":[%s],\"latestHandshake\":%s,\"rxBytes\":%s,\"txBytes\":%s}",
        (NR > 2 ? "," : ""), $1, ($3 == "(none)" ? "null" : "\"" $3 "\""), ips, num($5), num($6), num($7)
    }
    BEGIN { printf "[" } END { printf "]" }') || die "cannot read the interface status"
}

# Prints the report line; $1 = gatewayId as JSON, $2 = generation, $3 = peers JSON, $4 = extra fields.
print_report() { printf '{"gatewayId":%s,"appliedGeneration":%s,"mode":"%s","peers":%s%s}\n' "$1" "$2" "$MODE" "$3" "${4:-}"; }

report_applied() {
  local peers=${FIELDS[5]}
  if [[ $MODE == wireguard ]]; then peers_from_interface "${FIELDS[1]}"; peers=$REPLY; fi
  print_report "\"$GATEWAY_ID\"" "$GENERATION" "$peers"
}

# The report of what the state directory says was applied; $1 = extra fields.
report_from_store() {
  local id='null' generation=0 wg_if peers='[]'
  if [[ -f $STATE_DIR/state.json && -f $STATE_DIR/applied.json ]]; then
    { IFS= read -r id && IFS= read -r generation && IFS= read -r wg_if && IFS= read -r peers; } < <(
      jq -n -r --arg wgif "${VPG_WG_IF:-}" --slurpfile a "$STATE_DIR/applied.json" --slurpfile s "$STATE_DIR/state.json" '
        ($a[0].gatewayId | tojson), $a[0].generation, (if $wgif != "" then $wgif else $s[0].interface.name end),
        ([$s[0].peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson)')
    [[ $generation =~ ^[0-9]+$ ]] || die "cannot read $STATE_DIR/applied.json"
    if [[ $MODE == wireguard ]]; then peers_from_interface "$wg_if"; peers=$REPLY; fi
  fi
  print_report "$id" "$generation" "$peers" "${1:-}"
}

# ---------- main ----------
if [[ $ACTION == report ]]; then report_from_store; exit 0; fi

exec 9>"$STATE_DIR/lock"
flock 9

case $ACTION in
  restore)
    [[ -f $STATE_DIR/state.json ]] || { echo "apply-config: nothing to restore in $STATE_DIR" >&2; exit 0; }
    apply_document "$STATE_DIR/state.json"
    report_from_store
    ;;
  apply)
    case $STATE_URI in
      s3://*) need aws; aws s3 cp --only-show-errors "$STATE_URI" "$WORK/state.json" >/dev/null 2>&1 || die "cannot fetch $STATE_URI" ;;
      file://*) document=''
                [[ -r ${STATE_URI#file://} ]] || die "cannot fetch $STATE_URI"
                IFS= read -r -d '' document <"${STATE_URI#file://}" || true
                printf '%s' "$document" >"$WORK/state.json" ;;
    esac
    apply_document "$WORK/state.json"
    report_applied
    ;;
esac
