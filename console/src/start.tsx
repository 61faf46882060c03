/** The app itself (React, Cloudscape), loaded by main.tsx once the first requests are under way. */
import '@cloudscape-design/global-styles/index.css';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { completeCognitoSignIn } from './auth/cognito';
import { currentIdentity, signIn } from './auth/session';
import { takeSignInLink } from './auth/sign-in-link';
import { NotificationsProvider } from './notifications';
import { configReady } from './preload';
import { navigate } from './router';

export async function start(): Promise<void> {
  const config = await configReady;
  // A sign-in link of the start banner: /signin#token=…
  const link = takeSignInLink(config);
  if (link.kind === 'signed-in' || (link.kind === 'refused' && currentIdentity())) {
    navigate('/gateways', { replace: true });
  }
  if (config.auth === 'cognito' && window.location.pathname === '/callback') {
    const token = await completeCognitoSignIn(config);
    if (token) signIn(token);
    navigate('/gateways', { replace: true });
  }
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  createRoot(root).render(
    <NotificationsProvider>
      <App
        config={config}
        identity={currentIdentity()}
        notice={link.kind === 'refused' ? link.notice : undefined}
      />
    </NotificationsProvider>,
  );
}
