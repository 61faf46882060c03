/** LocalCommandBus over files-mode LocalHosts: SSM Run Command semantics for the embedded runtime. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvocationNotReadyError } from '../../lambdas/core/errors';
import {
  ENDED_INVOCATION_RETENTION_MS,
  LOCAL_REPORTS_IN_FLIGHT,
  LocalCommandBus,
  LocalHosts,
  parseReport,
  type ReportInvocation,
} from '../../runtime/hosts';
import {
  GATEWAY_A,
  genKeyPair,
  publish,
  stateDocument,
  tempDir,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;

describe('LocalCommandBus', () => {
  let root: string;
  let hosts: LocalHosts;
  let bus: LocalCommandBus;

  const command = (generation: number, gatewayId = gateway.id) => ({
    instanceId: gateway.instanceId,
    gatewayId,
    generation,
    ...publish(root, gateway.id, generation, stateDocument(gateway, generation, [])),
  });

  beforeEach(() => {
    root = tempDir('bus');
    const secretsDir = join(root, 'secrets');
    writeSecret(secretsDir, gateway.privateKeyParam ?? '', genKeyPair().privateKey);
    hosts = new LocalHosts({ dataDir: join(root, 'data'), secretsDir, mode: 'files' });
    bus = new LocalCommandBus(hosts, async (id) => (id === gateway.id ? gateway : undefined));
  });

  afterEach(async () => {
    await hosts.teardown();
    rmSync(root, { recursive: true, force: true });
  });

  it('with unmanagedInstances, answers as SSM does for an unmanaged instance: no push, no teardown, no host', async () => {
    // Prepare
    const unmanaged = new LocalCommandBus(
      hosts,
      async (id) => (id === gateway.id ? gateway : undefined),
      undefined,
      {
        unmanagedInstances: true,
      },
    );

    // Act
    const sent = unmanaged.send(command(1));
    const teardown = await unmanaged.teardown({
      instanceId: gateway.instanceId,
      gatewayId: gateway.id,
      generation: 1,
    });
    await unmanaged.requestReports();
    await unmanaged.idle();

    // Assess: the SDK's error name, which the SSM adapter passes through (not transient).
    await expect(sent).rejects.toMatchObject({ name: 'InvalidInstanceId' });
    expect(teardown).toBeUndefined();
    expect(hosts.instanceIds()).toEqual([]);
  });

  it('creates the host on first use and ends Success with the report as output', async () => {
    // Act
    const id = await bus.send(command(1));
    await bus.idle();

    // Assess
    const invocation = await bus.get(id, gateway.instanceId);
    expect(invocation.status).toBe('Success');
    expect(parseReport(invocation.output)).toMatchObject({
      gatewayId: 'gw-a',
      appliedGeneration: 1,
      mode: 'files',
    });
    expect(hosts.hostInfo(gateway.instanceId)).toMatchObject({ mode: 'files' });
  });

  it('runs the commands of one instance in the order they were sent', async () => {
    // Act
    const first = await bus.send(command(1));
    const second = await bus.send(command(2));
    await bus.idle();

    // Assess: had 2 run first, 1 would have been skipped as stale.
    const outputs = await Promise.all([first, second].map((id) => bus.get(id, gateway.instanceId)));
    expect(outputs.map((o) => parseReport(o.output))).toEqual([
      expect.not.objectContaining({ skipped: 'stale' }),
      expect.objectContaining({ appliedGeneration: 2 }),
    ]);
  });

  it('fails the next command with an injected reason, then runs normally again', async () => {
    // Prepare
    bus.failNext(gateway.instanceId, 'instance unreachable');

    // Act
    const failed = await bus.send(command(1));
    const next = await bus.send(command(2));
    await bus.idle();

    // Assess
    expect(await bus.get(failed, gateway.instanceId)).toEqual({
      status: 'Failed',
      output: 'instance unreachable',
    });
    expect((await bus.get(next, gateway.instanceId)).status).toBe('Success');
  });

  it('ends Failed with the script error when the apply fails', async () => {
    // Act
    const id = await bus.send({ ...command(1), stateUri: `file://${join(root, 'missing.json')}` });
    await bus.idle();

    // Assess
    const invocation = await bus.get(id, gateway.instanceId);
    expect(invocation.status).toBe('Failed');
    expect(invocation.output).toContain('refused: state document outside gateways/gw-a/');
  });

  it('ends Failed when the gateway is not registered', async () => {
    // Act
    const id = await bus.send(command(1, 'gw-gone'));
    await bus.idle();

    // Assess
    expect(await bus.get(id, gateway.instanceId)).toEqual({
      status: 'Failed',
      output: 'Gateway gw-gone is not registered',
    });
  });

  it.each([
    ['an unknown command id', 'nope', gateway.instanceId],
    ['another instance', undefined, 'i-other'],
  ])('answers InvocationNotReadyError for %s', async (_label, commandId, instanceId) => {
    // Prepare
    const id = commandId ?? (await bus.send(command(1)));
    await bus.idle();

    // Act / Assess
    await expect(bus.get(id, instanceId)).rejects.toBeInstanceOf(InvocationNotReadyError);
  });

  it('forgets an ended invocation once it is older than the retention, and keeps a newer one', async () => {
    // Prepare: a bus whose clock the test moves.
    let now = 1_000_000;
    const timed = new LocalCommandBus(
      hosts,
      async (id) => (id === gateway.id ? gateway : undefined),
      undefined,
      {
        now: () => now,
      },
    );
    const old = await timed.send(command(1));
    await timed.idle();
    now += ENDED_INVOCATION_RETENTION_MS / 2;
    const recent = await timed.send(command(2));
    await timed.idle();

    // Act: the next command comes past the retention of the first only.
    now += ENDED_INVOCATION_RETENTION_MS / 2 + 1;
    await timed.send(command(3));
    await timed.idle();

    // Assess
    await expect(timed.get(old, gateway.instanceId)).rejects.toBeInstanceOf(InvocationNotReadyError);
    expect((await timed.get(recent, gateway.instanceId)).status).toBe('Success');
  });

  it('runs the report command on a bounded number of hosts at once, and idle waits for all of them', async () => {
    // Prepare: twelve hosts whose report takes a moment, counting how many run at once.
    const instanceIds = Array.from({ length: 12 }, (_, i) => `i-report-${i}`);
    let running = 0;
    let mostAtOnce = 0;
    const reportingHosts = {
      instanceIds: () => instanceIds,
      async runReport() {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(5);
        running -= 1;
        return { exitCode: 0, stdout: '{}', stderr: '' };
      },
    } as unknown as LocalHosts;
    const finished: ReportInvocation[] = [];
    const reportingBus = new LocalCommandBus(
      reportingHosts,
      async () => undefined,
      async (invocation) => {
        finished.push(invocation);
      },
    );

    // Act
    const id = await reportingBus.requestReports();
    await reportingBus.idle();

    // Assess: every host reported, never more than the bound at once, and the bound was used.
    expect(finished.map((invocation) => invocation.instanceId).sort()).toEqual([...instanceIds].sort());
    expect(mostAtOnce).toBe(LOCAL_REPORTS_IN_FLIGHT);
    for (const instanceId of instanceIds) {
      expect((await reportingBus.get(id, instanceId)).status).toBe('Success');
    }
  });

  describe('teardown', () => {
    const teardown = (generation: number) =>
      bus.teardown({ instanceId: gateway.instanceId, gatewayId: gateway.id, generation });

    it('runs after the commands sent before it, then destroys the host', async () => {
      // Act: sent back to back; the apply runs first.
      const applied = await bus.send(command(1));
      const id = await teardown(1);
      await bus.idle();

      // Assess
      expect((await bus.get(applied, gateway.instanceId)).status).toBe('Success');
      const invocation = await bus.get(id ?? '', gateway.instanceId);
      expect(invocation.status).toBe('Success');
      expect(parseReport(invocation.output)).toMatchObject({ path: 'teardown', tornDown: true });
      expect(hosts.hostInfo(gateway.instanceId)).toBeUndefined();
    });

    it('keeps the host when the script refuses (a newer incarnation of the id applied there)', async () => {
      // Prepare
      await bus.send(command(5));
      await bus.idle();

      // Act
      const id = await teardown(4);
      await bus.idle();

      // Assess
      const invocation = await bus.get(id ?? '', gateway.instanceId);
      expect(invocation.status).toBe('Success');
      expect(parseReport(invocation.output)).toMatchObject({ tornDown: false });
      expect(hosts.hostInfo(gateway.instanceId)).toMatchObject({ mode: 'files' });
    });

    it('ends Success with nothing to do on an instance without a host', async () => {
      // Act
      const id = await teardown(1);
      await bus.idle();

      // Assess
      expect(await bus.get(id ?? '', gateway.instanceId)).toMatchObject({ status: 'Success', output: '' });
      expect(hosts.hostInfo(gateway.instanceId)).toBeUndefined();
    });
  });
});
