/** The embedded runtime's gateway instances (local hosts) and the command bus that drives them. */
export { LocalCommandBus, type ReportInvocation } from './command-bus';
export { hostLine, rebuildHosts, wgShowCommand, withLocalHost } from './lifecycle';
export {
  type ApplyArgs,
  HOST_INDEX_FILE,
  type HostGateway,
  type HostIndexEntry,
  type HostInfo,
  type HostMode,
  LocalHosts,
  type LocalHostsOptions,
  missingForWireguard,
  parseReport,
} from './local-hosts';
export { removeNamespaces } from './namespaces';
export type { RunResult } from './shell';
