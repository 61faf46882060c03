/**
 * Sign-in. Locally: paste a bearer token (field Token, button Sign in), or follow a link the start
 * banner prints (`/signin#token=…`; a fragment never reaches a server log). On AWS: Cognito managed login.
 * When it replaces a session that ended (a 401, expiry, Sign out), its heading takes the focus, which
 * had fallen to the body with the page it was on, and why it shows is announced (docs/DECISIONS.md,
 * "Console: what a screen reader is told").
 */
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import LiveRegion from '@cloudscape-design/components/live-region';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Textarea from '@cloudscape-design/components/textarea';
import { useEffect, useRef, useState } from 'react';
import { signIn } from '../auth/session';
import type { ConsoleConfig } from '../config';
import { focusHeading } from '../focus';
import { usePageTitle } from '../page-title';

export function SignIn(props: {
  config: ConsoleConfig;
  notice: string | undefined;
  /** It replaces the page of a session that ended: its heading takes the focus. */
  sessionEnded: boolean;
  onCognito(): void;
}) {
  usePageTitle('Sign in');
  const page = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.sessionEnded) focusHeading(page.current);
  }, [props.sessionEnded]);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const submit = () => {
    if (!signIn(token).signedIn)
      setError('This is not a valid, unexpired token. Mint one with: npm run token -- --sub <user id>');
  };
  return (
    <Box padding={{ vertical: 'xxxl', horizontal: 'l' }}>
      <div ref={page} style={{ maxWidth: 560, margin: '0 auto' }}>
        <SpaceBetween size="l">
          <Header variant="h1" description="Peer the VPCs of your VPN gateways.">
            VPC Peering console
          </Header>
          {/* Polite, so it is read after the focused heading, not over it. */}
          {props.notice && (
            <LiveRegion>
              <Alert type="info">{props.notice}</Alert>
            </LiveRegion>
          )}
          {props.config.auth === 'cognito' ? (
            <Container>
              <Button variant="primary" onClick={props.onCognito}>
                Sign in
              </Button>
            </Container>
          ) : (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                submit();
              }}
            >
              <Form actions={<Button variant="primary">Sign in</Button>}>
                <Container header={<Header variant="h2">Sign in with a token</Header>}>
                  <FormField
                    label="Token"
                    description="A bearer token of the embedded runtime: npm start prints sign-in links, npm run token -- --sub alice mints one."
                    errorText={error}
                  >
                    <Textarea
                      value={token}
                      rows={4}
                      onChange={({ detail }) => {
                        setToken(detail.value);
                        setError(undefined);
                      }}
                      placeholder="eyJhbGciOiJIUzI1NiIs…"
                      spellcheck={false}
                    />
                  </FormField>
                </Container>
              </Form>
            </form>
          )}
        </SpaceBetween>
      </div>
    </Box>
  );
}
