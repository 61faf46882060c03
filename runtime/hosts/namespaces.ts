/** Network namespaces of the local hosts, found by the prefix a run gives all of them. */
import { missingCommands, mustRun, run } from './shell';

/** The namespaces named `<prefix>-…`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const listing = await mustRun(['ip', 'netns', 'list']);
  return listing
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

/** Kills every process left inside each namespace (wireguard-go, pings), then deletes it. */
export async function killAndDeleteNamespaces(names: readonly string[]): Promise<void> {
  for (const name of names) {
    const pids = await run(['ip', 'netns', 'pids', name]);
    for (const pid of pids.stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await run(['ip', 'netns', 'del', name]);
  }
}

/**
 * What a crashed run with this prefix left: its namespaces, with their processes. Nothing to do
 * where namespaces cannot exist (no `ip`, not root). Returns the names removed.
 */
export async function removeNamespaces(prefix: string): Promise<string[]> {
  if (missingCommands(['ip']).length > 0 || process.getuid?.() !== 0) return [];
  const names = await namespacesWithPrefix(prefix);
  await killAndDeleteNamespaces(names);
  return names;
}
