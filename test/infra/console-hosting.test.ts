/**
 * The console's hosting (lib/constructs/console-hosting.ts) in a stack of its own: private bucket
 * read by CloudFront through origin access control, page paths routed to index.html by a CloudFront
 * Function, security headers with a Content-Security-Policy, the PKCE client and managed login
 * domain, config.json deployed with the files and their cache headers, CORS from the console's
 * origin only, cdk-nag clean.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleHosting } from '../../lib/constructs/console-hosting';
import { PeeringApi } from '../../lib/constructs/peering-api';
import { acknowledge } from '../../lib/nag';
import { inlineFunction } from '../support/inline-function';

let app: App;
let stack: Stack;
let template: Template;
let dist: string;

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'favicon.ico'), '');
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'export {};');
  app = new App();
  stack = new Stack(app, 'ConsoleHostingTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const handler = new LambdaFunction(stack, 'Handler', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
    // Its own group, as every function of the stack has (the API's alarms filter its lines).
    logGroup: new LogGroup(stack, 'HandlerLogs', {
      retention: RetentionDays.ONE_DAY,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
  // A stand-in for the api function, not part of what is checked.
  acknowledge(handler, {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
      'test stand-in',
    'AwsSolutions-L1': 'test stand-in',
  });
  const hosting = new ConsoleHosting(stack, 'Console', {
    distPath: dist,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const api = new PeeringApi(stack, 'Api', {
    handler,
    removalPolicy: RemovalPolicy.DESTROY,
    consoleOrigin: hosting.origin,
  });
  hosting.publish({
    apiUrl: api.url,
    // Not derived from api.url: Template.fromStack refuses the cycle through the stage.
    apiOrigin: api.origin,
    userPool: api.userPool,
    domainPrefix: 'vpc-peering-test',
  });
  template = Template.fromStack(stack);
});

afterAll(() => rmSync(dist, { recursive: true, force: true }));

/** A CloudFormation string value with every `{Ref: X}` (and GetAtt) written as `<X>`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  if ('Ref' in node) return `<${String(node.Ref)}>`;
  if ('Fn::GetAtt' in node) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

/** The directives of a Content-Security-Policy by name, e.g. `{ 'connect-src': ["'self'"] }`. */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('console hosting', () => {
  test('the bucket is private and only CloudFront reads it, through origin access control', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          // ListBucket: a missing key is S3's 404, not 403.
          Match.objectLike({
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('CloudFront serves HTTPS only and answers every console route with index.html, but not a missing asset', () => {
    // Prepare: the viewer-request function's source, run as CloudFront would
    const functions = Object.values(template.findResources('AWS::CloudFront::Function'));
    expect(functions).toHaveLength(1);
    const code = String(functions[0]?.Properties.FunctionCode);
    const handler = new Function(`${code}; return handler;`)() as (event: { request: { uri: string } }) => {
      uri: string;
    };
    const routed = (uri: string) => handler({ request: { uri } }).uri;

    // Assess: no error response turns S3's 404 for a missing /assets/*.js into the page
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          FunctionAssociations: [
            { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [Match.anyValue(), 'FunctionARN'] } },
          ],
        }),
        CustomErrorResponses: Match.absent(),
      }),
    });
    // …page paths are index.html; files of dist, config.json and every /assets/ path are themselves
    expect(['/', '/gateways', '/gateways/gw-a', '/callback', '/signin'].map(routed)).toEqual(
      Array(5).fill('/index.html'),
    );
    for (const uri of [
      '/index.html',
      '/config.json',
      '/favicon.ico',
      '/assets/index-abc.js',
      '/assets/gone.js',
    ]) {
      expect(routed(uri)).toBe(uri);
    }
  });

  test("every answer carries HSTS, nosniff, no framing and the console's CSP naming the API and Cognito", () => {
    // Prepare
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    const [policyId, policy] = Object.entries(policies)[0] ?? [];
    const headers = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;

    // Assess
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ResponseHeadersPolicyId: { Ref: policyId } }),
      }),
    });
    expect(headers).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31536000, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      ContentSecurityPolicy: { Override: true },
    });
    const apiId = Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0];
    expect(directives(flatten(headers.ContentSecurityPolicy.ContentSecurityPolicy))).toEqual({
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': [
        "'self'",
        `https://<${apiId}>.execute-api.eu-west-1.<AWS::URLSuffix>`,
        'https://cognito-idp.eu-west-1.amazonaws.com',
        'https://vpc-peering-test.auth.eu-west-1.amazoncognito.com',
      ],
      'object-src': ["'none'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
    });
  });

  test('sign-in is Cognito managed login with an authorization-code + PKCE client on the console origin', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'vpc-peering-test',
      ManagedLoginVersion: 2,
    });
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', Match.anyValue(), '/callback']] }],
      SupportedIdentityProviders: ['COGNITO'],
    });
  });

  test('the console client has the shortest refresh token Cognito allows, its other tokens an hour', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      RefreshTokenValidity: 60,
      IdTokenValidity: 60,
      AccessTokenValidity: 60,
      TokenValidityUnits: { RefreshToken: 'minutes', IdToken: 'minutes', AccessToken: 'minutes' },
    });
  });

  test('assets are kept and cached for good; index.html and config.json revalidated, and invalidated', () => {
    // Prepare
    const deployments = template.findResources('Custom::CDKBucketDeployment');
    const [assetsId] = Object.entries(deployments).find(([, resource]) => resource.Properties.Include) ?? [];

    // Assess: assets/* alone, never pruned, so a page loaded before a deploy finds its chunks after it
    expect(Object.keys(deployments)).toHaveLength(2);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SourceBucketNames: [Match.anyValue()],
      Exclude: ['*'],
      Include: ['assets/*'],
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
      DistributionId: Match.absent(),
    });
    // …the pages and config.json after them, every other file pruned but assets/*
    template.hasResource('Custom::CDKBucketDeployment', {
      Properties: Match.objectLike({
        SourceBucketNames: [Match.anyValue(), Match.anyValue()],
        Exclude: ['assets/*'],
        Include: Match.absent(),
        Prune: true,
        SystemMetadata: { 'cache-control': 'no-cache' },
        DistributionPaths: ['/index.html', '/config.json'],
      }),
      DependsOn: Match.arrayWith([assetsId]),
    });
  });

  test('the API allows CORS from the console origin only, on its own answers too', () => {
    const preflights = template.findResources('AWS::ApiGateway::Method', {
      Properties: { HttpMethod: 'OPTIONS' },
    });
    expect(Object.keys(preflights).length).toBeGreaterThan(0);
    const origins = JSON.stringify(Object.values(preflights).map((method) => method));
    expect(origins).toContain('ConsoleDistribution');
    expect(origins).not.toContain("'*'");
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: {
        'gatewayresponse.header.Access-Control-Allow-Origin': {
          'Fn::Join': ['', ["'https://", Match.anyValue(), "'"]],
        },
      },
    });
  });

  test('GET /v1/openapi.json is public; the rest of /v1 needs a Cognito token', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
      ResourceId: { Ref: Match.stringLikeRegexp('openapijson') },
    });
  });

  test('cdk-nag AWS Solutions finds nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks(undefined).validateScope(app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${JSON.stringify(violation.violatingResources)}`,
      ),
    ).toEqual([]);
  });
});

