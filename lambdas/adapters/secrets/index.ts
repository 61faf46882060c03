/** SSM Parameter Store SecureString secret store (KMS-encrypted at rest). */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { SecretStore } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { toTransient } from '../transient';

export class ParameterStoreSecrets implements SecretStore {
  constructor(
    private readonly client: SSMClient,
    private readonly kmsKeyId: string | undefined,
  ) {}

  async putIfAbsent(name: string, value: string): Promise<void> {
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'SecureString',
          KeyId: this.kmsKeyId,
          Overwrite: false,
        }),
      );
    } catch (error) {
      if (!(error instanceof ParameterAlreadyExists)) throw toTransient('SSM Parameter Store', error);
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return result.Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw toTransient('SSM Parameter Store', error);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw toTransient('SSM Parameter Store', error);
    }
  }
}

export const secretStore = () =>
  resolve('secrets', () => new ParameterStoreSecrets(new SSMClient({}), env.secretsKmsKeyId()));
