/**
 * The public REST API: a Cognito user pool (the `admin` group marks administrators, docs/CONTRACT.md#authentication-and-visibility)
 * authorizes every route under /v1; GET /health is open. All routes reach the api Lambda through
 * proxy integrations, which does its own routing and input validation. Alarms beside it page when
 * the API fails its callers (README.md, "Alarms": ApiUnhandledErrors, ApiServerErrorRate,
 * ApiFunctionErrors, ApiFunctionThrottled).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { AccountRecovery, UserPool, type UserPoolClient, UserPoolGroup } from 'aws-cdk-lib/aws-cognito';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { alarmDescription } from './alarm-runbook';
import { CallerRateLimit } from './caller-rate-limit';
import { logLineCount } from './log-line-count';

export const ADMIN_GROUP = 'admin';
/** The one stage (CDK's default name); named here because its execution log group is too. */
const STAGE_NAME = 'prod';

/**
 * The standard JSON fields, plus who called and what path: `identity.user` and `identity.caller`
 * are IAM fields, empty for a Cognito caller, and every call's `resourcePath` is `/v1/{proxy+}`
 * (README, "Logs"; docs/DECISIONS.md, "Who did what, and group names").
 */
const STAGE_ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    ip: AccessLogField.contextIdentitySourceIp(),
    user: AccessLogField.contextIdentityUser(),
    caller: AccessLogField.contextIdentityCaller(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    protocol: AccessLogField.contextProtocol(),
    responseLength: AccessLogField.contextResponseLength(),
    sub: AccessLogField.contextAuthorizerClaims('sub'),
    path: AccessLogField.contextPath(),
  }),
);

interface GatewayAnswer {
  /** The construct id (Default4xx and Default5xx keep the ids they had before they had templates). */
  readonly id: string;
  readonly type: ResponseType;
  /** Absent for the defaults: each answer they cover keeps its own status. */
  readonly statusCode?: string;
  readonly code: string;
  readonly message: string;
  /** Header values as API Gateway takes them: quoted literals. */
  readonly headers?: Record<string, string>;
}

/**
 * What API Gateway answers itself, before the api Lambda runs, in the contract's envelope
 * (docs/CONTRACT.md#errors), with the Lambda's codes where it has one. The messages are fixed: a
 * gateway response template is plain substitution, not VTL, and `$context.error.messageString`
 * only puts the message between quotes, so a message holding a quote would make the body invalid
 * JSON. An unknown path outside /v1 (API Gateway's 403 "Missing Authentication Token") is the 404
 * the Lambda gives for one inside it.
 */
const GATEWAY_ANSWERS: readonly GatewayAnswer[] = [
  {
    id: 'Unauthorized',
    type: ResponseType.UNAUTHORIZED,
    statusCode: '401',
    code: 'UNAUTHORIZED',
    message: 'A valid bearer token is required',
  },
  {
    id: 'UnknownPath',
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    code: 'NOT_FOUND',
    message: 'No such route',
  },
  {
    id: 'ResourceNotFound',
    type: ResponseType.RESOURCE_NOT_FOUND,
    statusCode: '404',
    code: 'NOT_FOUND',
    message: 'No such route',
  },
  {
    id: 'Throttled',
    type: ResponseType.THROTTLED,
    statusCode: '429',
    code: 'THROTTLED',
    message: 'Too many requests; retry in 1 s',
    // The contract's 429 THROTTLED always says when to retry, as the Lambda's own does.
    headers: { 'Retry-After': "'1'" },
  },
  {
    id: 'RequestTooLarge',
    type: ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    code: 'PAYLOAD_TOO_LARGE',
    message: 'Bodies are limited to 10 MB',
  },
  {
    id: 'Default4xx',
    type: ResponseType.DEFAULT_4XX,
    code: 'REQUEST_REFUSED',
    message: 'API Gateway refused the request before it reached the API',
  },
  { id: 'Default5xx', type: ResponseType.DEFAULT_5XX, code: 'INTERNAL_ERROR', message: 'Internal error' },
];

/** The line lambdas/http/errors.ts writes for every 500 it answers (a thrown error it did not expect). */
export const UNHANDLED_ERROR_MESSAGE = 'Unhandled error in the API';
/**
 * The stage's 5xx share that pages: a tenth of at least 20 requests, in 2 of 3 five-minute
 * periods. A 502 PEERING_FAILED or PUSH_FAILED (a tenant's gateway did not apply) is a 5xx by
 * design, so a count would page for one tenant's retries; a share of all traffic over ten
 * minutes is the control plane's (docs/DECISIONS.md, "Alarms on the error, the API and the silent loops").
 */
