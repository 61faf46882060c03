# What the state directory says was applied, as four lines for report_from_store (lib/report.sh):
# the gateway id as JSON, the generation, the WireGuard interface, the peers as JSON (no live
# figures: only the interface has them). $a = [applied.json], $s = [state.json].
($a[0].gatewayId | tojson), $a[0].generation, (if $wgif != "" then $wgif else $s[0].interface.name end),
([$s[0].peers[] | {publicKey, allowedIps, endpoint, latestHandshake: 0, rxBytes: 0, txBytes: 0}] | tojson)
