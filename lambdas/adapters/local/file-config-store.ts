/** The embedded runtime's config store: state documents as files, fetched by file:// URI. */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ConfigStore, InstanceTarget, PublishedState } from '../../app/ports';
import { sha256Hex } from '../s3';
import { documentGeneration, gatewayDocumentsPrefix, stateDocumentKey } from '../s3/documents';

export class FileConfigStore implements ConfigStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState> {
    const path = join(this.root, stateDocumentKey(target.gatewayId, generation));
    await mkdir(dirname(path), { recursive: true });
    // Unique per write: concurrent pushes may publish the same gateway and generation at once.
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, document);
    await rename(temporary, path);
    return { uri: `file://${path}`, sha256: sha256Hex(document) };
  }

  async get(gatewayId: string, generation: number): Promise<string | undefined> {
    const path = join(this.root, stateDocumentKey(gatewayId, generation));
    return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  }

  async deleteThrough(gatewayId: string, generation: number): Promise<void> {
    const prefix = gatewayDocumentsPrefix(gatewayId);
    const names = await readdir(join(this.root, prefix)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const name of names) {
      const found = documentGeneration(gatewayId, `${prefix}${name}`);
      if (found !== undefined && found <= generation)
        await rm(join(this.root, prefix, name), { force: true });
    }
  }
}
