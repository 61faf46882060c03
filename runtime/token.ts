/**
 * `npm run token -- --sub alice [--admin] [--hours 12]`: mints a token of the embedded runtime for
 * any user id, signed with LOCAL_AUTH_SECRET or the secret the runtime keeps in DATA_DIR, and prints
 * it with a console sign-in link.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { localEnv } from './local-env';
import { mintToken, readAuthSecret, signInLink } from './tokens';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      admin: { type: 'boolean', default: false },
      hours: { type: 'string', default: '12' },
    },
  });
  const sub = values.sub?.trim();
  const hours = Number(values.hours);
  if (!sub || !Number.isFinite(hours) || hours <= 0) {
    throw new Error('usage: npm run token -- --sub <user id> [--admin] [--hours 12]');
  }
  const dataDir = resolve(localEnv.localDataDir());
  const secret = localEnv.localAuthSecret() || (await readAuthSecret(dataDir));
  if (!secret) {
    throw new Error(`No LOCAL_AUTH_SECRET and no secret in ${dataDir}: start the runtime once (npm start)`);
  }
  const token = await mintToken(
    secret,
    { sub, groups: values.admin ? ['admin'] : [] },
    Math.round(hours * 3600),
  );
  const url = `http://127.0.0.1:${localEnv.localPort()}`;
  process.stdout.write(`${token}\nconsole sign-in: ${signInLink(url, token)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
