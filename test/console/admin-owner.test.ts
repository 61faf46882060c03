/**
 * An admin working through one tenant's gateways, in Debian's Chromium: the built console served
 * alone, the API answered through the browser's routing. Two tenants each have a gateway named
 * "prod" (names are free text). The gateway page names its owner, the way back by the breadcrumb
 * keeps the Owner filter, and the delete dialog and its flash say whose "prod" it is
 * (docs/DECISIONS.md, "An admin is told whose it is, and keeps the list", session 19).
 */
import { mintToken } from '../../runtime/tokens';
import { carolsGateway, useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const prodOf = (ownerId: string) => ({ ...carolsGateway(`gw-${ownerId}`), name: 'prod', ownerId });
const GATEWAYS = [prodOf('tenant-03'), prodOf('tenant-04')];

test('an admin filters by owner, opens a gateway, comes back by the breadcrumb with the filter kept, and deletes it named with its owner', async () => {
  // Prepare: the gateways of both tenants, filtered by the API on ownerId
  const session = await served.open('admin-owner');
  const { page } = session;
  const deleted: string[] = [];
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/v1/gateways') {
      const owner = url.searchParams.get('ownerId');
      return route.fulfill({ json: { items: GATEWAYS.filter((g) => !owner || g.ownerId === owner) } });
    }
    const [, , , id = '', sub] = url.pathname.split('/');
    const gateway = GATEWAYS.find((g) => g.id === id);
    if (!gateway)
      return route.fulfill({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'Not found' } } });
    if (route.request().method() === 'DELETE') {
      deleted.push(id);
      return route.fulfill({ status: 202, body: '' });
    }
    if (sub === 'status')
      return route.fulfill({
        json: { gatewayId: id, appliedGeneration: 0, desiredGeneration: 0, reportedAt: null, peers: [] },
      });
    return route.fulfill({ json: { ...gateway, peers: [] } });
  });
  const token = await mintToken('admin-owner-test-secret-32-bytes', { sub: 'ops', groups: ['admin'] });
  await page.goto(`${served.baseUrl}/signin#token=${token}`);
  await page.getByRole('heading', { name: /^VPN Gateways/ }).waitFor();
  const prodLinks = page.getByRole('table').getByRole('link', { name: 'prod', exact: true });
  await page.getByRole('table').getByRole('cell', { name: 'tenant-04' }).waitFor();
  await expect(prodLinks.count()).resolves.toBe(2);

  // Act: tenant-03's gateways, then its prod
  await page.getByRole('button', { name: /Filter by owner/ }).click();
  await page.getByRole('option', { name: 'tenant-03', exact: true }).click();
  await page.waitForURL(/\/gateways\?ownerId=tenant-03$/);
  await page.getByRole('table').getByRole('cell', { name: 'tenant-04' }).waitFor({ state: 'detached' });
  await prodLinks.click();
  // Assess: whose prod it is, under its name
  await page.getByRole('heading', { name: 'prod', level: 1 }).waitFor();
  await page.getByText('Owner: tenant-03').waitFor();

  // Act: back by the breadcrumb
  await page
    .getByRole('navigation', { name: 'Breadcrumbs' })
    .getByRole('link', { name: 'VPN Gateways' })
    .click();
  // Assess: the list as it was left, filtered by the API too
  await page.waitForURL(/\/gateways\?ownerId=tenant-03$/);
  await page.getByRole('table').getByRole('cell', { name: 'tenant-03' }).waitFor();
  await expect(page.getByRole('table').getByRole('cell', { name: 'tenant-04' }).count()).resolves.toBe(0);
  await expect(page.getByRole('button', { name: /Filter by owner/ }).textContent()).resolves.toContain(
    'tenant-03',
  );

  // Act: open prod again, and Delete gateway
  await prodLinks.click();
  await page.getByText('Owner: tenant-03').waitFor();
  await page.getByRole('button', { name: 'Delete gateway' }).click();
  // Assess: the dialog names tenant-03, in its header and where the name is typed
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Delete gateway prod of tenant-03?').waitFor();
  const confirm = dialog.getByLabel("To confirm, type the name of tenant-03's gateway: prod");
  await session.shot('admin-owner-delete-dialog');
  await expect(session.axeViolations()).resolves.toEqual([]);
  // Act
  await confirm.fill('prod');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  // Assess: tenant-03's prod only, said so, and back on tenant-03's gateways
  await page.getByText(/Gateway prod of tenant-03 is being deleted/).waitFor();
  await page.waitForURL(/\/gateways\?ownerId=tenant-03$/);
  expect(deleted).toEqual(['gw-tenant-03']);
});
