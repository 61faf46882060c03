import { repository } from '../../adapters/dynamodb';
import { auditPublisher } from '../../adapters/events';
import { secretStore } from '../../adapters/s3/secret-store';
import { allocatePeering, type PeeringRequest } from '../../app/peering-workflow';
import { clock } from '../../shared/deps';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('AllocateTunnelIps', (input: PeeringRequest) =>
  allocatePeering(
    { repository: repository(), secrets: secretStore(), audit: auditPublisher(), clock: clock() },
    input,
  ),
);
