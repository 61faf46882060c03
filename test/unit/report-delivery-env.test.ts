/**
 * STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS (lambdas/shared/env.ts): the report command's delivery
 * timeout, which the stack derives from the report period. It is read only when a report command is
 * sent, and anything SSM would refuse (below 30 s or above 30 days) fails at once with its name.
 */
import { ConfigurationError, env } from '../../lambdas/shared/env';

const NAME = 'STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS';

afterEach(() => {
  delete process.env[NAME];
});

describe('env.statusReportDeliveryTimeoutSeconds', () => {
  it.each([
    ['30', 30],
    ['150', 150],
    ['2592000', 2_592_000],
  ])('reads %s', (raw, seconds) => {
    // Prepare
    process.env[NAME] = raw;

    // Act
    const read = env.statusReportDeliveryTimeoutSeconds();

    // Assess
    expect(read).toBe(seconds);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['below SSM least (30 s)', '29'],
    ['above SSM most (30 days)', '2592001'],
    ['not a whole number', '150.5'],
    ['not a number', '2m'],
  ])('refuses %s, naming the variable', (_case, raw) => {
    // Prepare
    if (raw !== undefined) process.env[NAME] = raw;

    // Act
    const read = () => env.statusReportDeliveryTimeoutSeconds();

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(NAME);
  });
});
