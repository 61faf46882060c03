/**
 * The embedded runtime's InstanceSecrets: copies of the secrets a gateway's document names, as
 * 0600 files under `<root>/<instanceId>/`, the only secret directory that instance's local host is
 * given (runtime/hosts/local-hosts.ts). It stands in for the instance-tagged S3 copies: an
 * instance reads what was delivered to it, never the control plane's store. Copies are kept per
 * instance, not per gateway (an instance serves one gateway at a time): withdrawing a gateway's
 * copies empties its instance's directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InstanceSecrets, InstanceTarget, SecretStore } from '../../app/ports';
import { SecretMissingError } from '../../core/errors';
import { secretPath } from './file-secret-store';

const INSTANCE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class FileInstanceSecrets implements InstanceSecrets {
  constructor(
    private readonly source: SecretStore,
    private readonly root: string,
  ) {}

  /** The directory instance `instanceId` reads its secrets from. */
  directoryOf(instanceId: string): string {
    if (!INSTANCE_ID.test(instanceId) || instanceId.startsWith('.')) {
      throw new Error(`Invalid instance id ${JSON.stringify(instanceId)}`);
    }
    return join(this.root, instanceId);
  }

  async deliver(target: InstanceTarget, names: readonly string[]): Promise<void> {
    const directory = this.directoryOf(target.instanceId);
    for (const name of names) {
      const value = await this.source.get(name);
      if (value === undefined) throw new SecretMissingError(name);
      // Replaced, never kept (a name reused by a gateway registered again must not serve the old
      // value: such a push names every secret, app/push.ts), by a rename, so a script reading it
      // meanwhile sees the old file or the new one.
      const path = secretPath(directory, name);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const temporary = `${path}.${randomUUID()}.tmp`;
      await writeFile(temporary, value, { mode: 0o600 });
      await rename(temporary, path);
    }
  }

  async withdraw(target: InstanceTarget): Promise<void> {
    await rm(this.directoryOf(target.instanceId), { recursive: true, force: true });
  }
}
