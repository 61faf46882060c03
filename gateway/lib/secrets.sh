# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# Secrets: the names a document references, resolved from the instance-side cache, else from the
# copies delivered to this instance (S3) or a secret directory (README "Secret cache"); values never
# reach argv, stdout, a file outside the cache, or the report.

SECRET_NAME_RE='^/[A-Za-z0-9_.:/-]+$'
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
# delivered again under a reused name is then fetched anew), stamped in the future (a clock stepped
# back would otherwise keep it for as long as the clock was ahead) or not a WireGuard key (e.g. torn).
cache_read() {
  local name value cached now
  cache_file "$1"
  [[ -f $REPLY ]] || return 1
  { IFS= read -r name && IFS= read -r value && IFS= read -r cached; } <"$REPLY" || return 1
  printf -v now '%(%s)T' -1
  [[ $name == "$1" && $value =~ $KEY_RE && $cached =~ ^[0-9]{1,12}$ ]] && ((cached <= now && now - cached < CACHE_SECONDS)) || return 1
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
    dir:/*) for name in "${missing[@]}"; do
      read_secret_file "$name"
      SECRET[$name]=$REPLY
    done ;;
    *) die "VPG_SECRET_SOURCE must be s3://bucket or dir:/path" ;;
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
