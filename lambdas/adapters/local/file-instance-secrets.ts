/**
 * The embedded runtime's InstanceSecrets: copies of the secrets a gateway's document names, as
 * 0600 files under `<root>/<instanceId>/`, the only secret directory that instance's local host is
 * given (runtime/hosts/local-hosts.ts). It stands in for the instance-tagged S3 copies: an
 * instance reads what was delivered to it, never the control plane's store.
 *
 * The instance's directory is laid out by secret name alone (the gateway script reads `<dir><name>`,
 * gateway/lib/secrets.sh), but copies belong to a gateway, as on S3 (`gateways/<id>/secrets…`):
 * each delivery first records its names as empty marker files under
 * `<root>/.delivered/<instanceId>/<gatewayId>/` (outside every instance's directory: no instance
 * id starts with a dot), and a withdrawal removes only the copies its gateway's record names. A
 * late withdrawal of a deleted gateway thus leaves the copies of the next gateway on its instance,
 * which that gateway's delta pushes trust (docs/DECISIONS.md, "Withdrawing one gateway's local
 * copies").
 */
import { access, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InstanceSecrets, InstanceTarget, SecretStore } from '../../app/ports';
import { SecretMissingError } from '../../core/errors';
import { secretPath } from './file-secret-store';
import { replaceFileWhole } from './whole-files';

const PATH_PART = /^[A-Za-z0-9._-]{1,64}$/;
const RECORDS = '.delivered';

export class FileInstanceSecrets implements InstanceSecrets {
  /** The last operation queued per instance: a withdrawal never interleaves with a delivery there. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly source: SecretStore,
    private readonly root: string,
  ) {}

  /** The directory instance `instanceId` reads its secrets from. */
  directoryOf(instanceId: string): string {
    return join(this.root, pathPart('instance id', instanceId));
  }

  deliver(target: InstanceTarget, names: readonly string[]): Promise<void> {
    return this.serialized(target.instanceId, async () => {
      const directory = this.directoryOf(target.instanceId);
      const record = this.recordOf(target);
      for (const name of names) {
        const value = await this.source.get(name);
        if (value === undefined) throw new SecretMissingError(name);
        // Recorded before it is copied: a delivery stopped in between leaves no copy its
        // gateway's withdrawal would not find.
        await writeMarker(secretPath(record, name));
        // Replaced, never kept (a name reused by a gateway registered again must not serve the
        // old value: such a push names every secret, app/push.ts), by a rename, so a script
        // reading it meanwhile sees the old file or the new one.
        const path = secretPath(directory, name);
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await replaceFileWhole(path, value, 0o600);
      }
    });
  }

  /**
   * Removes the copies delivered for the target's gateway on its instance, except a name another
   * gateway's record there also holds; then the gateway's record. When no gateway's record is
   * left, the instance's directory goes whole (also what was delivered before records were kept).
   */
  withdraw(target: InstanceTarget): Promise<void> {
    return this.serialized(target.instanceId, async () => {
      const directory = this.directoryOf(target.instanceId);
      const record = this.recordOf(target);
      const others = (await listOrNone(this.recordsOf(target.instanceId))).filter(
        (gatewayId) => gatewayId !== target.gatewayId,
      );
      for (const name of await namesUnder(record)) {
        const held = await Promise.all(
          others.map((gatewayId) =>
            exists(secretPath(join(this.recordsOf(target.instanceId), gatewayId), name)),
          ),
        );
        if (!held.includes(true)) await rm(secretPath(directory, name), { force: true });
      }
      await rm(record, { recursive: true, force: true });
      if (others.length === 0) {
        await rm(directory, { recursive: true, force: true });
        await rm(this.recordsOf(target.instanceId), { recursive: true, force: true });
      }
    });
  }

  private recordsOf(instanceId: string): string {
    return join(this.root, RECORDS, pathPart('instance id', instanceId));
  }

  private recordOf(target: InstanceTarget): string {
    return join(this.recordsOf(target.instanceId), pathPart('gateway id', target.gatewayId));
  }

  /** Runs `operation` after every operation queued before it for the instance. */
  private serialized(instanceId: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(operation);
    this.queues.set(instanceId, current);
    const forget = () => {
      if (this.queues.get(instanceId) === current) this.queues.delete(instanceId);
    };
    current.then(forget, forget);
    return current;
  }
}

/** `value` as one path component, refusing anything that could leave its parent or hit RECORDS. */
function pathPart(what: string, value: string): string {
  if (!PATH_PART.test(value) || value.startsWith('.')) {
    throw new Error(`Invalid ${what} ${JSON.stringify(value)}`);
  }
  return value;
}

/** An empty file: only its name counts. */
async function writeMarker(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, '');
}

async function listOrNone(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The secret names recorded under `record` (`/a/b` for the file `<record>/a/b`). */
async function namesUnder(record: string, prefix = ''): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(record, prefix), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names: string[] = [];
  for (const entry of entries) {
    const name = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) names.push(...(await namesUnder(record, name)));
    else names.push(name);
  }
  return names;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
