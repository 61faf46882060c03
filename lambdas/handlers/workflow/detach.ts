import { repository } from '../../adapters/dynamodb';
import { detachForDeletion } from '../../app/peering-teardown';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('Detach', (input: { peeringId: string }) =>
  detachForDeletion({ repository: repository() }, input),
);
