# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
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
