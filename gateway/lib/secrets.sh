# shellcheck shell=bash
# Secrets: the names a document references, resolved from the instance-side cache, else from SSM
# or a secret directory (README "Secret cache"); values never reach argv, stdout or the report.

SECRET_NAME_RE='^/[A-Za-z0-9_.:/-]+$'
# How many names one `aws ssm get-parameters` call accepts.
SSM_BATCH=10
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
  local name
  local -a missing=()
  for name in "$@"; do
    [[ $name == @keep || -n ${SECRET[$name]+set} ]] && continue
    [[ $name =~ $SECRET_NAME_RE && ! $name =~ (^|/)\.\.(/|$) ]] || die "invalid secret name: $name"
    cache_file "$name"
    REFERENCED[${REPLY##*/}]=1
    if cache_read "$name"; then SECRET[$name]=$REPLY; else missing+=("$name"); fi
  done
  ((${#missing[@]})) || return 0
  case $SECRET_SOURCE in
    ssm) fetch_ssm "${missing[@]}" ;;
    dir:/*) for name in "${missing[@]}"; do
      read_secret_file "$name"
      SECRET[$name]=$REPLY
    done ;;
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
