/** The console shell: sign-in until there is a session, then AppLayout with the side navigation. */
import AppLayout from '@cloudscape-design/components/app-layout';
import Box from '@cloudscape-design/components/box';
import Flashbar from '@cloudscape-design/components/flashbar';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { lazy, useEffect, useRef, useState } from 'react';
import { cognitoSignOut, endCognitoSession, startCognitoSignIn } from './auth/cognito';
import { type Identity, onSessionChange, signOut } from './auth/session';
import { APP_LAYOUT_LABELS, FLASHBAR_LABELS, TOP_NAVIGATION_LABELS } from './components/labels';
import { PageBoundary } from './components/page-boundary';
import type { ConsoleConfig } from './config';
import { focusPageHeadingOnceShown } from './focus';
import { useNotifications } from './notifications';
import { usePageTitle } from './page-title';
import { GatewaysList } from './pages/GatewaysList';
import { followInApp, matchRoute, navigate, usePath } from './router';
import { forgetAllOwned } from './user-storage';

/**
 * The VPN Gateways list is in the app's chunk; every other page has its own, fetched when the
 * browser is idle a while after sign-in (docs/DECISIONS.md, "Console").
 */
const pageChunks = {
  details: () => import('./pages/GatewayDetails'),
  create: () => import('./pages/CreatePeering'),
  peerings: () => import('./pages/PeeringsList'),
  register: () => import('./pages/RegisterGateway'),
  signIn: () => import('./pages/SignIn'),
};
const GatewayDetails = lazy(() => pageChunks.details().then((m) => ({ default: m.GatewayDetails })));
const CreatePeering = lazy(() => pageChunks.create().then((m) => ({ default: m.CreatePeering })));
const PeeringsList = lazy(() => pageChunks.peerings().then((m) => ({ default: m.PeeringsList })));
const RegisterGateway = lazy(() => pageChunks.register().then((m) => ({ default: m.RegisterGateway })));
const SignIn = lazy(() => pageChunks.signIn().then((m) => ({ default: m.SignIn })));

/** Pages are fetched a while after sign-in, when idle: never in the way of the first page's own load. */
const PREFETCH_DELAY_MS = 3000;

function prefetchPagesWhenIdle(): () => void {
  const fetchAll = () => {
    // A chunk that fails here fails again when its page opens, and PageBoundary shows that.
    for (const chunk of Object.values(pageChunks)) chunk().catch(() => undefined);
  };
  let idle: number | undefined;
  const timer = window.setTimeout(() => {
    if (typeof window.requestIdleCallback === 'function') idle = window.requestIdleCallback(fetchAll);
    else fetchAll();
  }, PREFETCH_DELAY_MS);
  return () => {
    window.clearTimeout(timer);
    if (idle !== undefined) window.cancelIdleCallback(idle);
  };
}

/** Users see Networking, admins Connectivity (README, "Using the console"). */
export function navigationItems(isAdmin: boolean) {
  return [
    {
      type: 'section' as const,
      text: isAdmin ? 'Connectivity' : 'Networking',
      items: [
        { type: 'link' as const, text: 'VPN Gateways', href: '/gateways' },
        { type: 'link' as const, text: 'VPC Peerings', href: '/peerings' },
      ],
    },
  ];
}

/**
 * Why the sign-in page shows. A 401 comes from the authorizer before any handler runs, so the
 * request it refused did nothing; the form it came from kept a draft (drafts.ts) and shows it again
 * once the same person signs in.
 */
export function signedOutNotice(unsentRequest: string | undefined): string {
  const ended = 'You were signed out: your session ended or was refused.';
  return unsentRequest
    ? `${ended} Your last request (${unsentRequest}) was not sent. Sign in again to send it: the page's form keeps what you typed.`
    : `${ended} Sign in again.`;
}

/** A page that is its heading alone, titled like every other page. */
function HeadingOnly({ text }: { text: string }) {
  usePageTitle(text);
  return <Box variant="h1">{text}</Box>;
}

