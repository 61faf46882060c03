/** The step handlers bound to their ASL substitution names (docs/ARCHITECTURE.md). */
import { handler as activate } from '../lambdas/handlers/workflow/activate';
import { handler as allocate } from '../lambdas/handlers/workflow/allocate';
import { handler as checkCommand } from '../lambdas/handlers/workflow/check-command';
import { handler as compensate } from '../lambdas/handlers/workflow/compensate';
import { handler as detach } from '../lambdas/handlers/workflow/detach';
import { handler as pushConfig } from '../lambdas/handlers/workflow/push-config';
import { handler as release } from '../lambdas/handlers/workflow/release';
import { handler as validate } from '../lambdas/handlers/workflow/validate';
import type { LambdaHandler } from './workflow-engine';

export const STEP_FUNCTIONS: Record<string, LambdaHandler> = {
  ValidateFunctionArn: validate as LambdaHandler,
  AllocateFunctionArn: allocate as LambdaHandler,
  PushConfigFunctionArn: pushConfig as LambdaHandler,
  CheckCommandFunctionArn: checkCommand as LambdaHandler,
  ActivateFunctionArn: activate as LambdaHandler,
  CompensateFunctionArn: compensate as LambdaHandler,
  DetachFunctionArn: detach as LambdaHandler,
  ReleaseFunctionArn: release as LambdaHandler,
};
