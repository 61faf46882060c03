import { repository } from '../../adapters/dynamodb';
import { configStore } from '../../adapters/s3';
import { commandBus } from '../../adapters/ssm';
import { checkCommandStep } from '../../app/peering-workflow';
import type { PushTicket } from '../../app/push';
import { clock } from '../../shared/deps';
import { env } from '../../shared/env';
import { stepHandler } from '../../shared/step-handler';

export const handler = stepHandler('CheckCommand', (input: { ticket: PushTicket }) =>
  checkCommandStep(
    { repository: repository(), configStore: configStore(), commands: commandBus(), clock: clock() },
    input,
    env.commandMaxPolls(),
  ),
);