const SERVER_ERROR_RATE = { share: 0.1, leastRequests: 20, periods: 3, breaching: 2 };

/**
 * The stage's limit, shared by every caller: far above one caller's (the web ACL's 20/s, or the
 * api function's 20/s per container), so no one caller takes it; what bounds the backend are the
 * account's quotas and the per-owner limits (docs/DECISIONS.md, "One caller's rate across
 * containers"). API Gateway's own account limit is 10,000/s, burst 5,000.
 */
export const STAGE_THROTTLE = { rateLimit: 1000, burstLimit: 2000 };

export interface PeeringApiProps {
  /**
   * With its own log group (the `logGroup` prop, as every PeeringFunction has): ApiUnhandledErrors
   * filters its lines; without one, CDK would add a LogRetention resource for `/aws/lambda/…`.
   */
  readonly handler: LambdaFunction;
  /** The console's origin (lib/constructs/console-hosting.ts): the only origin CORS allows. */
  readonly consoleOrigin?: string;
  /** Of the user pool and the access log group. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * One caller's requests per second across every container, counted by a WAF web ACL on the stage
   * (CallerRateLimit); undefined: no web ACL (a deployment whose WAF is managed per account, a test one).
   */
  readonly callerRequestsPerSecond?: number;
}

export class PeeringApi extends Construct {
  readonly api: RestApi;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** The stage's base URL. */
  readonly url: string;
  /** `https://<api host>`: unlike `url`, it does not depend on the stage (the console's CSP needs it). */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: PeeringApiProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.userPool, {
      'AwsSolutions-COG2':
        'Users are operators and the provisioning system authenticating from scripts (ADMIN_USER_PASSWORD_AUTH); MFA is enforced by the identity provider in front of them, not by this pool',
      'AwsSolutions-COG8':
        'The Plus tier (threat protection) is a paid account decision; the pool has no self sign-up and a strong password policy',
    });
    new UserPoolGroup(this, 'AdminGroup', { userPool: this.userPool, groupName: ADMIN_GROUP });
    this.userPoolClient = this.userPool.addClient('Client', {
      // Tokens are obtained by scripts and the provisioning system, not by a browser.
      authFlows: { userPassword: true, adminUserPassword: true },
      // No browser: no OAuth flows, scopes or callback URLs (CDK's defaults), and a wrong username
      // answers like a wrong password, so USER_PASSWORD_AUTH does not tell which users exist.
      disableOAuth: true,
      preventUserExistenceErrors: true,
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    this.api = new RestApi(this, 'Api', {
      description: 'VPC peering control plane',
      ...(props.consoleOrigin
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [props.consoleOrigin],
              allowMethods: ['GET', 'POST', 'DELETE'],
              allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
      deployOptions: {
        stageName: STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: STAGE_ACCESS_LOG_FORMAT,
        loggingLevel: MethodLoggingLevel.ERROR,
        tracingEnabled: true,
        throttlingRateLimit: STAGE_THROTTLE.rateLimit,
        throttlingBurstLimit: STAGE_THROTTLE.burstLimit,
      },
      // The account-wide setting execution and access logging both need; explicit, so neither
      // the feature flag nor a CDK default drops it, and kept on deletion (docs/DECISIONS.md).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
    });
    // ERROR logging writes to a group API Gateway names and would create without a retention:
    // made here first (the stage waits for it), with the access log's retention.
    const executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${STAGE_NAME}`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);

    acknowledge(this.api, {
      'AwsSolutions-APIG2':
        'The api Lambda validates every body and parameter itself and answers 400 VALIDATION_ERROR naming the field (docs/CONTRACT.md#invariants 7)',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
        'The account-level role API Gateway needs for access and execution logging; AWS documents this managed policy for it',
    });

    const integration = new LambdaIntegration(props.handler);
    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
    });
    const health = this.api.root
      .addResource('health')
      .addMethod('GET', integration, { authorizationType: AuthorizationType.NONE });
    acknowledge(health, {
      'AwsSolutions-APIG4':
        'GET /health is public by contract (docs/CONTRACT.md#resources) and returns only readiness',
      'AwsSolutions-COG4':
        'GET /health is public by contract (docs/CONTRACT.md#resources) and returns only readiness',
    });
    const v1 = this.api.root.addResource('v1');
    v1.addProxy({ anyMethod: false }).addMethod('ANY', integration, {
      authorizer,
      authorizationType: AuthorizationType.COGNITO,
    });
    const openApi = v1
      .addResource('openapi.json')
      .addMethod('GET', integration, { authorizationType: AuthorizationType.NONE });
    acknowledge(openApi, {
      'AwsSolutions-APIG4': 'The OpenAPI document describes the public contract and holds no data',
      'AwsSolutions-COG4': 'The OpenAPI document describes the public contract and holds no data',
    });
    if (props.callerRequestsPerSecond === undefined) {
      acknowledge(this.api, {
        'AwsSolutions-APIG3':
          'The deployment turned the caller web ACL off (-c callerWebAcl=false or callerRatePerSecond=0): its WAF is managed per account, or it is a test deployment; the stage has throttling and every route but /health needs a Cognito token',
      });
    } else {
      new CallerRateLimit(this, 'CallerRateLimit', {
        stage: this.api.deploymentStage,
        requestsPerSecond: props.callerRequestsPerSecond,
        consoleOrigin: props.consoleOrigin,
      });
    }
    this.answerInTheEnvelope(props.consoleOrigin);
    if (props.consoleOrigin) this.allowConsolePreflights();
    this.alarmOnFailedCallers(scope, props.handler);

    const stack = Stack.of(this);
    // No trailing slash, so clients append `/v1/...` and `/health` as the contract spells them.
    this.origin = `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.url = `${this.origin}/${this.api.deploymentStage.stageName}`;
  }

  /**
   * API Gateway's own answers (GATEWAY_ANSWERS) in the contract's envelope; with a console origin
   * they carry it too, so the console reads them instead of seeing a network failure.
   */
  private answerInTheEnvelope(consoleOrigin: string | undefined): void {
    const cors: Record<string, string> = consoleOrigin
      ? { 'Access-Control-Allow-Origin': `'${consoleOrigin}'`, Vary: "'Origin'" }
      : {};
    for (const answer of GATEWAY_ANSWERS) {
      const headers = { ...cors, ...answer.headers };
      this.api.addGatewayResponse(answer.id, {
        type: answer.type,
        ...(answer.statusCode ? { statusCode: answer.statusCode } : {}),
        ...(Object.keys(headers).length > 0 ? { responseHeaders: headers } : {}),
        templates: {
          'application/json': JSON.stringify({ error: { code: answer.code, message: answer.message } }),
        },
      });
    }
  }

  /**
   * Beside this construct, in `scope`: the handler answers every error it throws (500, and a line
   * UNHANDLED_ERROR_MESSAGE), so the function's Errors count only what it could not answer (a
   * timeout, a crash at init); a throttled function and API Gateway's own failures show only in the
   * stage's 5XXError.
   */
  private alarmOnFailedCallers(scope: Construct, handler: LambdaFunction): void {
    const period = Duration.minutes(5);
    const anyIn = (alarmId: string, what: string, metric: IMetric) =>
      new Alarm(scope, alarmId, {
        alarmDescription: alarmDescription(alarmId, what),
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    anyIn(
      'ApiUnhandledErrors',
      'The API answered 500 to an error it did not expect',
      logLineCount(scope, 'ApiUnhandledErrorLines', {
        logGroup: handler.logGroup,
        period,
        filterPattern: FilterPattern.stringValue('$.message', '=', UNHANDLED_ERROR_MESSAGE),
      }),
    );
    anyIn(
      'ApiFunctionErrors',
      'The api function failed an invocation it could not answer (a timeout, a crash at init)',
      handler.metricErrors({ period, statistic: 'Sum' }),
    );
    anyIn(
      'ApiFunctionThrottled',
      'The api function was throttled: API calls were refused',
      handler.metricThrottles({ period, statistic: 'Sum' }),
    );
    const stage = this.api.deploymentStage;
    const { share, leastRequests, periods, breaching } = SERVER_ERROR_RATE;
    const alarmId = 'ApiServerErrorRate';
    new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(
        alarmId,
        `More than ${share * 100} % of the API's answers were 5xx in ${breaching} of ${periods} periods`,
      ),
      metric: new MathExpression({
        expression: `IF(requests >= ${leastRequests}, errors / requests, 0)`,
        usingMetrics: {
          errors: stage.metricServerError({ period, statistic: 'Sum' }),
          requests: stage.metricCount({ period, statistic: 'SampleCount' }),
        },
        period,
      }),
      threshold: share,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: breaching,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** CORS preflights need no token. */
  private allowConsolePreflights(): void {
    acknowledge(this.api, {
      'AwsSolutions-APIG4':
        'CORS preflights (OPTIONS) carry no token by the CORS standard; they answer only headers',
      'AwsSolutions-COG4':
        'CORS preflights (OPTIONS) carry no token by the CORS standard; they answer only headers',
    });
  }
}
