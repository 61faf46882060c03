import { repository } from '../../adapters/dynamodb';
import { auditPublisher } from '../../adapters/events';
import { secretStore } from '../../adapters/s3/secret-store';
import { releasePeering } from '../../app/peering-teardown';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('Release', (input: { peeringId: string; deleteRecord: boolean }) =>
  releasePeering({ repository: repository(), secrets: secretStore(), audit: auditPublisher() }, input),
);
