import { repository } from '../../adapters/dynamodb';
import { configStore } from '../../adapters/s3';
import { instanceSecrets } from '../../adapters/s3/secrets';
import { commandBus } from '../../adapters/ssm';
import { pushStep } from '../../app/peering-workflow';
import { clock } from '../../shared/deps';
import { env } from '../../shared/env';
import { stepHandler } from '../../shared/step-handler';

// Read per step, and once at cold start: a malformed value fails the init, naming its variable.
env.commandMaxPolls();

export const handler = stepHandler('PushConfig', (input: Parameters<typeof pushStep>[1]) =>
  pushStep(
    {
      repository: repository(),
      configStore: configStore(),
      instanceSecrets: instanceSecrets(),
      commands: commandBus(),
      clock: clock(),
    },
    input,
    // A waiter's queued tries: as many as a holder's polls, so it outlasts the lease it waits for.
    env.commandMaxPolls(),
  ),
);
