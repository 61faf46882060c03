import { describe, expect, test } from 'vitest';
import { gatewayHref, matchRoute } from './routes';

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
