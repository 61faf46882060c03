import { repository } from '../../adapters/dynamodb';
import { auditPublisher } from '../../adapters/events';
import { type AppliedPush, activatePeering } from '../../app/peering-workflow';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('Activate', (input: { peeringId: string; pushed?: AppliedPush[] }) =>
  activatePeering({ repository: repository(), audit: auditPublisher() }, input),
);
