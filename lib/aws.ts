// The one place AWS SDK clients are made: once per container (per endpoint and region), outside handlers.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClientOptions {
  /** Set for local stand-ins (dynalite, fauxqs); unset in the cloud. */
  endpoint?: string | undefined;
  region: string;
}

// Local stand-ins accept any key; real endpoints use the Lambda role's credentials.
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const documentClients = new Map<string, DynamoDBDocumentClient>();
const sqsClients = new Map<string, SQSClient>();

function cacheKey({ endpoint, region }: AwsClientOptions): string {
  return `${region} ${endpoint ?? ''}`;
}

function baseConfig({ endpoint, region }: AwsClientOptions) {
  return {
    region,
    // Fail fast on a dead endpoint; the SDK's own retries still apply.
    requestHandler: { connectionTimeout: 3_000 },
    ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
  };
}

/** DynamoDB document client; undefined attributes are dropped rather than refused. */
export function dynamoDocumentClient(options: AwsClientOptions): DynamoDBDocumentClient {
  const key = cacheKey(options);
  let client = documentClients.get(key);
  if (!client) {
    client = DynamoDBDocumentClient.from(new DynamoDBClient(baseConfig(options)), {
      marshallOptions: { removeUndefinedValues: true },
    });
    documentClients.set(key, client);
  }
  return client;
}

export function sqsClient(options: AwsClientOptions): SQSClient {
  const key = cacheKey(options);
  let client = sqsClients.get(key);
  if (!client) {
    client = new SQSClient(baseConfig(options));
    sqsClients.set(key, client);
  }
  return client;
}
