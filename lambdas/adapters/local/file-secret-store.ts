/**
 * The embedded runtime's secret store: one 0600 file per secret under a 0700 directory, laid out
 * by secret name. It stands in for the SSE-KMS objects of the control plane on a developer
 * machine; it is not encrypted beyond file permissions. No local host reads it: each gets the
 * copies delivered to its instance (file-instance-secrets.ts).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SecretStore } from '../../app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../app/secret-names';
import { createFileWhole } from './whole-files';

const SECRET_NAME = /^(\/[A-Za-z0-9_.-]+)+$/;

export class FileSecretStore implements SecretStore {
  readonly names;

  constructor(
    private readonly root: string,
    prefix = DEFAULT_SECRET_PREFIX,
  ) {
    this.names = secretNamesUnder(prefix);
  }

  /**
   * The first writer wins, and the name never exists without its whole value: a crash between
   * creating the file and filling it left an empty key that every later write kept.
   */
  async putIfAbsent(name: string, value: string): Promise<void> {
    const path = this.pathOf(name);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await createFileWhole(path, value, 0o600);
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await rm(this.pathOf(name), { force: true });
  }

  async deleteUnder(folder: string): Promise<void> {
    if (!folder.endsWith('/')) throw new Error(`Invalid secret folder ${JSON.stringify(folder)}`);
    await rm(this.pathOf(folder.slice(0, -1)), { recursive: true, force: true });
  }

  private pathOf(name: string): string {
    return secretPath(this.root, name);
  }
}

/** The file of secret `name` under `root`; refuses names that could leave it. */
export function secretPath(root: string, name: string): string {
  if (!SECRET_NAME.test(name) || name.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`Invalid secret name ${JSON.stringify(name)}`);
  }
  return join(root, name);
}
