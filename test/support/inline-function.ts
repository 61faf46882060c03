/** A Lambda function of inline code, for construct tests that need a function and no bundle. */
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

export const inlineFunction = (scope: Construct, id: string): LambdaFunction =>
  new LambdaFunction(scope, id, {
    code: Code.fromInline('exports.handler = async () => {}'),
    handler: 'index.handler',
    runtime: Runtime.NODEJS_22_X,
  });
