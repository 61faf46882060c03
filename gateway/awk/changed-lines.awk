# Lines of the second file (the new document) that the first (the old one) lacks ("+<line number>
# <line>"), then lines of the first that the second lacks ("-<line number> <line>"); then the second
# file is copied to `copy`. The files are walked in step, and an unequal pair is tried against the
# next line of the old file (one line removed) and against the lines set aside so far (one line added or
# moved): a change of a few lines hashes a few lines, not every line, whatever the size. A line set
# aside in one file and met in the other cancels out, so the result is the difference of the two sets
# whatever the order. `copy` may be the old file: it has been read to its end and closed before
# `copy` is opened (and so truncated). The old file is copied to `previous` as it is read, so the
# last applied document survives a delta that stops after this pass (see restore_document).
#
# Run by apply_delta (lib/apply-delta.sh): awk -v copy=FILE -v previous=FILE "$CHANGED_LINES" OLD NEW.
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
}
