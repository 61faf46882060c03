/** The Repository contract on the in-memory implementation. */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { limitsContract } from '../support/limits-contract';
import { repositoryContract } from '../support/repository-contract';

const state = new MemoryState();

repositoryContract({ repository: (options) => new MemoryRepository(options, state) });
limitsContract({ repository: (options) => new MemoryRepository(options, state) });
