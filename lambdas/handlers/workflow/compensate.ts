import { repository } from '../../adapters/dynamodb';
import { auditPublisher } from '../../adapters/events';
import { compensatePeering } from '../../app/peering-teardown';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler(
  'Compensate',
  (input: { peeringId: string; failure?: { Error?: string; Cause?: string } }) =>
    compensatePeering({ repository: repository(), audit: auditPublisher() }, input),
);
