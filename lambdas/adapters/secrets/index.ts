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
import { secretNamesUnder } from '../../app/secret-names';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';

export class ParameterStoreSecrets implements SecretStore {
  readonly names;

  constructor(
    private readonly client: SSMClient,
    private readonly kmsKeyId: string | undefined,
    prefix: string,
  ) {
    this.names = secretNamesUnder(prefix);
  }

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
      if (!(error instanceof ParameterAlreadyExists)) throw error;
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return result.Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  }
}

export const secretStore = () =>
  resolve(
    'secrets',
    () => new ParameterStoreSecrets(new SSMClient({}), env.secretsKmsKeyId(), env.secretPrefix()),
  );
