import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { stubApi } from '../test-support/api-stub';
import { renderPage } from '../test-support/page';
import { RegisterGateway } from './RegisterGateway';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Register gateway', () => {
  test('submitted again after a 503 it sends the same Idempotency-Key; changed input, a new one', async () => {
    // Prepare: the API fails the first two registrations, then registers
    let posts = 0;
    const seen = stubApi(() => {
      posts += 1;
      return posts <= 2
        ? Response.json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }, { status: 503 })
        : Response.json({ id: 'gw-n', name: 'edge' }, { status: 201 });
    });
    renderPage(<RegisterGateway />);
    await userEvent.type(screen.getByLabelText('Owner'), 'alice');
    const register = screen.getByRole('button', { name: 'Register gateway' });
    // Act: register, fails; register again, the same input; then with another owner
    await userEvent.click(register);
    await screen.findByText(/SERVICE_UNAVAILABLE/);
    await userEvent.click(register);
    await waitFor(() => expect(posts).toBe(2));
    await userEvent.type(screen.getByLabelText('Owner'), '2');
    await userEvent.click(register);
    await waitFor(() => expect(posts).toBe(3));
    // Assess
    const keys = seen.map((request) => request.headers.get('idempotency-key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  }, 15_000);
});
