import { act, cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { onSessionChange, type SessionEnd, signIn, signOut } from '../auth/session';
import { stubApi } from '../test-support/api-stub';
import { renderPage, resetPageState } from '../test-support/page';
import { inAnHour, jwt } from '../test-support/tokens';
import { RegisterGateway } from './RegisterGateway';

afterEach(() => {
  resetPageState();
  vi.useRealTimers();
});

const throttled = () =>
  Response.json(
    { error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 3 s' } },
    { status: 429, headers: { 'retry-after': '3' } },
  );
const beingDeleted = () =>
  Response.json(
    {
      error: {
        code: 'GATEWAY_BEING_DELETED',
        message:
          'A gateway with this id is still being deleted; register it again once its deletion has finished',
      },
    },
    { status: 409 },
  );

/** Register gateway with fake timers: the first POST gets `refusal`, the next one registers. */
async function registerRefusedOnce(refusal: () => Response) {
  // Fake timers that also follow the clock, so testing-library's own waits still end.
  vi.useFakeTimers({ shouldAdvanceTime: true });
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  let posts = 0;
  const seen = stubApi(() => {
    posts += 1;
    return posts === 1 ? refusal() : Response.json({ id: 'gw-n', name: 'edge' }, { status: 201 });
  });
  renderPage(<RegisterGateway />);
  await user.type(screen.getByLabelText('Owner'), 'alice');
  await user.click(screen.getByRole('button', { name: 'Register gateway' }));
  return { user, seen, posts: () => posts };
}

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
    await screen.findAllByText(/SERVICE_UNAVAILABLE/);
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

  test('a 503 is said in the form (the flash bar stays empty), which registers on the next submit', async () => {
    // Prepare: the first registration fails, the next one registers
    let posts = 0;
    stubApi(() => {
      posts += 1;
      return posts === 1
        ? Response.json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }, { status: 503 })
        : Response.json({ id: 'gw-n', name: 'edge' }, { status: 201 });
    });
    renderPage(<RegisterGateway />);
    await userEvent.type(screen.getByLabelText('Owner'), 'alice');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Register gateway' }));
    // Assess
    await screen.findAllByText('SERVICE_UNAVAILABLE: busy. Try again to send the same request.');
    expect(screen.getByRole('list', { name: 'Messages' }).textContent).toBe('');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Register gateway' }));
    // Assess
    await screen.findByText('Gateway edge registered.', { exact: false });
  }, 15_000);

  test('a 429 with Retry-After holds Register for that long, counting down, then retries with the same key', async () => {
    // Prepare + Act: the first registration is throttled for 3 s
    const { user, seen, posts } = await registerRefusedOnce(throttled);
    // Assess: the button counts down and refuses a click; the input is kept
    const waiting = await screen.findByRole('button', { name: 'Try again in 3 s' });
    expect(waiting.getAttribute('aria-disabled')).toBe('true');
    expect(screen.getAllByText(/THROTTLED: Too many requests/).length).toBeGreaterThan(0);
    await user.click(waiting);
    await act(async () => vi.advanceTimersByTime(1000));
    expect(screen.getByRole('button', { name: 'Try again in 2 s' })).toBeTruthy();
    expect(posts()).toBe(1);
    expect((screen.getByLabelText('Owner') as HTMLInputElement).value).toBe('alice');
    // Act: the wait is over; register again
    await act(async () => vi.advanceTimersByTime(2000));
    await user.click(screen.getByRole('button', { name: 'Register gateway' }));
    // Assess: the retry is the same request, and it registered
    await waitFor(() => expect(posts()).toBe(2));
    const keys = seen.map((request) => request.headers.get('idempotency-key'));
    expect(keys[1]).toBe(keys[0]);
    await screen.findByText('Gateway edge registered.', { exact: false });
  }, 15_000);

  test('GATEWAY_BEING_DELETED reads as a wait: the cleanup named, Register held a few seconds, then the same key', async () => {
    // Prepare + Act: the id's previous gateway is still being cleaned up
    const { user, seen, posts } = await registerRefusedOnce(beingDeleted);
    // Assess
    await screen.findAllByText(/GATEWAY_BEING_DELETED: .*still being cleaned up; send the form again/);
    expect(screen.getByRole('button', { name: 'Try again in 5 s' }).getAttribute('aria-disabled')).toBe(
      'true',
    );
    // Act: once the wait is out, register again
    await act(async () => vi.advanceTimersByTime(5000));
    await user.click(screen.getByRole('button', { name: 'Register gateway' }));
    // Assess
    await waitFor(() => expect(posts()).toBe(2));
    expect(seen[1]?.headers.get('idempotency-key')).toBe(seen[0]?.headers.get('idempotency-key'));
  }, 15_000);
});

