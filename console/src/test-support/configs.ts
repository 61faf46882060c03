/** The two shapes of config.json the console starts with, for unit tests. */
import type { ConsoleConfig } from '../config';

/** The local runtime's: pasted tokens and sign-in links, the API on the same origin. */
export const LOCAL_CONFIG: ConsoleConfig = { auth: 'token', apiUrl: '' };

/** AWS's: Cognito managed login. */
export const COGNITO_CONFIG: Extract<ConsoleConfig, { auth: 'cognito' }> = {
  auth: 'cognito',
  apiUrl: 'https://api.example.com',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_Pool',
  clientId: 'client',
  domain: 'login.example.com',
};
