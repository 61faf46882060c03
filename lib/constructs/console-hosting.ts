/**
 * Where the console lives on AWS (README, "Using the console"): a private S3 bucket behind
 * CloudFront (origin access control, HTTPS only, security headers with the console's
 * Content-Security-Policy, every page path answered by index.html so the console's own routes load,
 * a missing asset by 404), a runtime `config.json` naming the API, the Cognito
 * pool, the console's client and its managed login domain, and that client: authorization code with
 * PKCE, no secret, callbacks only on the console's origin.
 *
 * Built in two steps because the API's CORS needs the console's origin while config.json needs the
 * API's URL: the constructor makes the bucket and distribution, `publish` the login and the files.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Aws, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLevel,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
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
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleContentSecurityPolicy } from '../../runtime/console-static';
import { acknowledge, acknowledgeWildcardResource } from '../nag';

/** Vite's folder of content-named files in console/dist. */
const ASSETS = 'assets';

export interface ConsoleHostingProps {
  /** console/dist, built by `npm run console:build`. */
  readonly distPath: string;
  readonly removalPolicy: RemovalPolicy;
}

export interface ConsolePublishProps {
  readonly apiUrl: string;
  /**
   * `https://<api host>`, the API's origin for the console's connect-src. Not derived from apiUrl:
   * the stage in that URL depends on the API's CORS methods, which depend on this distribution.
   */
  readonly apiOrigin: string;
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
  /** The API and Cognito origins the console fetches from, known once `publish` is called. */
  private connectSources?: string[];

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
    if (!existsSync(props.distPath)) {
      throw new Error(`${props.distPath} is missing: run npm run console:build before synth`);
    }
    // The same headers as the local server's (runtime/console-static.ts), with HSTS on top.
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: "VPC Peering console: security headers and the console's Content-Security-Policy",
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: Lazy.string({
            produce: () => {
              if (!this.connectSources) throw new Error('ConsoleHosting: publish() was never called');
              return consoleContentSecurityPolicy(this.connectSources);
            },
          }),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'VPC Peering console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        // LIST: S3 answers 404, not 403, for a missing key. CloudFront only ever asks for one key
        // (no query string reaches S3, and `/` is index.html), so nothing is listed to viewers.
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessLevels: [AccessLevel.READ, AccessLevel.LIST],
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        // Not error responses mapped to index.html: those are for the whole distribution, and would
        // answer a missing /assets/*.js with the page and 200.
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'Pages', {
              comment: 'VPC Peering console: every page path is index.html; files and assets are themselves',
              runtime: FunctionRuntime.JS_2_0,
              code: FunctionCode.fromInline(pageRouting(props.distPath)),
            }),
          },
        ],
      },
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
      // The console never uses a refresh token: Cognito's minimum instead of CDK's 30 days.
      refreshTokenValidity: Duration.minutes(60),
    });
    // The newer managed login shows Cognito's default look until a style says otherwise.
    new CfnManagedLoginBranding(this, 'LoginBranding', {
      userPoolId: userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    const region = Stack.of(this).region;
    const loginDomain = `${props.domainPrefix}.auth.${region}.amazoncognito.com`;
    // oidc-client-ts reads the pool's discovery document and keys, then the login domain's token endpoint.
    this.connectSources = [
      props.apiOrigin,
      `https://cognito-idp.${region}.amazonaws.com`,
      `https://${loginDomain}`,
    ];
    const dist = Source.asset(this.props.distPath);
    // The deployments share one handler (a singleton): given a group, it no longer logs to one
    // Lambda creates on first write, which would never expire nor go with the stack.
    const logGroup = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: this.props.removalPolicy,
    });
    // Vite names every asset by its content: cached for good, and never pruned, so a page loaded
    // before a deploy still finds its lazy chunks after it. Copied before the pages that name them.
    const assets = new BucketDeployment(this, 'Assets', {
      destinationBucket: this.bucket,
      sources: [dist],
      exclude: ['*'],
      include: [`${ASSETS}/*`],
      prune: false,
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(Duration.days(365)),
        CacheControl.immutable(),
      ],
      memoryLimit: 512,
      logGroup,
    });
    // index.html and config.json are asked again on every load, so a deploy shows at once.
    const pages = new BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      sources: [
        dist,
        Source.jsonData('config.json', {
          auth: 'cognito',
          apiUrl: props.apiUrl,
          region,
          userPoolId: userPool.userPoolId,
          clientId: this.client.userPoolClientId,
          domain: loginDomain,
        }),
      ],
      exclude: [`${ASSETS}/*`], // neither copied nor pruned here
      cacheControl: [CacheControl.noCache()],
      memoryLimit: 512,
      logGroup,
    });
    pages.node.addDependency(assets);
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

/**
 * The CloudFront Function source routing viewer requests as the local server does
 * (runtime/console-static.ts): /assets/* and the top-level files of dist (and config.json) are
 * themselves, missing or not; every other path is a console page, answered by index.html.
 */
function pageRouting(distPath: string): string {
  const files = [
    '/config.json',
    ...readdirSync(distPath, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `/${entry.name}`),
  ];
  return `var FILES = ${JSON.stringify(files)};
function handler(event) {
  var request = event.request;
  if (request.uri.indexOf('/${ASSETS}/') !== 0 && FILES.indexOf(request.uri) === -1) {
    request.uri = '/index.html';
  }
  return request;
}
`;
}
