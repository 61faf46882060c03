import { describe, expect, test } from 'vitest';
import { gatewayHref, listFiltersOf, listQueryOf, matchRoute } from './routes';

describe('matchRoute', () => {
  test('decodes the segments of a route', () => {
    expect(matchRoute(gatewayHref('gw 1/a'))).toEqual({ page: 'gateway', id: 'gw 1/a' });
    expect(matchRoute('/gateways/gw-1/create-peering')).toEqual({ page: 'create-peering', id: 'gw-1' });
  });

  test('a malformed percent escape is a page not found, not an exception', () => {
    expect(matchRoute('/gateways/%E0%A4%A')).toEqual({ page: 'not-found' });
    expect(matchRoute('/%')).toEqual({ page: 'not-found' });
  });
});

describe('listFiltersOf', () => {
  const statuses = ['ACTIVE', 'FAILED'] as const;

  test("reads the API's status and, for an admin, ownerId; listQueryOf writes them back", () => {
    const filters = listFiltersOf('?status=FAILED&ownerId=%20carol%20', statuses, true);
    expect(filters).toEqual({ status: 'FAILED', ownerId: 'carol' });
    expect(listQueryOf(filters)).toBe('status=FAILED&ownerId=carol');
    expect(listQueryOf({})).toBe('');
  });

  test("leaves out a status the list does not have, and a user's owner", () => {
    expect(listFiltersOf('?status=failed&ownerId=carol', statuses, false)).toEqual({});
    expect(listFiltersOf('?status=ERROR&ownerId=', statuses, true)).toEqual({});
  });
});
