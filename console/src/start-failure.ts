/**
 * What the page shows when the console cannot start (main.tsx): plain DOM, since React and
 * Cloudscape may be what failed to load. Never a blank page, never a guessed configuration.
 */
import { ConfigUnavailableError } from './config';

export function showStartFailure(error: unknown, reload = () => window.location.reload()): void {
  const configMissing = error instanceof ConfigUnavailableError;
  const main = document.createElement('main');
  main.style.cssText =
    'font-family: system-ui, sans-serif; max-width: 560px; margin: 4rem auto; padding: 0 1rem';
  const heading = document.createElement('h1');
  heading.textContent = configMissing
    ? "The console's configuration could not be loaded"
    : 'The console could not start';
  const reason = document.createElement('p');
  reason.textContent = `${error instanceof Error ? error.message : String(error)}. Try again in a moment.`;
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.textContent = 'Retry';
  retry.addEventListener('click', reload);
  main.append(heading, reason, retry);
  document.body.replaceChildren(main);
  retry.focus();
}
