/**
 * The entry, kept tiny: the configuration and the gateway list start loading (preload.ts) before the
 * app (start.tsx: React, Cloudscape) is evaluated, which holds the main thread for a while; index.html
 * has the app's chunk downloading meanwhile (vite.config.ts; docs/DECISIONS.md, "Console").
 */
import { configReady } from './preload';
import { showStartFailure } from './start-failure';

configReady
  .then(() => import('./start'))
  .then(({ start }) => start())
  .catch((error: unknown) => {
    // No page at all without the app (nor without its configuration): say why, with a Retry.
    showStartFailure(error);
    throw error;
  });
