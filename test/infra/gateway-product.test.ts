/** Who the gateway events bus admits (lib/constructs/gateway-events-bus.ts): an account id or a role ARN, nothing else. */
import type { AccountPrincipal, ArnPrincipal } from 'aws-cdk-lib/aws-iam';
import { gatewayProductPrincipal } from '../../lib/constructs/gateway-events-bus';

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
