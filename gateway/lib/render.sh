# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# The full path's reading of a document: one jq pass (jq/render.jq) validates it and renders
# every artifact into FIELDS.

# shellcheck disable=SC2016 # jq program, not shell
JQ_PROGRAM=$(<"$GATEWAY_SRC/jq/render.jq")

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
      # The program did not compile: an older jq (halt_error came with 1.6), not the document.
      3) die "jq 1.6 or later is required ($(jq --version 2>&1) cannot compile the render program: ${message#jq: })" ;;
      *) die "invalid state document: ${message#jq: error*: }" ;;
    esac
  fi
  mapfile -d '' FIELDS <"$WORK/rendered"
}
