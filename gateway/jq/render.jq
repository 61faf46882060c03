# The full path: one jq pass over a desired-state document (docs/ARCHITECTURE.md "Desired-state
# document"): validates it and renders everything the apply needs. Run by lib/render.sh
# (render_document) with --arg action/id/mode/wgif/key, --argjson gen/applied and ipnow (the
# `ip -j` state in wireguard mode, [] in files mode).
#
# Output: NUL-terminated fields. "stale", applied generation; or "apply", wg interface, `ip -batch`
# changes, nft ruleset, routes.txt, files-mode report peers, then the wg config as alternating
# text / secret-reference fields (a reference is a secret name, or @keep for the key the interface holds).
# jq never sees a secret value. Exit 1 = refusal (message on stderr), 2/6 = not JSON.
def nul: "\u0000";
"[0-9a-fA-F:.]+/[0-9]{1,3}" as $cidr
| "/[A-Za-z0-9_.:/-]+" as $secret
| "([0-9.]+|\\[[0-9a-fA-F:]+\\]):[0-9]{1,5}" as $endpoint
|
def refuse($message): "\($message)\n" | halt_error(1);
def cidr: type == "string" and test("^\($cidr)$");
def secret: . == null or (type == "string" and test("^\($secret)$"));
# Secrets of this gateway only (docs/SECURITY.md): its own key, the keys of its own peerings. Split,
# not matched, so no id needs escaping in a regex. Same rule as own_psk (lib/checks.sh) and
# core/secret-scope.ts.
def prefix_ok: test("^[A-Za-z0-9_.-]+$");
def own_key($gw): . == null or (type == "string" and startswith("/")
  and (ltrimstr("/") | split("/") | length == 4 and (.[0] | prefix_ok) and .[1:] == ["gateways", $gw, "private-key"]));
# `psk`, or `psk-` and 16 lowercase hex characters once a move rotated it (no regex: one per peer
# would be compiled per peer).
def psk_leaf: . == "psk" or (startswith("psk-") and length == 20
  and (.[4:] | explode | all(.[]; (. >= 48 and . <= 57) or (. >= 97 and . <= 102))));
def own_psk: .presharedKeyParam == null or (
  (.name | type == "string" and startswith("vpc-peering-"))
  and ((.name | ltrimstr("vpc-peering-")) as $pid
    | .presharedKeyParam | type == "string" and startswith("/")
      and (ltrimstr("/") | split("/") | length == 4 and (.[0] | prefix_ok) and .[1:3] == ["peerings", $pid]
        and (.[3] | psk_leaf))));
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
  and all(.peers[]; own_psk)
  and ([.peers[].endpoint | select(. != null)] | all_match($endpoint));
# Refuses fields that could inject config lines or shell words (defence in depth: the control plane
# validates too). A NUL would also shift the output fields.
def problems:
  .gatewayId as $gw
  | [ (if .schema != 1 then "schema must be 1" else empty end),
    (if ($gw | type == "string" and test("^[A-Za-z0-9._:-]+$")) then empty else "gatewayId" end),
    (if (.interface.name | type == "string" and test("^[A-Za-z0-9_.=-]{1,15}$")) then empty else "interface.name" end),
    (if (.interface.address | cidr) then empty else "interface.address" end),
    (if (.interface.listenPort | type == "number" and . >= 1 and . <= 65535) then empty else "interface.listenPort" end),
    (if (.interface.mtu | . == null or (type == "number" and . >= 576 and . <= 9000)) then empty else "interface.mtu" end),
    (if (.interface.privateKeyParam | secret and own_key($gw)) then empty else "interface.privateKeyParam (not the key of this gateway)" end),
    (if (.routes | type == "array" and all_match($cidr)) then empty else "routes" end),
    (if (.nftables | . == null or (type == "string" and (split(nul) | length) == 1)) then empty else "nftables" end),
    (if (.peers | type == "array") then empty else "peers" end),
    # Per-peer messages only when the whole-list checks failed.
    (if (.peers | type == "array") and peers_ok then empty else .peers // [] | to_entries[] | .key as $i | .value |
      (if (.publicKey | type == "string" and test($key)) then empty else "peers[\($i)].publicKey" end),
      (if (.presharedKeyParam | secret) and own_psk then empty else "peers[\($i)].presharedKeyParam (not the key of this peering)" end),
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
      (.nftables // ""), nul,
      (.routes | map(. + "\n") | add // ""), nul,
      (if $mode == "files" then [.peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson else "" end), nul,
      wg_config)
  end
