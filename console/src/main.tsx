import '@cloudscape-design/global-styles/index.css';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { configureApi } from './api/client';
import { completeCognitoSignIn } from './auth/cognito';
import { restoreSession, signIn } from './auth/session';
import { loadConfig } from './config';
import { NotificationsProvider } from './notifications';
import { navigate } from './router';

async function start(): Promise<void> {
  const config = await loadConfig();
  configureApi(config.apiUrl);
  let identity = restoreSession();
  // A sign-in link of the start banner: /signin#token=…
  const fromLink = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromLink) {
    identity = signIn(fromLink) ?? identity;
    navigate('/gateways', { replace: true });
  }
  if (config.auth === 'cognito' && window.location.pathname === '/callback') {
    const token = await completeCognitoSignIn(config);
    identity = (token && signIn(token)) || identity;
    navigate('/gateways', { replace: true });
  }
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  createRoot(root).render(
    <NotificationsProvider>
      <App config={config} identity={identity} />
    </NotificationsProvider>,
  );
}

void start();
