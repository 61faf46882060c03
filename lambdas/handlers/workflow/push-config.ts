import { repository } from '../../adapters/dynamodb';
import { configStore } from '../../adapters/s3';
import { commandBus } from '../../adapters/ssm';
import { pushStep } from '../../app/peering-workflow';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('PushConfig', (input: { gatewayId: string; required: boolean }) =>
  pushStep({ repository: repository(), configStore: configStore(), commands: commandBus() }, input),
);
