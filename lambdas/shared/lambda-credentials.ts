/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias in
 * lib/constructs/bundling.ts; tests and the embedded runtime keep the SDK's default chain). A
 * function's role credentials are in its environment, the first source of the default chain, so
 * on Lambda this resolves exactly what the chain would; the SSO, INI, process, web-identity and
 * container providers it drops are never reached there.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same signature as the chain's `defaultProvider`, which every client's runtime config calls. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