describe('Register gateway across a sign-in', () => {
  const admin = (sub: string) => jwt({ sub, 'cognito:groups': ['admin'], exp: inAnHour() });
  const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;

  test('a 401 mid-form says the registration was not sent, and the same person signing in again finds the form as typed', async () => {
    // Prepare: an admin on Register gateway; the API refuses the token
    window.history.replaceState(null, '', '/gateways/register');
    signIn(admin('root'));
    const ends: (SessionEnd | undefined)[] = [];
    const stop = onSessionChange((identity, ended) => {
      if (!identity) ends.push(ended);
    });
    stubApi(() => Response.json({ message: 'Unauthorized' }, { status: 401 }));
    renderPage(<RegisterGateway />);
    await userEvent.type(screen.getByLabelText('Owner'), 'alice');
    await userEvent.type(screen.getByLabelText('VPC CIDR'), '10.10.0.0/16');
    // Act: register; the session ends and the page goes (the shell shows sign-in instead)
    await userEvent.click(screen.getByRole('button', { name: 'Register gateway' }));
    await waitFor(() => expect(ends).toHaveLength(1));
    stop();
    cleanup();
    // Assess: what was not sent is named
    expect(ends[0]).toEqual({ unsentRequest: 'Register gateway' });
    // Act: the same admin signs in again
    signIn(admin('root'));
    renderPage(<RegisterGateway />);
    // Assess
    expect(value('Owner')).toBe('alice');
    expect(value('VPC CIDR')).toBe('10.10.0.0/16');
    // Act: someone else signs in on this tab instead
    cleanup();
    signOut();
    signIn(admin('other-admin'));
    renderPage(<RegisterGateway />);
    // Assess: another person's input is not theirs to see
    expect(value('Owner')).toBe('');
  }, 15_000);

  test('the draft ends with the registration', async () => {
    // Prepare
    window.history.replaceState(null, '', '/gateways/register');
    signIn(admin('root'));
    stubApi(() => Response.json({ id: 'gw-n', name: 'edge' }, { status: 201 }));
    renderPage(<RegisterGateway />);
    await userEvent.type(screen.getByLabelText('Owner'), 'alice');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Register gateway' }));
    await screen.findByText('Gateway edge registered.', { exact: false });
    cleanup();
    window.history.replaceState(null, '', '/gateways/register');
    renderPage(<RegisterGateway />);
    // Assess
    expect(value('Owner')).toBe('');
  }, 15_000);

  test('a 400 naming two fields shows each on its own field, and nothing on the form', async () => {
    // Prepare
    stubApi(() =>
      Response.json(
        {
          error: {
            code: 'VALIDATION_ERROR',
            message: 'vpcCidr: must be a private CIDR, /16 to /28; tunnelSubnet: must be a CIDR',
          },
        },
        { status: 400 },
      ),
    );
    renderPage(<RegisterGateway />);
    await userEvent.type(screen.getByLabelText('Owner'), 'alice');
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Register gateway' }));
    // Assess
    await screen.findByText('must be a private CIDR, /16 to /28');
    expect(screen.getByText('must be a CIDR')).toBeTruthy();
    expect(screen.getByLabelText('VPC CIDR').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Tunnel subnet').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByText(/VALIDATION_ERROR/)).toBeNull();
  }, 15_000);
});
