// The floors' AWS clients, configured as lib/aws.ts configures the service's (region, a 3 s connect
// timeout, static keys for the local stand-ins), so a floor pays for the same client and nothing else.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

function clientConfig(endpoint: string | undefined) {
  return {
    region: process.env.AWS_REGION ?? 'eu-central-1',
    requestHandler: { connectionTimeout: 3_000 },
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  };
}

export const documentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(process.env.DYNAMODB_ENDPOINT)), { marshallOptions: { removeUndefinedValues: true } });

export const queueClient = () => new SQSClient(clientConfig(process.env.SQS_ENDPOINT));
