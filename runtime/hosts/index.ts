/** The embedded runtime's gateway instances (local hosts) and the command bus that drives them. */
export {
  ENDED_INVOCATION_RETENTION_MS,
  LOCAL_REPORTS_IN_FLIGHT,
  LocalCommandBus,
  type ReportInvocation,
} from './command-bus';
export type { ApplyArgs, HostGateway, HostInfo, HostMode } from './host';
export { HOST_INDEX_FILE, type HostIndexEntry } from './host-index';
export { parseReport } from './host-script';
export { hostOfGateway, type LocalHostView, rebuildHosts, wgShowCommand, withLocalHost } from './lifecycle';
export { LocalHosts, type LocalHostsOptions } from './local-hosts';
export { removeNamespaces } from './namespaces';
export { missingForWireguard } from './network';
export type { RunResult } from './shell';
