import { cleanup, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { CONSOLE_TITLE, pageTitle, usePageTitle } from './page-title';

afterEach(() => {
  cleanup();
  document.title = CONSOLE_TITLE;
});

describe('the page title', () => {
  test('names the page, then what it is in, then the console', () => {
    // Act and Assess
    expect(pageTitle('VPN Gateways')).toBe('VPN Gateways | VPC Peering console');
    expect(pageTitle('Create VPC Peering', 'edge')).toBe('Create VPC Peering | edge | VPC Peering console');
    expect(pageTitle('edge', undefined, '')).toBe('edge | VPC Peering console');
  });

  test("follows what the page's heading says: a gateway's id until its name is loaded", () => {
    // Prepare
    const { rerender } = renderHook(({ name }) => usePageTitle(name, 'VPN Gateways'), {
      initialProps: { name: 'gw-a' },
    });
    expect(document.title).toBe('gw-a | VPN Gateways | VPC Peering console');
    // Act
    rerender({ name: 'edge' });
    // Assess
    expect(document.title).toBe('edge | VPN Gateways | VPC Peering console');
  });

  test('undefined leaves the title to the view that replaced the page (a gateway not found)', () => {
    // Prepare
    document.title = 'Gateway gw-a not found | VPC Peering console';
    // Act
    renderHook(() => usePageTitle(undefined, 'VPN Gateways'));
    // Assess
    expect(document.title).toBe('Gateway gw-a not found | VPC Peering console');
  });
});
