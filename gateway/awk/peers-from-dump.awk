# The peers of a `wg show <if> dump` (tab-separated) as a JSON array, for the status report. The
# first line of the dump holds the private key and each peer line the preshared key (field 2): neither
# is ever printed.
function num(v) { return v ~ /^[0-9]+$/ ? v : 0 }
NR > 1 {
  ips = $4 == "(none)" ? "" : "\"" $4 "\""
  gsub(/,/, "\",\"", ips)
  printf "%s{\"publicKey\":\"%s\",\"endpoint\":%s,\"allowedIps\":[%s],\"latestHandshake\":%s,\"rxBytes\":%s,\"txBytes\":%s}",
    (NR > 2 ? "," : ""), $1, ($3 == "(none)" ? "null" : "\"" $3 "\""), ips, num($5), num($6), num($7)
}
BEGIN { printf "[" } END { printf "]" }
