import { repository } from '../../adapters/dynamodb';
import { secretStore } from '../../adapters/s3/secret-store';
import { type PeeringRequest, validatePeering } from '../../app/peering-workflow';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('Validate', (input: PeeringRequest) =>
  validatePeering({ repository: repository(), secrets: secretStore() }, input),
);
