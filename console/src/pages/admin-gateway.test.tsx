/**
 * A tenant's gateway as an admin sees it (named with its owner, never "yours"), and the way back
 * to VPN Gateways, which opens the list under the filters it was left with (list-return.ts).
 */
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { signIn, signOut } from '../auth/session';
import { notFound, stubApi } from '../test-support/api-stub';
import { gatewayDetail as gateway } from '../test-support/gateway';
import { renderGateway } from '../test-support/gateway-page';
import { identityOf, renderPage, resetPageState } from '../test-support/page';
import { inAnHour, jwt } from '../test-support/tokens';
import { forgetAllOwned } from '../user-storage';
import { GatewaysList } from './GatewaysList';

vi.mock('../preload', () => ({ takePreloadedGateways: () => undefined }));

afterEach(resetPageState);

const ops = identityOf('ops', true);
const flashes = () => screen.getByRole('list', { name: 'Messages' });
/** A session of `sub`, in place of any before it (ended as an expiry ends it, not by Sign out). */
const signInAs = (sub: string) => {
  signOut();
  signIn(jwt({ sub, 'cognito:groups': ['admin'], exp: inAnHour() }));
};

/** The admin's VPN Gateways opened at `search`, shown, then left. */
async function leaveListAt(search: string) {
  window.history.replaceState(null, '', `/gateways${search}`);
  stubApi(() => Response.json({ items: [gateway] }));
  renderPage(<GatewaysList identity={ops} />);
  await screen.findByRole('link', { name: 'prod' });
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/gateways/gw-a');
}

describe("a tenant's gateway, to an admin", () => {
  test('the delete dialog, its confirmation and its flash name the owner', async () => {
    // Prepare: alice's prod, opened by an admin
    renderGateway(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 202 });
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    }, ops);
    await screen.findByText('Owner: alice');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Delete gateway' }));
    // Assess: whose prod it is, in the header and where the name is typed
    const dialog = within(screen.getByRole('dialog'));
    expect(dialog.getByText('Delete gateway prod of alice?')).toBeTruthy();
    const confirm = dialog.getByLabelText("To confirm, type the name of alice's gateway: prod");
    // Act
    await userEvent.type(confirm, 'prod');
    await userEvent.click(dialog.getByRole('button', { name: 'Delete' }));
    // Assess
    await within(flashes()).findByText(/Gateway prod of alice is being deleted/);
  });

  test('"not found" says only that it may have been deleted: an admin sees every gateway', async () => {
    // Prepare + Act
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a/status' ? notFound() : undefined), ops);
    // Assess
    const alert = await screen.findByText(/It may have been deleted/);
    expect(alert.textContent).not.toMatch(/your/i);
  });

  test("a user's own gateway is still theirs: no owner in its dialog", async () => {
    // Prepare
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a' ? Response.json(gateway) : undefined));
    await screen.findByText('vpc-a');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Delete gateway' }));
    // Assess
    expect(within(screen.getByRole('dialog')).getByText('Delete gateway prod?')).toBeTruthy();
    expect(screen.queryByText(/Owner: /)).toBeNull();
  });
});

describe('the way back to VPN Gateways', () => {
  test('the breadcrumb and the page after a delete keep the status and owner the list was left with', async () => {
    // Prepare: an admin left the ACTIVE gateways of alice for prod
    signInAs('ops');
    await leaveListAt('?ownerId=alice&status=ACTIVE');
    renderGateway(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 202 });
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    }, ops);
    await screen.findByText('vpc-a');
    // Assess: the breadcrumb
    const back = screen.getByRole('link', { name: 'VPN Gateways' });
    expect(back.getAttribute('href')).toBe('/gateways?status=ACTIVE&ownerId=alice');
    // Act: delete prod
    await userEvent.click(screen.getByRole('button', { name: 'Delete gateway' }));
    const dialog = within(screen.getByRole('dialog'));
    await userEvent.type(dialog.getByRole('textbox'), 'prod');
    await userEvent.click(dialog.getByRole('button', { name: 'Delete' }));
    // Assess: back on the list as it was left
    await waitFor(() =>
      expect(`${window.location.pathname}${window.location.search}`).toBe(
        '/gateways?status=ACTIVE&ownerId=alice',
      ),
    );
  });

  test('"not found" links back to the list as it was left', async () => {
    // Prepare
    signInAs('ops');
    await leaveListAt('?status=ERROR');
    // Act
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a/status' ? notFound() : undefined), ops);
    // Assess
    const back = await screen.findByRole('link', { name: 'Back to VPN Gateways' });
    expect(back.getAttribute('href')).toBe('/gateways?status=ERROR');
  });

  test('is the plain list for whoever signs in next, after Sign out, and once the filters are cleared', async () => {
    // Prepare: ops left alice's gateways
    signInAs('ops');
    await leaveListAt('?ownerId=alice');
    const breadcrumb = async () => {
      renderGateway(({ path }) => (path === '/v1/gateways/gw-a' ? Response.json(gateway) : undefined), ops);
      const href = (await screen.findByRole('link', { name: 'VPN Gateways' })).getAttribute('href');
      cleanup();
      return href;
    };
    // Act + Assess: another admin signs in in this tab; ops's filters are dropped, as a draft is
    signInAs('root');
    await expect(breadcrumb()).resolves.toBe('/gateways');
    signInAs('ops');
    await expect(breadcrumb()).resolves.toBe('/gateways');
    // Act + Assess: ops filters again, then Sign out's forgetting
    await leaveListAt('?ownerId=alice');
    await expect(breadcrumb()).resolves.toBe('/gateways?ownerId=alice');
    forgetAllOwned();
    await expect(breadcrumb()).resolves.toBe('/gateways');
    // Act + Assess: the list shown with no filter
    await leaveListAt('?ownerId=alice');
    await leaveListAt('');
    await expect(breadcrumb()).resolves.toBe('/gateways');
  });
});