function Page({ identity }: { identity: Identity }) {
  const route = matchRoute(usePath());
  switch (route.page) {
    case 'gateways':
    case 'signin':
      return <GatewaysList identity={identity} />;
    case 'gateway':
      return <GatewayDetails key={route.id} id={route.id} identity={identity} />;
    case 'create-peering':
      return <CreatePeering key={route.id} id={route.id} identity={identity} />;
    case 'peerings':
      return <PeeringsList identity={identity} />;
    case 'register-gateway':
      return identity.isAdmin ? <RegisterGateway /> : <HeadingOnly text="Only admins register gateways" />;
    default:
      return <HeadingOnly text="Page not found" />;
  }
}

export function App(props: {
  config: ConsoleConfig;
  identity: Identity | undefined;
  /** What the start has to say (a refused sign-in link): on the sign-in page, or as a warning flash. */
  notice?: string | undefined;
}) {
  const [identity, setIdentity] = useState(props.identity);
  const [notice, setNotice] = useState(props.identity ? undefined : props.notice);
  // The sign-in page that replaces a session ended here (a 401, expiry, Sign out) takes the focus.
  const [sessionEnded, setSessionEnded] = useState(false);
  const { items, notify, clear } = useNotifications();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the start's notice is shown once
  useEffect(() => {
    if (props.identity && props.notice) notify({ type: 'warning', content: props.notice });
  }, []);
  const path = usePath();
  useEffect(
    () =>
      onSessionChange((next, ended) => {
        setIdentity((previous) => {
          // A refused request may end a session already ended (an expired token is sent without it).
          if (!next && (previous || ended?.unsentRequest)) setNotice(signedOutNotice(ended?.unsentRequest));
          if (!next && previous) setSessionEnded(true);
          return next;
        });
        if (next) {
          setNotice(undefined);
          if (matchRoute(window.location.pathname).page === 'signin')
            navigate('/gateways', { replace: true });
        } else {
          clear();
          // An ended session (expiry, a 401, sign-out) takes its refresh token with it.
          if (props.config.auth === 'cognito') void endCognitoSession(props.config);
        }
      }),
    [clear, props.config],
  );
  const signedIn = identity !== undefined;
  useEffect(() => (signedIn ? prefetchPagesWhenIdle() : undefined), [signedIn]);
  // A new page (or signing in) focuses its heading; the page the browser opened keeps its focus.
  // The sign-in page, once a session ended, focuses its own (SignIn.tsx).
  const openedSignedIn = useRef(props.identity !== undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every page change, which path names
  useEffect(() => {
    if (!signedIn) return undefined;
    if (openedSignedIn.current) {
      openedSignedIn.current = false;
      return undefined;
    }
    return focusPageHeadingOnceShown();
  }, [path, signedIn]);
  if (!identity) {
    return (
      <PageBoundary>
        <SignIn
          config={props.config}
          notice={notice}
          sessionEnded={sessionEnded}
          // The page to come back to keeps its query: a list's filters live there (list-return.ts).
          onCognito={() =>
            void startCognitoSignIn(
              props.config as never,
              `${window.location.pathname}${window.location.search}`,
            )
          }
        />
      </PageBoundary>
    );
  }
  const active = path.startsWith('/peerings') ? '/peerings' : '/gateways';
  return (
    <>
      <div id="top-nav">
        <TopNavigation
          identity={{ href: '/gateways', title: 'VPC Peering', onFollow: followInApp }}
          i18nStrings={TOP_NAVIGATION_LABELS}
          utilities={[
            {
              type: 'menu-dropdown',
              text: identity.name,
              description: identity.isAdmin ? 'Administrator' : 'User',
              iconName: 'user-profile',
              items: [{ id: 'signout', text: 'Sign out' }],
              onItemClick: ({ detail }) => {
                if (detail.id !== 'signout') return;
                forgetAllOwned();
                signOut();
                if (props.config.auth === 'cognito') void cognitoSignOut(props.config);
              },
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        ariaLabels={APP_LAYOUT_LABELS}
        toolsHide
        notifications={<Flashbar items={items} stackItems={items.length > 2} i18nStrings={FLASHBAR_LABELS} />}
        navigation={
          <SideNavigation
            header={{ text: 'VPC Peering', href: '/gateways' }}
            activeHref={active}
            onFollow={followInApp}
            items={navigationItems(identity.isAdmin)}
          />
        }
        content={
          <PageBoundary>
            <Page identity={identity} />
          </PageBoundary>
        }
      />
    </>
  );
}
