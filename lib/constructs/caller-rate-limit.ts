/**
 * One caller's rate across every API container: an AWS WAF web ACL on the stage whose rate-based rule
 * counts requests per `Authorization` header (one caller's token) and answers a caller past its
 * limit 429 THROTTLED, in the contract's envelope, before API Gateway or the api function run. The
 * api function's own bucket (lambdas/http/throttle.ts) is per container, so a caller with a few
 * requests in flight multiplies it (docs/DECISIONS.md, "One caller's rate across containers").
 */
import { Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/**
 * The rule's window: WAF counts over 60, 120, 300 or 600 s; the shortest lets a blocked caller back
 * in soonest, and answers Retry-After with it.
 */
export const CALLER_WINDOW_SECONDS = 60;
/** WAF's least rate-based limit per window. */
const LEAST_WAF_LIMIT = 10;
const BODY_KEY = 'throttled';

export interface CallerRateLimitProps {
  readonly stage: Stage;
  /** Requests one caller may send per second, averaged over CALLER_WINDOW_SECONDS. */
  readonly requestsPerSecond: number;
  /** The console's origin: a browser reads a refusal only when it carries it (CORS). */
  readonly consoleOrigin?: string;
}

export class CallerRateLimit extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: CallerRateLimitProps) {
    super(scope, id);
    const limit = props.requestsPerSecond * CALLER_WINDOW_SECONDS;
    if (!Number.isInteger(limit) || limit < LEAST_WAF_LIMIT) {
      throw new Error(
        `A caller's WAF limit must be a whole number of at least ${LEAST_WAF_LIMIT} requests per ${CALLER_WINDOW_SECONDS} s, got ${limit}`,
      );
    }
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const headers = [
      { name: 'Retry-After', value: String(CALLER_WINDOW_SECONDS) },
      ...(props.consoleOrigin
        ? [
            { name: 'Access-Control-Allow-Origin', value: props.consoleOrigin },
            { name: 'Vary', value: 'Origin' },
          ]
        : []),
    ];
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      description: "One caller's requests per minute to the VPC peering API, across all its containers",
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${Stack.of(this).stackName}-Api`),
      customResponseBodies: {
        [BODY_KEY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: {
              code: 'THROTTLED',
              message: `Too many requests from this caller; retry in ${CALLER_WINDOW_SECONDS} s`,
            },
          }),
        },
      },
      rules: [
        {
          name: 'CallerRate',
          priority: 0,
          // Requests without the header (GET /health, the OpenAPI document, CORS preflights) are
          // not counted by this rule; the stage's own limit bounds them.
          statement: {
            rateBasedStatement: {
              limit,
              evaluationWindowSec: CALLER_WINDOW_SECONDS,
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [
                { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
              ],
            },
          },
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: BODY_KEY,
                responseHeaders: headers,
              },
            },
          },
          visibilityConfig: visibility(`${Stack.of(this).stackName}-CallerRate`),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
