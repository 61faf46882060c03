import { repository } from '../../adapters/dynamodb';
import { configStore } from '../../adapters/s3';
import { commandBus } from '../../adapters/ssm';
import { checkCommandStep } from '../../app/peering-workflow';
import type { PushTicket } from '../../app/push';
import { clock } from '../../shared/deps';
import { env } from '../../shared/env';
import { stepHandler } from '../../shared/step-handler';

// Read per step, and once at cold start: a malformed value fails the init, naming its variable.
env.commandMaxPolls();

export const handler = stepHandler('CheckCommand', (input: { ticket: PushTicket }) =>
  checkCommandStep(
    { repository: repository(), configStore: configStore(), commands: commandBus(), clock: clock() },
    input,
    env.commandMaxPolls(),
  ),
);
