import { getByRole } from '@testing-library/dom';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConfigUnavailableError } from './config';
import { showStartFailure } from './start-failure';

afterEach(() => document.body.replaceChildren());

describe('the page when the console cannot start', () => {
  test('says the configuration could not be loaded, and Retry loads again', () => {
    // Prepare
    const reload = vi.fn();
    // Act
    showStartFailure(new ConfigUnavailableError('config.json answered HTTP 503'), reload);
    // Assess
    getByRole(document.body, 'heading', { name: "The console's configuration could not be loaded" });
    expect(document.body.textContent).toContain('config.json answered HTTP 503');
    const retry = getByRole(document.body, 'button', { name: 'Retry' });
    expect(document.activeElement).toBe(retry);
    retry.click();
    expect(reload).toHaveBeenCalledTimes(1);
  });

  test('any other failure says the console could not start', () => {
    // Act
    showStartFailure(new Error('Failed to fetch dynamically imported module'), vi.fn());
    // Assess
    getByRole(document.body, 'heading', { name: 'The console could not start' });
    getByRole(document.body, 'button', { name: 'Retry' });
  });
});
