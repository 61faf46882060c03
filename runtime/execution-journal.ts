/**
 * The embedded runtime's record of workflow executions under DATA_DIR, so they survive a crash as
 * Step Functions executions do on AWS: one small JSON file per execution, written before `start`
 * answers and again when it ends (README, "What survives a crash"). Finished ones are removed by
 * the engine's retention (docs/DECISIONS.md, "Execution journal retention").
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionResult, WorkflowName } from '../lambdas/app/ports';

export interface JournalEntry {
  id: string;
  workflow: WorkflowName;
  /** The input as serialised when the execution started. */
  input: string;
  result: ExecutionResult;
  /** When it ended (ISO 8601); absent while it runs, and in records written before retention existed. */
  endedAt?: string;
}

export class ExecutionJournal {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Written whole to a temporary file, then renamed: a crash leaves the old record or the new one. */
  write(entry: JournalEntry): void {
    const path = join(this.dir, fileName(entry.id));
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, JSON.stringify(entry));
    renameSync(temporary, path);
  }

  /** Forgets an execution; one already gone is no error. */
  remove(executionId: string): void {
    rmSync(join(this.dir, fileName(executionId)), { force: true });
  }

  /** Every recorded execution; a torn or foreign file is skipped. */
  entries(): JournalEntry[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        try {
          const entry = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as JournalEntry;
          return typeof entry.id === 'string' && typeof entry.input === 'string' ? [entry] : [];
        } catch {
          return [];
        }
      });
  }
}

/** `arn:…:execution:<workflow>:<name>` → `<workflow>.<name>.json` (names are [A-Za-z0-9_-]). */
const fileName = (executionId: string): string =>
  `${executionId
    .split(':')
    .slice(-2)
    .join('.')
    .replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
