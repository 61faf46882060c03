/**
 * Withdrawing the secret copies delivered for a gateway (bucket layout: ./secret-store.ts), over
 * signed requests. Apart from delivery (./secrets.ts, CopyObject on the S3 client), so that the
 * cascade and the sweeper, which only withdraw, bundle no S3 client (docs/DECISIONS.md, "Lambda
 * bundles").
 */
import type { InstanceSecrets, InstanceTarget } from '../../app/ports';
import { provided } from '../../shared/deps';
import { env } from '../../shared/env';
import { type S3HttpObjects, signedObjects } from '../signed-s3/http-objects';
import { deleteUnderPrefix } from './delete-under-prefix';
import { deliveredSecretsPrefix } from './secret-store';

/** Deletes every copy delivered for the target's gateway from the secrets bucket's `objects`. */
export const withdrawCopies = (objects: S3HttpObjects, target: InstanceTarget) =>
  deleteUnderPrefix(objects, deliveredSecretsPrefix(target.gatewayId));

/**
 * Withdrawal alone, for the cascade and the sweeper; the provided adapter (embedded runtime, tests)
 * serves too.
 */
export const secretCopiesWithdrawal = (): Pick<InstanceSecrets, 'withdraw'> =>
  provided('instanceSecrets') ?? {
    withdraw: (target) => withdrawCopies(signedObjects(env.secretsBucket()), target),
  };
