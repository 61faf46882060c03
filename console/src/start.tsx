/** The app itself (React, Cloudscape), loaded by main.tsx once the first requests are under way. */
import '@cloudscape-design/global-styles/index.css';
import { createRoot, type Root } from 'react-dom/client';
import { App } from './App';
import { finishCognitoCallback } from './auth/callback';
import { currentIdentity } from './auth/session';
import { takeSignInLink } from './auth/sign-in-link';
import { NotificationsProvider } from './notifications';
import { configReady } from './preload';
import { navigate } from './router';

/** Renders the app; its root is returned for a test to unmount. */
export async function start(): Promise<Root> {
  const config = await configReady;
  // A sign-in link of the start banner: /signin#token=…
  const link = takeSignInLink(config);
  if (link.kind === 'signed-in' || (link.kind === 'refused' && currentIdentity())) {
    navigate('/gateways', { replace: true });
  }
  const callbackNotice =
    config.auth === 'cognito' && window.location.pathname === '/callback'
      ? await finishCognitoCallback(config)
      : undefined;
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  const app = createRoot(root);
  app.render(
    <NotificationsProvider>
      <App
        config={config}
        identity={currentIdentity()}
        notice={link.kind === 'refused' ? link.notice : callbackNotice}
      />
    </NotificationsProvider>,
  );
  return app;
}