describe('logs that expire', () => {
  /** The log group `ref` names, by its logical id. */
  const logGroup = (ref: unknown) =>
    template.toJSON().Resources[(ref as { Ref: string }).Ref] as {
      Type: string;
      Properties: Record<string, unknown>;
    };

  test("the console's deployment handler logs to a group with the stack's retention", () => {
    // Prepare
    const handlers = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Handler: 'index.handler', Layers: Match.anyValue() },
      }),
    );

    // Act
    const groups = handlers.map((fn) => logGroup(fn.Properties.LoggingConfig?.LogGroup));

    // Assess: one handler, shared by both deployments.
    expect(handlers).toHaveLength(1);
    expect(groups).toEqual([
      expect.objectContaining({
        Type: 'AWS::Logs::LogGroup',
        Properties: expect.objectContaining({ RetentionInDays: 30 }),
      }),
    ]);
  });

  test('API Gateway execution logs go to a group with a retention, made before the stage', () => {
    // Prepare
    const [groupId] = Object.keys(
      template.findResources('AWS::Logs::LogGroup', {
        Properties: {
          LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', Match.anyValue(), '/prod']] },
        },
      }),
    );

    // Act
    const group = template.toJSON().Resources[groupId ?? ''];
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));

    // Assess: API Gateway would otherwise create it on its first error, without a retention.
    expect(group?.Properties.RetentionInDays).toBe(30);
    expect(stage?.Properties.StageName).toBe('prod');
    expect(stage?.DependsOn).toContain(groupId);
  });

  test("the account's API Gateway logging role is set and kept, whatever the feature flag says", () => {
    // Prepare
    const flagged = new Stack(
      new App({ context: { '@aws-cdk/aws-apigateway:disableCloudWatchRole': true } }),
      'Flagged',
    );

    // Act
    new PeeringApi(flagged, 'Api', {
      handler: inlineFunction(flagged, 'Handler'),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Assess: access and execution logging both need it (docs/DECISIONS.md).
    Template.fromStack(flagged).hasResource('AWS::ApiGateway::Account', {
      DeletionPolicy: 'Retain',
      Properties: { CloudWatchRoleArn: Match.anyValue() },
    });
  });
});
