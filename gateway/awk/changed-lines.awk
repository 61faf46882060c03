# Appends to `changes` the lines of the second file (the new document) that the first (the old one)
# lacks ("+<line number> <line>"), then lines of the first that the second lacks ("-<line number>
# <line>"); the second file is written to `copy` and to standard output as it is read. The files
# are walked in step, and an unequal pair is tried against the next line of the old file (one line
# removed) and against the lines set aside so far (one line added or moved): a change of a few
# lines hashes a few lines, not every line, whatever the size. A line set aside in one file and met in the other cancels out, so the result is the
# difference of the two sets whatever the order.
#
# The old file is read whole first, copied to `previous` (so the last applied document survives a
# delta that stops after this pass: see restore_document) and closed; only then is `copy` opened, so
# `copy` may be the old file. The new file is read once: `copy` and standard output hold exactly
# what was diffed, and the caller pipes standard output to sha256sum to verify all three (the hash
# runs beside this pass: lib/apply-delta.sh).
#
# Lines 3 and 4, the ruleset and the routes (core/render.ts serialiseState), are long lists at many
# peerings: when one of them changed, its elements are diffed too, so the caller checks only what
# came and never matches a regex over the whole list (docs/DECISIONS.md "A peering change costs
# what it changes"). For the routes line, "R=" then "R+<element>"/"R-<element>" (each element as
# written: a quoted prefix); for the ruleset, "S=" then "S+<element>"/"S-<element>" for the
# elements of its named set `peered` (core/render.ts), when the text outside them is the old
# line's to the byte (the caller then changes the set's elements alone: docs/DECISIONS.md "A
# peering change adds and deletes set elements"); "S!" when it is not (or the set's elements are
# not a list), "R!" when the routes line is not a list. Such a line is
# then not listed whole. Nothing apart when a line is not the member it should be: it is listed
# whole, and the caller takes that as a change it cannot check apart.
#
# Run by apply_delta (lib/apply-delta.sh):
#   awk -v copy=FILE -v previous=FILE -v changes=FILE "$CHANGED_LINES" OLD NEW | sha256sum
function advance() {
  old_line = next_line; has_old = has_next; old_at = next_at
  has_next = next_at < old_count
  if (has_next) { next_at++; next_line = old_lines[next_at] }
}
function old_gone() { if (old_line in came) delete came[old_line]; else gone[old_line] = old_at }
# The elements of list `text` split at `separator`, as a set into `into`; their number.
function elements(text, separator, into,    parts, count, i) {
  count = split(text, parts, separator)
  for (i = 1; i <= count; i++) into[parts[i]] = 1
  return count
}
# Appends "<tag>+<element>" for the elements of `now` that `was` lacks, "<tag>-<element>" for the reverse.
function element_changes(tag, was, now,    element) {
  for (element in now) if (!(element in was)) print tag "+" element >> changes
  for (element in was) if (!(element in now)) print tag "-" element >> changes
}
# The routes line's elements ("routes":[…],), diffed.
function route_elements(was, now,    before, after) {
  if (was !~ /^"routes":\[.*\],$/ || now !~ /^"routes":\[.*\],$/) { print "R!" >> changes; return }
  elements(substr(was, 11, length(was) - 12), ",", before)
  elements(substr(now, 11, length(now) - 12), ",", after)
  print "R=" >> changes
  element_changes("R", before, after)
}
# The ruleset line's text with the elements of its named set `peered` taken out (its declaration
# written without them, as render.ts writes it when there are none), its elements into `into`; ""
# when the set is declared twice or its elements clause is not `elements = { a, b };`.
function ruleset_frame(line, into,    declared, head, at, before, rest, end_at, set) {
  declared = "  set peered { type ipv4_addr; flags interval;"
  head = declared " elements = { "
  at = index(line, head)
  if (!at) return line
  before = substr(line, 1, at - 1)
  rest = substr(line, at + length(head))
  end_at = index(rest, " }; }")
  if (!end_at) return ""
  set = substr(rest, 1, end_at - 1)
  rest = substr(rest, end_at + 5)
  if (set == "" || set ~ /[{}]/ || index(before, declared) || index(rest, declared)) return ""
  if (elements(set, ", ", into) == 0) return ""
  return before declared " }" rest
}
# The frame must also be text the caller can unescape by turning each \n into a newline: no quote,
# no other escape (the rule of NFT_RE, lib/apply-delta.sh); the set's elements are checked apart.
function ruleset_elements(was, now,    before, after, frame, bare) {
  frame = ruleset_frame(now, after)
  bare = frame
  gsub(/\\n/, "", bare)
  if (frame == "" || index(bare, "\\") || index(substr(bare, 13, length(bare) - 14), "\"") \
    || frame != ruleset_frame(was, before)) { print "S!" >> changes; return }
  print "S=" >> changes
  element_changes("S", before, after)
}
BEGIN {
  old = ARGV[1]; ARGV[1] = ""
  printf "" > previous
  while ((read = (getline line < old)) > 0) { old_lines[++old_count] = line; print line > previous }
  if (read < 0 || close(previous) != 0) { failed = 1; exit 2 }
  close(old)
  # The new file must open before `copy` is emptied: a document gone since the caller's check
  # leaves state.json as it was.
  if ((getline line < ARGV[2]) < 0) { failed = 1; exit 2 }
  close(ARGV[2])
  printf "" > copy
  advance(); advance()
}
{ print > copy; print }
FNR == 3 && $0 != old_lines[3] && index($0, "\"nftables\":\"") == 1 && index(old_lines[3], "\"nftables\":\"") == 1 {
  ruleset_elements(old_lines[3], $0); apart[3] = listed = 1
}
FNR == 4 && $0 != old_lines[4] && index($0, "\"routes\":[") == 1 { route_elements(old_lines[4], $0); apart[4] = listed = 1 }
has_old && $0 == old_line { advance(); next }
$0 in gone { delete gone[$0]; next }
has_next && $0 == next_line { old_gone(); advance(); advance(); next }
{ came[$0] = FNR }
END {
  if (failed) exit 2
  if (close(copy) != 0) exit 2
  while (has_old) { old_gone(); advance() }
  # Appended: the caller empties `changes` first (lib/apply-delta.sh says why).
  # Not the ruleset and routes lines whose elements were listed: 2N prefixes to read for nothing.
  for (line in came) if (!(came[line] in apart)) { print "+" came[line] " " line >> changes; listed++ }
  for (line in gone) if (!(gone[line] in apart)) { print "-" gone[line] " " line >> changes; listed++ }
  if (listed && close(changes) != 0) exit 2
}
