/** Who the gateway events bus admits (lib/constructs/gateway-events-bus.ts): an account id or a role ARN, nothing else. */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { AccountPrincipal, ArnPrincipal } from 'aws-cdk-lib/aws-iam';
import {
  GatewayEventsBus,
  gatewayProductPrincipal,
  OWN_ACCOUNT_PRODUCER_WARNING,
} from '../../lib/constructs/gateway-events-bus';
import { inlineFunction } from '../support/inline-function';

describe('gatewayProductPrincipal', () => {
  it('defaults to the stack account', () => {
    expect((gatewayProductPrincipal(undefined, '111122223333') as AccountPrincipal).accountId).toBe(
      '111122223333',
    );
  });

  it('takes an account id', () => {
    expect((gatewayProductPrincipal('210987654321', 'own') as AccountPrincipal).accountId).toBe(
      '210987654321',
    );
  });

  it('takes a role ARN', () => {
    const arn = 'arn:aws:iam::210987654321:role/gateway-product';
    expect((gatewayProductPrincipal(arn, 'own') as ArnPrincipal).arn).toBe(arn);
  });

  it.each(['*', 'arn:aws:iam::210987654321:user/someone', '12345'])('refuses %s', (producer) => {
    expect(() => gatewayProductPrincipal(producer, 'own')).toThrow(/account id or a role ARN/);
  });
});

describe('GatewayEventsBus', () => {
  const ROLE = 'arn:aws:iam::210987654321:role/gateway-product';

  /** The bus alone in a stack of account 111122223333, its template and its warnings. */
  function busOf(producer: string | undefined) {
    const stack = new Stack(new App(), 'Bus', { env: { account: '111122223333', region: 'eu-west-1' } });
    const handler = inlineFunction(stack, 'Handler');
    new GatewayEventsBus(stack, 'GatewayEventsBus', {
      producer,
      handler,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return { template: Template.fromStack(stack), annotations: Annotations.fromStack(stack) };
  }

  /** The bus policy's Deny statement, if any. */
  const denyOf = (template: Template) =>
    Object.values(template.findResources('AWS::Events::EventBusPolicy'))
      .map(
        (policy) => (policy as { Properties: { Statement: Record<string, unknown> } }).Properties.Statement,
      )
      .filter((statement) => statement.Effect === 'Deny');

  it('a role ARN: denies every other principal, and the rule takes only its account', () => {
    // Act
    const { template, annotations } = busOf(ROLE);

    // Assess
    expect(denyOf(template)).toEqual([
      expect.objectContaining({
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': ROLE } },
      }),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: ['210987654321'] } });
    annotations.hasNoWarning('*', Match.anyValue());
  });

  it('an account id: denies every principal of another account, and the rule takes only that account', () => {
    // Act
    const { template, annotations } = busOf('210987654321');

    // Assess
    expect(denyOf(template)).toEqual([
      expect.objectContaining({
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': '210987654321' } },
      }),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: ['210987654321'] } });
    annotations.hasNoWarning('*', Match.anyValue());
  });

  it('no producer: still deploys, admitting the own account, and warns that any of its principals can send', () => {
    // Act
    const { template, annotations } = busOf(undefined);

    // Assess
    expect(denyOf(template)).toEqual([]);
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', Match.arrayWith([':iam::111122223333:root'])] } },
      }),
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { account: Match.absent() } });
    annotations.hasWarning(
      '/Bus/GatewayEventsBus',
      Match.stringLikeRegexp(OWN_ACCOUNT_PRODUCER_WARNING.slice(0, 40)),
    );
  });
});
