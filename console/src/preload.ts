/**
 * Started first (main.tsx imports it before React and Cloudscape): the runtime configuration and,
 * when a session is stored and the first page is the VPN Gateways list, that list. Both load while
 * the rest of the bundle compiles and renders (README, "Using the console"; measured by
 * `npx tsx bench/run.ts console`).
 */
import { configureApi, GATEWAY_STATUSES, type Gateway, type Page } from './api/client';
import { restoreSession } from './auth/session';
import { type ConsoleConfig, loadConfig } from './config';
import { gatewaysPage } from './pages/gateways-data';
import { listFiltersOf, matchRoute } from './routes';

/** A load already under way, and its value once it has arrived. */
export class Preloaded<T> {
  settled: { value: T } | undefined;

  constructor(readonly promise: Promise<T>) {
    // The page that takes it reports a failure; this only notes success.
    promise.then(
      (value) => {
        this.settled = { value };
      },
      () => undefined,
    );
  }
}

export const configReady: Promise<ConsoleConfig> = loadConfig().then((config) => {
  configureApi(config.apiUrl);
  return config;
});
// main.tsx shows a failure (its error page); a module that imports this one without starting the
// app (a page's test) has nothing to report.
configReady.catch(() => undefined);

let gatewayList: Preloaded<Page<Gateway>> | undefined;
const identity = restoreSession();
if (identity && matchRoute(window.location.pathname).page === 'gateways') {
  // The filters of the address, read as the list reads them (components/list-filters.tsx).
  const filters = listFiltersOf(window.location.search, GATEWAY_STATUSES, identity.isAdmin);
  gatewayList = new Preloaded(configReady.then(() => gatewaysPage(filters)));
}

/** The preloaded first page of the list (of the address's filters), once: a refresh loads again. */
export function takePreloadedGateways(): Preloaded<Page<Gateway>> | undefined {
  const taken = gatewayList;
  gatewayList = undefined;
  return taken;
}
