import { repository } from '../../adapters/dynamodb';
import { type PeeringRequest, validatePeering } from '../../app/peering-workflow';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('Validate', (input: PeeringRequest) =>
  validatePeering({ repository: repository() }, input),
);
