/** The embedded runtime's config store: state documents as files, fetched by file:// URI. */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ConfigStore, InstanceTarget, PublishedState } from '../../app/ports';
import { sha256Hex } from '../s3';
import {
  DOCUMENT_PRUNE_BATCH,
  documentGeneration,
  dueForPrune,
  gatewayDocumentsPrefix,
  stateDocumentKey,
} from '../s3/documents';
import { replaceFileWhole } from './whole-files';

export class FileConfigStore implements ConfigStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState> {
    const path = join(this.root, stateDocumentKey(target.gatewayId, generation));
    await mkdir(dirname(path), { recursive: true });
    // Concurrent pushes may publish the same gateway and generation at once: each write is whole.
    await replaceFileWhole(path, document);
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
    for (const name of await this.names(gatewayId)) {
      const found = documentGeneration(gatewayId, `${prefix}${name}`);
      if (found !== undefined && found <= generation)
        await rm(join(this.root, prefix, name), { force: true });
    }
  }

  /**
   * As the S3 store: the lowest DOCUMENT_PRUNE_BATCH documents, each deleted when below `below` and
   * written (its mtime: a document is written whole, then renamed) before `writtenBefore`. The
   * directory holds only what earlier prunes left, so its listing stays as small as the listing
   * page on S3.
   */
  async pruneBelow(
    gatewayId: string,
    below: number,
    writtenBefore: Date,
    signal?: AbortSignal,
  ): Promise<number> {
    const prefix = gatewayDocumentsPrefix(gatewayId);
    const lowest = (await this.names(gatewayId))
      .flatMap((name) => {
        const generation = documentGeneration(gatewayId, `${prefix}${name}`);
        return generation === undefined ? [] : [{ name, generation }];
      })
      .sort((a, b) => a.generation - b.generation)
      .slice(0, DOCUMENT_PRUNE_BATCH);
    let deleted = 0;
    for (const { name, generation } of lowest) {
      if (generation >= below) break;
      const path = join(this.root, prefix, name);
      const written = await stat(path).then(
        ({ mtime }) => mtime,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        },
      );
      if (written === undefined || !dueForPrune({ generation, writtenAt: written }, below, writtenBefore))
        continue;
      if (signal?.aborted) break;
      await rm(path, { force: true });
      deleted += 1;
    }
    return deleted;
  }

  /** The names in the gateway's documents directory; none when it has none. */
  private names(gatewayId: string): Promise<string[]> {
    return readdir(join(this.root, gatewayDocumentsPrefix(gatewayId))).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
  }
}
