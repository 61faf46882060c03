/**
 * Config pushes, status reports and teardowns through SSM Run Command. An apply command carries
 * four constant-size parameters; the instance fetches the state document and the secrets it names
 * itself. The report command takes none and goes to every tagged gateway instance at once. The
 * teardown command names a deleted gateway and its last generation. Output
 * goes to S3 as well, because GetCommandInvocation truncates stdout at 24,000 characters and the
 * report of a large gateway is longer; it is read back with a signed GET, not the S3 client, which
 * would be the only S3 operation of the check-command and status-reports bundles
 * (docs/DECISIONS.md, "Lambda bundles").
 */
import {
  GetCommandInvocationCommand,
  InvalidInstanceId,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { ApplyCommand, CommandBus, CommandStatus, TeardownCommand } from '../../app/ports';
import { InvocationNotReadyError } from '../../core/errors';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { GATEWAY_TAG } from '../../shared/gateway-tag';
import { instanceArn } from '../../shared/instance-arn';
import { logger } from '../../shared/logger';
import { boundedClientConfig } from '../sdk-client';
import { ObjectTooLargeError, type S3HttpObjects, signedObjects } from '../signed-s3/http-objects';
import { toTransient, transientOn } from '../transient';

const OUTPUT_PREFIX = 'command-output';
/**
 * Output of an apply command goes under its instance's ARN: the instance policy lets an instance
 * write only below `command-output/${ec2:SourceInstanceARN}/` (docs/SECURITY.md), so no instance
 * can forge another's push report. The report command goes to many instances at once, under one
 * prefix every instance may write: a known limitation (docs/SECURITY.md).
 */
export const instanceOutputPrefix = (instanceId: string) => `${OUTPUT_PREFIX}/${instanceArn(instanceId)}`;
export const REPORT_OUTPUT_PREFIX = `${OUTPUT_PREFIX}/reports`;
const SSM_STDOUT_LIMIT = 24_000;
/**
 * How much of SSM's copy an output read from S3 must begin with: all but a margin, in case the agent
 * marks a truncation at its end.
 */
const SSM_STDOUT_VERIFIED_CHARS = 20_000;
/**
 * The most of a command's output read from S3. The instance writes that object, and a compromised
 * one can make it any size; unbounded, it would fill the Lambda's memory. A report line takes
 * about 200 bytes a peer, so a gateway of 40,000 peers still fits.
 */
export const OUTPUT_READ_LIMIT_BYTES = 8 * 1024 * 1024;
/** How long a teardown waits for an instance that is offline: SSM's longest, 30 days. */
const TEARDOWN_DELIVERY_SECONDS = 30 * 24 * 60 * 60;
const KNOWN_STATUSES: CommandStatus[] = [
  'Pending',
  'InProgress',
  'Delayed',
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
];

/**
 * Every command runs its document's latest version, not its default one: the stack updates the
 * documents with `updateMethod: NewVersion`, which is meant to make the new version the default but
 * has been reported not to (aws-cloudformation/cloudformation-coverage-roadmap#2539), and that
 * would leave every instance on the previous script after a deploy (docs/DECISIONS.md, "Commands
 * run the documents' latest version").
 */
const DOCUMENT_VERSION = '$LATEST';

export class SsmCommandBus implements CommandBus {
  constructor(
    private readonly ssm: SSMClient,
    /** The bucket commands write their output to. */
    private readonly output: S3HttpObjects,
    private readonly documents: { apply: string; report: string; teardown: string },
    /**
     * The report command's delivery timeout, read when a report command is sent: only the
     * status-reports function is given one, and every other handler shares this bus.
     */
    private readonly reportDeliveryTimeoutSeconds: () => number = env.statusReportDeliveryTimeoutSeconds,
  ) {}

  async send(command: ApplyCommand): Promise<string> {
    const result = await transientOn('SSM Run Command', () =>
      this.ssm.send(
        new SendCommandCommand({
          DocumentName: this.documents.apply,
          DocumentVersion: DOCUMENT_VERSION,
          InstanceIds: [command.instanceId],
          Parameters: {
            gatewayId: [command.gatewayId],
            generation: [String(command.generation)],
            stateUri: [command.stateUri],
            stateSha256: [command.stateSha256],
          },
          TimeoutSeconds: 600,
          OutputS3BucketName: this.output.bucket,
          OutputS3KeyPrefix: instanceOutputPrefix(command.instanceId),
          Comment: `vpc-peering ${command.gatewayId} generation ${command.generation}`,
        }),
      ),
    );
    return commandIdOf(result.Command);
  }

  /**
   * InvalidInstanceId: the instance is terminated, or not a managed instance any more (SSM also
   * answers so for a stopped one): nothing to tear down, never worth a retry (docs/SECURITY.md).
   * AccessDeniedException likewise: the role may send commands only to instances carrying the
   * gateway tag (the `ssm:resourceTag` condition), so the instance is not, or no longer, a gateway
   * of ours; a retry would be refused for good and keep the cascade pending. Logged, so a
   * misconfiguration of our own role still shows.
   */
  async teardown(command: TeardownCommand): Promise<string | undefined> {
    try {
      const result = await transientOn('SSM Run Command', () =>
        this.ssm.send(
          new SendCommandCommand({
            DocumentName: this.documents.teardown,
            DocumentVersion: DOCUMENT_VERSION,
            InstanceIds: [command.instanceId],
            Parameters: { gatewayId: [command.gatewayId], generation: [String(command.generation)] },
            // An instance that lost its connection for a while still gets it when it is back.
            TimeoutSeconds: TEARDOWN_DELIVERY_SECONDS,
            OutputS3BucketName: this.output.bucket,
            OutputS3KeyPrefix: instanceOutputPrefix(command.instanceId),
            Comment: `vpc-peering teardown ${command.gatewayId} generation ${command.generation}`,
          }),
        ),
      );
      return commandIdOf(result.Command);
    } catch (error) {
      if (error instanceof InvalidInstanceId) return undefined;
      if (error instanceof Error && error.name === 'AccessDeniedException') {
        logger.warn('Teardown refused for an instance that is not a gateway of ours: not sent', {
          instanceId: command.instanceId,
          gatewayId: command.gatewayId,
          errorMessage: error.message,
        });
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Every instance at once (docs/DECISIONS.md, "The report command at fleet scale"). With a fixed
   * number at a time (50 until 2026-12-05) the rest wait for a free slot, and SSM times out every
   * invocation not delivered when the command expires: at 2 s a report that capped the fleet at a
   * few thousand instances, 10,000 at best. A report only reads its own host, so nothing on the
   * instances' side needs pacing; the burst of finished reports is paced where it lands, by the
   * status-reports function's reserved concurrency.
   */
  async requestReports(): Promise<string> {
    const timeoutSeconds = this.reportDeliveryTimeoutSeconds();
    const result = await transientOn('SSM Run Command', () =>
      this.ssm.send(
        new SendCommandCommand({
          DocumentName: this.documents.report,
          DocumentVersion: DOCUMENT_VERSION,
          Targets: [{ Key: `tag:${GATEWAY_TAG.key}`, Values: [GATEWAY_TAG.value] }],
          MaxConcurrency: '100%',
          // A report only reads; an unreachable instance must not stop the others.
          MaxErrors: '100%',
          // Under the period: an instance unreachable for a while gets one pending report when it is back.
          TimeoutSeconds: timeoutSeconds,
          OutputS3BucketName: this.output.bucket,
          OutputS3KeyPrefix: REPORT_OUTPUT_PREFIX,
          Comment: 'vpc-peering status report',
        }),
      ),
    );
    return commandIdOf(result.Command);
  }

  async get(commandId: string, instanceId: string): Promise<{ status: CommandStatus; output: string }> {
    try {
      const result = await this.ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      );
      const status = toCommandStatus(result.Status);
      let output = result.StandardOutputContent ?? '';
      const fullUrl = output.length >= SSM_STDOUT_LIMIT ? result.StandardOutputUrl : undefined;
      if (status === 'Success' && fullUrl) {
        output = await this.fullOutput(fullUrl, commandId, instanceId, output);
      }
      return { status, output };
    } catch (error) {
      if (error instanceof InvocationDoesNotExist) {
        throw new InvocationNotReadyError(`Invocation ${commandId} on ${instanceId} is not registered yet`);
      }
      throw toTransient('SSM Run Command', error);
    }
  }

  /**
   * The whole output, from S3, of an invocation whose first characters SSM returned (`recorded`).
   * The report command's objects lie under one prefix every instance may write (docs/SECURITY.md,
   * "Status report output"), so an object counts only if it begins as SSM's own copy does: another
   * instance can neither read that copy nor guess it (its peers' keys, handshakes and bytes).
   */
  private async fullOutput(
    url: string,
    commandId: string,
    instanceId: string,
    recorded: string,
  ): Promise<string> {
    // StandardOutputUrl is https://s3.<region>.amazonaws.com/<bucket>/<key>
    const key = decodeURIComponent(new URL(url).pathname.split('/').slice(2).join('/'));
    // SSM writes <prefix>/<command id>/<instance id>/…: nothing else is this invocation's output.
    const own = [instanceOutputPrefix(instanceId), REPORT_OUTPUT_PREFIX].some((prefix) =>
      key.startsWith(`${prefix}/${commandId}/${instanceId}/`),
    );
    if (!own) throw new Error(`Output of ${commandId} on ${instanceId} is outside its own prefix`);
    let text: string | undefined;
    try {
      text = await this.output.get(key, { maxBytes: OUTPUT_READ_LIMIT_BYTES });
    } catch (error) {
      if (!(error instanceof ObjectTooLargeError)) throw error;
      // No report rather than part of one: the output itself is never logged, it is the instance's.
      logger.warn('Command output is larger than the read limit: read as no report', {
        commandId,
        instanceId,
        limitBytes: OUTPUT_READ_LIMIT_BYTES,
      });
      return '';
    }
    if (text === undefined) {
      // A periodic report's upload can be throttled when the whole fleet reports at once: no report
      // this period (its status shows stale), not a failed event for the dead-letter queue.
      if (key.startsWith(`${REPORT_OUTPUT_PREFIX}/`)) {
        logger.warn('Report output is missing from S3: read as no report', { commandId, instanceId });
        return '';
      }
      throw new Error(`Output of ${commandId} on ${instanceId} is missing from S3`);
    }
    if (!text.startsWith(recorded.slice(0, SSM_STDOUT_VERIFIED_CHARS))) {
      logger.warn('Command output in S3 does not begin as SSM recorded it: read as no report', {
        commandId,
        instanceId,
      });
      return '';
    }
    return text;
  }
}

function commandIdOf(command: { CommandId?: string } | undefined): string {
  if (!command?.CommandId) throw new Error('SendCommand returned no CommandId');
  return command.CommandId;
}

function toCommandStatus(status: string | undefined): CommandStatus {
  // SSM's "Cancelling" is still running; anything unknown is treated as in progress and bounded by the poll limit.
  return KNOWN_STATUSES.find((s) => s === status) ?? 'InProgress';
}

export const commandBus = () =>
  resolve(
    'commands',
    () =>
      new SsmCommandBus(new SSMClient(boundedClientConfig('SSM')), signedObjects(env.configBucket()), {
        apply: env.ssmDocumentName(),
        report: env.ssmReportDocumentName(),
        teardown: env.ssmTeardownDocumentName(),
      }),
  );
