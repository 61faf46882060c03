/** The Repository contract on the in-memory implementation. */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { repositoryContract } from './repository-contract';

const state = new MemoryState();

repositoryContract({ repository: (options) => new MemoryRepository(options, state) });
