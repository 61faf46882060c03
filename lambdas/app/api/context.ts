/** What the API's use cases need: the ports, and how long a request may wait for a workflow or a push. */
import type { Dependencies } from '../ports';

export type ApiDeps = Pick<
  Dependencies,
  'repository' | 'secrets' | 'configStore' | 'commands' | 'workflows' | 'clock'
>;

export interface ApiTiming {
  /** How long create/delete wait for their workflow or push before answering 202 (API_WAIT_MS). */
  waitMs: number;
  /** Pause between two polls of a workflow or a push. */
  pollMs: number;
  /** Bound of CheckCommand polls of one push (COMMAND_MAX_POLLS). */
  commandMaxPolls: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
