import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test } from 'vitest';
import { currentIdentity, signIn } from '../auth/session';
import { notFound, type SeenRequest } from '../test-support/api-stub';
import { gatewayDetail as gateway } from '../test-support/gateway';
import { openAddPeerTyping, peeringPeer, renderGateway } from '../test-support/gateway-page';
import { resetPageState } from '../test-support/page';
import { inAnHour, jwt } from '../test-support/tokens';

afterEach(resetPageState);

describe('a gateway page while things change under it', () => {
  const peeringGoneAfter = (gone: () => boolean) => (request: SeenRequest) => {
    if (request.method === 'DELETE') return new Response(null, { status: 202 });
    if (request.method === 'POST')
      return Response.json({ gatewayId: 'gw-a', name: 'laptop' }, { status: 201 });
    if (request.path === '/v1/vpc-peerings/pcx-1')
      return gone() ? notFound() : Response.json({ id: 'pcx-1', status: 'DELETING' });
    if (request.path === '/v1/gateways/gw-a')
      return Response.json({ ...gateway, peers: gone() ? [] : [peeringPeer] });
    return undefined;
  };

  test("a peering peer being deleted shows Deleting with no Delete, and holds none of the page's other dialogs", async () => {
    // Prepare: the delete is accepted (202); its peering stays until the test lets it go
    let gone = false;
    const seen = renderGateway(peeringGoneAfter(() => gone));
    const row = await screen.findByRole('row', { name: /vpc-peering-pcx-1/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess: the row says so, and its Delete is off
    await waitFor(() =>
      expect(screen.getByRole('row', { name: /vpc-peering-pcx-1/ }).textContent).toContain('Deleting'),
    );
    const deleteButton = within(screen.getByRole('row', { name: /vpc-peering-pcx-1/ })).getByRole('button', {
      name: 'Delete',
    });
    expect(
      deleteButton.hasAttribute('disabled') || deleteButton.getAttribute('aria-disabled') === 'true',
    ).toBe(true);
    // Act: meanwhile, Add peer
    const dialog = await openAddPeerTyping('laptop');
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    // Assess: it was sent while the delete is still followed
    await screen.findByText(/Peer laptop added/);
    expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);
    // Act: the peering goes
    gone = true;
    // Assess
    await screen.findByText('Peer vpc-peering-pcx-1 deleted.', {}, { timeout: 8000 });
  }, 20_000);

  test('Add peer on a gateway deleted meanwhile closes the dialog and shows the gateway not found', async () => {
    // Prepare: the gateway goes between the page's load and the POST
    let deleted = false;
    renderGateway(({ method, path }) => {
      if (method === 'POST') {
        deleted = true;
        return Response.json(
          { error: { code: 'NOT_FOUND', message: 'Gateway gw-a not found' } },
          { status: 404 },
        );
      }
      if (path === '/v1/gateways/gw-a') return deleted ? notFound() : Response.json(gateway);
      return undefined;
    });
    const dialog = await openAddPeerTyping('laptop');
    // Act
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    // Assess
    await screen.findByRole('heading', { name: 'Gateway gw-a not found' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByText(/Peer laptop was not added: gateway prod no longer exists/)).toBeTruthy();
  }, 15_000);

  test('a 400 naming both fields of Add peer shows each on its own field', async () => {
    // Prepare
    renderGateway(({ method, path }) => {
      if (method === 'POST')
        return Response.json(
          {
            error: {
              code: 'VALIDATION_ERROR',
              message:
                'name: must be lowercase letters, digits or -; publicKey: must be a WireGuard key: 44 characters',
            },
          },
          { status: 400 },
        );
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    });
    const dialog = await openAddPeerTyping('Bad Name!');
    await userEvent.type(dialog.getByLabelText(/Public key/), 'not-a-key');
    // Act
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    // Assess
    await dialog.findByText('must be lowercase letters, digits or -');
    expect(dialog.getByText('must be a WireGuard key: 44 characters')).toBeTruthy();
    expect(dialog.getByLabelText(/Public key/).getAttribute('aria-invalid')).toBe('true');
  }, 15_000);

  test('Add peer refused with a 401 opens again with its input once the same person signs in again', async () => {
    // Prepare: alice on her gateway's page; the API refuses her token
    window.history.replaceState(null, '', '/gateways/gw-a');
    const token = jwt({ sub: 'alice', exp: inAnHour() });
    signIn(token);
    renderGateway(({ method, path }) => {
      if (method === 'POST') return Response.json({ message: 'Unauthorized' }, { status: 401 });
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    });
    const dialog = await openAddPeerTyping('laptop');
    // Act: Add peer; the session ends and the page goes (the shell shows sign-in)
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    await waitFor(() => expect(currentIdentity()).toBeUndefined());
    cleanup();
    signIn(token);
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a' ? Response.json(gateway) : undefined));
    // Assess
    const again = within(await screen.findByRole('dialog'));
    expect((again.getByLabelText('Name') as HTMLInputElement).value).toBe('laptop');
    // Act: cancelled, the draft ends
    await userEvent.click(again.getByRole('button', { name: 'Cancel' }));
    cleanup();
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a' ? Response.json(gateway) : undefined));
    // Assess
    await screen.findByRole('button', { name: 'Add peer' });
    expect(screen.queryByRole('dialog')).toBeNull();
  }, 15_000);
});
