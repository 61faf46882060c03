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
# Run by apply_delta (lib/apply-delta.sh):
#   awk -v copy=FILE -v previous=FILE -v changes=FILE "$CHANGED_LINES" OLD NEW | sha256sum
function advance() {
  old_line = next_line; has_old = has_next; old_at = next_at
  has_next = next_at < old_count
  if (has_next) { next_at++; next_line = old_lines[next_at] }
}
function old_gone() { if (old_line in came) delete came[old_line]; else gone[old_line] = old_at }
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
has_old && $0 == old_line { advance(); next }
$0 in gone { delete gone[$0]; next }
has_next && $0 == next_line { old_gone(); advance(); advance(); next }
{ came[$0] = FNR }
END {
  if (failed) exit 2
  if (close(copy) != 0) exit 2
  while (has_old) { old_gone(); advance() }
  # Appended: the caller empties `changes` first (lib/apply-delta.sh says why).
  for (line in came) { print "+" came[line] " " line >> changes; listed++ }
  for (line in gone) { print "-" gone[line] " " line >> changes; listed++ }
  if (listed && close(changes) != 0) exit 2
}
