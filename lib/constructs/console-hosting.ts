/**
 * Where the console lives on AWS (README, "Using the console"): a private S3 bucket behind
 * CloudFront (origin access control, HTTPS only, security headers, every unknown path answered by
 * index.html so the console's own routes load), a runtime `config.json` naming the API, the Cognito
 * pool, the console's client and its managed login domain, and that client: authorization code with
 * PKCE, no secret, callbacks only on the console's origin.
 *
 * Built in two steps because the API's CORS needs the console's origin while config.json needs the
 * API's URL: the constructor makes the bucket and distribution, `publish` the login and the files.
 */
import { existsSync } from 'node:fs';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Distribution,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  CfnManagedLoginBranding,
  ManagedLoginVersion,
  OAuthScope,
  type UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from '../nag';

export interface ConsoleHostingProps {
  /** console/dist, built by `npm run console:build`. */
  readonly distPath: string;
  readonly removalPolicy: RemovalPolicy;
}

export interface ConsolePublishProps {
  readonly apiUrl: string;
  readonly userPool: UserPool;
  /** The managed login domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region. */
  readonly domainPrefix: string;
}

export class ConsoleHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** https://<distribution domain>: the only origin the API allows (CORS). */
  readonly origin: string;
  client?: UserPoolClient;
  domain?: UserPoolDomain;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ConsoleHostingProps,
  ) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    });
    acknowledge(this.bucket, {
      'AwsSolutions-S1':
        'Holds only the built console (public JavaScript and CSS); it is read through CloudFront only, whose own requests are the interesting ones',
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'VPC Peering console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      // The console routes in the browser: /gateways/gw-a is index.html (S3 answers 403 for a missing key).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
    });
    acknowledge(this.distribution, {
      'AwsSolutions-CFR1': 'The console is for every region the API serves; the API enforces who may act',
      'AwsSolutions-CFR2':
        'WAF web ACLs are managed per account and associated at deployment, as for the API (AwsSolutions-APIG3)',
      'AwsSolutions-CFR3':
        'Static files only; every action is an API call, logged by API Gateway access logs and CloudTrail',
      'AwsSolutions-CFR4':
        'The default CloudFront certificate (*.cloudfront.net) allows TLS 1.0 viewers; a custom domain with a TLSv1.2_2021 policy is a deployment choice of the account',
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
  }

  /** The Cognito managed login and PKCE client of the console, and the console's files with config.json. */
  publish(props: ConsolePublishProps): void {
    const { userPool } = props;
    this.domain = userPool.addDomain('ConsoleLogin', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    this.client = userPool.addClient('ConsoleClient', {
      generateSecret: false, // a browser keeps no secret: the code exchange is protected by PKCE
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.origin}/callback`],
        logoutUrls: [`${this.origin}/`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
    });
    // The newer managed login shows Cognito's default look until a style says otherwise.
    new CfnManagedLoginBranding(this, 'LoginBranding', {
      userPoolId: userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    if (!existsSync(this.props.distPath)) {
      throw new Error(`${this.props.distPath} is missing: run npm run console:build before synth`);
    }
    const region = Stack.of(this).region;
    new BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      sources: [
        Source.asset(this.props.distPath),
        Source.jsonData('config.json', {
          auth: 'cognito',
          apiUrl: props.apiUrl,
          region,
          userPoolId: userPool.userPoolId,
          clientId: this.client.userPoolClientId,
          domain: `${props.domainPrefix}.auth.${region}.amazoncognito.com`,
        }),
      ],
      memoryLimit: 512,
    });
    // CDK's deployment handler is a singleton at stack level, with a role of its own: it reads the
    // staged assets, writes this bucket and invalidates this distribution, nothing else.
    const stack = Stack.of(this);
    const handlers = stack.node.children.filter((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    const why =
      "CDK's BucketDeployment handler copies the console's files from the CDK asset bucket into the console bucket";
    for (const scope of handlers) {
      acknowledge(scope, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
          "CDK's BucketDeployment handler: it only logs with this policy",
        'AwsSolutions-L1': "CDK's BucketDeployment handler runtime is chosen by aws-cdk-lib",
        'AwsSolutions-IAM5[Resource::*]':
          'CloudFront invalidations cannot be scoped below the distribution API call',
        ...Object.fromEntries(
          ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => [
            `AwsSolutions-IAM5[Action::${action}]`,
            why,
          ]),
        ),
      });
      acknowledgeWildcardResource(scope, `${this.bucket.bucketArn}/*`, why);
      acknowledgeWildcardResource(
        scope,
        `arn:${Aws.PARTITION}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`,
        why,
      );
    }
  }
}
