import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeFiltered } from './list-filters';
import { OwnerFilter } from './owner-filter';

afterEach(cleanup);

describe('describeFiltered', () => {
  test('names the status and the owner a list is narrowed to', () => {
    expect(describeFiltered('peerings', { status: 'FAILED' })).toBe('FAILED peerings');
    expect(describeFiltered('gateways', { ownerId: 'carol' })).toBe('gateways of owner carol');
    expect(describeFiltered('peerings', { status: 'ACTIVE', ownerId: 'bob' })).toBe(
      'ACTIVE peerings of owner bob',
    );
  });
});

describe('OwnerFilter', () => {
  test('offers the owners of every page shown, sorted, and a typed id as it is', async () => {
    // Prepare: a page of bob's rows, then one of alice's
    const onChange = vi.fn();
    const { rerender } = render(<OwnerFilter ownerId={undefined} owners={['bob']} onChange={onChange} />);
    rerender(<OwnerFilter ownerId={undefined} owners={['alice', 'alice']} onChange={onChange} />);
    // Act
    await userEvent.click(screen.getByRole('button', { name: /Filter by owner/ }));
    // Assess: both, though the page shown holds alice's only
    const names = (await screen.findAllByRole('option')).map((option) => option.textContent);
    expect(names.slice(1)).toEqual(['alice', 'bob']);
    // Act: type an id no page held, and choose it
    await userEvent.type(screen.getByLabelText('Owner id'), 'zed');
    await userEvent.click(await screen.findByRole('option', { name: /zed/ }));
    // Assess
    expect(onChange).toHaveBeenLastCalledWith('zed');
  });
});
