import { repository } from '../../adapters/dynamodb';
import { configStore } from '../../adapters/s3';
import { instanceSecrets } from '../../adapters/s3/secrets';
import { commandBus } from '../../adapters/ssm';
import { pushStep } from '../../app/peering-workflow';
import { clock } from '../../shared/deps';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('PushConfig', (input: { gatewayId: string; required: boolean }) =>
  pushStep(
    {
      repository: repository(),
      configStore: configStore(),
      instanceSecrets: instanceSecrets(),
      commands: commandBus(),
      clock: clock(),
    },
    input,
  ),
);
