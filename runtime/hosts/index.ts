/** The embedded runtime's gateway instances (local hosts) and the command bus that drives them. */
export { LocalCommandBus, type ReportInvocation } from './command-bus';
export {
  type ApplyArgs,
  type HostGateway,
  type HostInfo,
  type HostMode,
  LocalHosts,
  type LocalHostsOptions,
  missingForWireguard,
  parseReport,
} from './local-hosts';
export type { RunResult } from './shell';
