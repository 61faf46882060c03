# shellcheck shell=bash disable=SC2034,SC2153
# (SC2034, SC2153: a part sets or reads globals of the other parts; `npm run lint:shell` also checks
# the assembled script whole, where they resolve.)
# The document to restore, into REPLY: the one of the applied generation. That is state.json,
# unless a delta apply stopped after its awk pass began writing state.json (a refused change, a
# digest that did not match, a crash): then state.previous.json, which that pass wrote whole before
# it opened state.json, holds the applied generation of the applied gateway and is what the
# interface last held whole. After a delta that completed, state.previous.json holds an older
# generation. So a whole state.previous.json of the applied generation wins: state.json may then
# hold a document that was never verified. A torn one (a crash while awk wrote it) does not: then
# state.json was not opened yet.
restore_document() {
  REPLY=$STATE_DIR/state.json
  [[ -f $STATE_DIR/state.previous.json ]] && read_applied || return 0
  read_header "$STATE_DIR/state.previous.json" && [[ $DOC_ID == "$APPLIED_ID" && $DOC_GEN == "$APPLIED_GEN" ]] || return 0
  if canonical_document "$STATE_DIR/state.previous.json"; then REPLY=$STATE_DIR/state.previous.json; fi
}
