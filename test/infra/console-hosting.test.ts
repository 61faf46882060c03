/**
 * The console's hosting (lib/constructs/console-hosting.ts) in a stack of its own: private bucket
 * read by CloudFront through origin access control, SPA error pages, the PKCE client and managed
 * login domain, config.json deployed with the files, CORS from the console's origin only, cdk-nag clean.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleHosting } from '../../lib/constructs/console-hosting';
import { PeeringApi } from '../../lib/constructs/peering-api';
import { acknowledge } from '../../lib/nag';

let app: App;
let stack: Stack;
let template: Template;
let dist: string;

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  app = new App();
  stack = new Stack(app, 'ConsoleHostingTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const handler = new LambdaFunction(stack, 'Handler', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
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
  hosting.publish({ apiUrl: api.url, userPool: api.userPool, domainPrefix: 'vpc-peering-test' });
  template = Template.fromStack(stack);
});

afterAll(() => rmSync(dist, { recursive: true, force: true }));

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
          Match.objectLike({
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('CloudFront serves HTTPS only and answers every console route with index.html', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CustomErrorResponses: [
          { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
          { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
        ],
      }),
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

  test('the files and a runtime config.json are deployed to the bucket, and the distribution invalidated', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SourceBucketNames: [Match.anyValue(), Match.anyValue()],
      DistributionPaths: ['/index.html', '/config.json'],
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
