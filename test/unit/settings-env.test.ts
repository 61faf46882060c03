/**
 * Settings fail fast (lambdas/shared/env.ts, docs/DECISIONS.md "Settings fail fast"): a malformed
 * value throws a ConfigurationError naming its variable and what it must be, never a NaN or a
 * silent default; and a handler that reads settings per call reads its own once at cold start.
 */
import { ConfigurationError, env } from '../../lambdas/shared/env';
import { localEnv, MAX_TIMER_SECONDS } from '../../runtime/local-env';

const NAMES = [
  'STATUS_REPORT_INTERVAL_SECONDS',
  'SWEEP_INTERVAL_SECONDS',
  'API_WAIT_MS',
  'PORT',
  'VPG_STORAGE',
  'VPG_LOCAL_MODE',
  'PEER_FANOUT_STARTS_PER_SECOND',
] as const;
const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe("the runtime's timer periods (STATUS_REPORT_INTERVAL_SECONDS, SWEEP_INTERVAL_SECONDS)", () => {
  const readers = {
    STATUS_REPORT_INTERVAL_SECONDS: localEnv.localStatusReportIntervalSeconds,
    SWEEP_INTERVAL_SECONDS: localEnv.sweepIntervalSeconds,
  };

  it.each([
    ['0', 0],
    ['60', 60],
    [String(MAX_TIMER_SECONDS), MAX_TIMER_SECONDS],
  ])('reads %s', (raw, seconds) => {
    for (const [name, read] of Object.entries(readers)) {
      // Prepare
      process.env[name] = raw;
      // Act
      const value = read();
      // Assess
      expect(value).toBe(seconds);
    }
  });

  it.each([['1m'], ['5min'], ['1e3'], [' 60'], ['-1'], ['1.5'], [String(MAX_TIMER_SECONDS + 1)]])(
    'refuses %j, naming the variable and what it must be',
    (raw) => {
      for (const [name, read] of Object.entries(readers)) {
        // Prepare
        process.env[name] = raw;
        // Act
        const act = () => read();
        // Assess
        expect(act).toThrow(ConfigurationError);
        expect(act).toThrow(
          `Environment variable ${name} must be whole seconds from 0 to ${MAX_TIMER_SECONDS}`,
        );
      }
    },
  );

  it('defaults the sweep to a minute', () => {
    // Prepare
    delete process.env.SWEEP_INTERVAL_SECONDS;
    // Act
    const seconds = localEnv.sweepIntervalSeconds();
    // Assess
    expect(seconds).toBe(60);
  });
});

describe('the other settings the runtime reads', () => {
  it.each([
    ['API_WAIT_MS', 'abc', () => env.apiWaitMs(), 'must be a non-negative integer'],
    [
      'STATUS_REPORT_INTERVAL_SECONDS',
      '5m',
      () => env.statusReportIntervalSeconds(),
      'must be a non-negative integer',
    ],
    ['API_WAIT_MS', '0x10', () => env.apiWaitMs(), 'must be a non-negative integer'],
    ['PORT', '70000', () => localEnv.localPort(), 'must be a port from 0 to 65535'],
    ['PORT', 'http', () => localEnv.localPort(), 'must be a non-negative integer'],
    ['VPG_STORAGE', 'mem', () => localEnv.localStorage(), 'must be one of dynamodb, memory'],
    ['VPG_LOCAL_MODE', 'file', () => localEnv.localHostMode(), 'must be one of auto, files, unmanaged'],
  ])('%s=%s is refused', (name, raw, read, what) => {
    // Prepare
    process.env[name] = raw;
    // Act
    const act = () => read();
    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(`Environment variable ${name} ${what}, got`);
  });
});

describe("the fan-outs' start rate (PEER_FANOUT_STARTS_PER_SECOND)", () => {
  it('defaults to 25 a second and reads a whole number', () => {
    // Prepare
    delete process.env.PEER_FANOUT_STARTS_PER_SECOND;
    const unset = env.peerFanoutStartsPerSecond();
    process.env.PEER_FANOUT_STARTS_PER_SECOND = '90';
    // Act
    const set = env.peerFanoutStartsPerSecond();
    // Assess
    expect([unset, set]).toEqual([25, 90]);
  });

  it.each([['0'], ['2.5'], ['-1'], ['fast'], ['1e2']])('refuses %j', (raw) => {
    // Prepare
    process.env.PEER_FANOUT_STARTS_PER_SECOND = raw;
    // Act
    const act = () => env.peerFanoutStartsPerSecond();
    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(
      `Environment variable PEER_FANOUT_STARTS_PER_SECOND must be a whole number of at least 1, got ${raw}`,
    );
  });

  it.each([['cascade'], ['gateway-events'], ['sweeper']])(
    'fails the cold start of %s when malformed',
    (handler) => {
      // Prepare
      process.env.PEER_FANOUT_STARTS_PER_SECOND = '0';
      // Act
      const load = () => jest.isolateModules(() => require(`../../lambdas/handlers/${handler}`));
      // Assess
      expect(load).toThrow('PEER_FANOUT_STARTS_PER_SECOND must be a whole number of at least 1, got 0');
    },
  );
});

describe('a handler reading settings per call', () => {
  it('fails its cold start on a malformed one, naming it', () => {
    // Prepare
    process.env.API_WAIT_MS = 'abc';
    // Act
    const load = () => jest.isolateModules(() => require('../../lambdas/handlers/api'));
    // Assess
    expect(load).toThrow('Environment variable API_WAIT_MS must be a non-negative integer, got abc');
  });

  it('loads when they are valid or unset', () => {
    // Prepare
    delete process.env.API_WAIT_MS;
    // Act
    const load = () => jest.isolateModules(() => require('../../lambdas/handlers/api'));
    // Assess
    expect(load).not.toThrow();
  });
});

describe('the report period on AWS', () => {
  it('is not bounded by what a local timer holds (the schedule may run every 30 days)', () => {
    // Prepare
    process.env.STATUS_REPORT_INTERVAL_SECONDS = String(30 * 24 * 60 * 60);
    // Act
    const seconds = env.statusReportIntervalSeconds();
    // Assess
    expect(seconds).toBe(2_592_000);
  });
});
