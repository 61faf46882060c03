/** The Register gateway form of the console under test: opened from the gateway list and filled. */
import type { Page } from 'playwright-core';

/** A valid registration, by the labels the form shows. */
export const REGISTRATION = {
  Owner: 'carol',
  VPC: 'vpc-carol',
  'VPC CIDR': '10.0.0.0/16',
  'Tunnel subnet': '100.127.0.0/24',
  'Public IP': '198.51.100.250',
  Instance: 'i-carol',
};

/** Opens the form from the gateway list (an admin's page) and fills it, `changes` over REGISTRATION. */
export async function fillRegistration(
  page: Page,
  changes: Partial<typeof REGISTRATION> = {},
): Promise<void> {
  await page.getByRole('button', { name: 'Register gateway' }).click();
  await page.getByRole('heading', { name: 'Register gateway', level: 1 }).waitFor();
  for (const [label, value] of Object.entries({ ...REGISTRATION, ...changes })) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
}
