// The simulator's SigV4 check against AWS's published example and against the signer of the AWS SDK.
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { verifyAwsV4 } from '../../local/ims-sim/sigv4.js';
import { NodeSha256 } from '../helpers/node-sha256.js';

const AK = 'AKIAIOSFODNN7EXAMPLE';
const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const secretFor = (ak: string) => (ak === AK ? SK : undefined);

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// AWS's "GET Object" example of the Signature Version 4 documentation.
const example = {
  method: 'GET',
  rawUrl: '/test.txt',
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
  body: Buffer.alloc(0),
};
const exampleTime = Date.UTC(2013, 4, 24, 0, 5);

describe('the simulator SigV4 check', () => {
  it("accepts AWS's documented example signature", () => {
    expect(verifyAwsV4(example, secretFor, exampleTime)).toEqual({ ok: true, ak: AK, region: 'us-east-1' });
  });

  it('refuses the example with one signed header changed, a wrong secret, or an unknown key', () => {
    expect(verifyAwsV4({ ...example, headers: { ...example.headers, range: 'bytes=0-10' } }, secretFor, exampleTime)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyAwsV4(example, () => `${SK}x`, exampleTime)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyAwsV4(example, () => undefined, exampleTime)).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
    expect(verifyAwsV4({ ...example, rawUrl: '/test.txt?x=1' }, secretFor, exampleTime)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a request without a signature and one signed long ago', () => {
    const { authorization: _, ...unsigned } = example.headers;
    expect(verifyAwsV4({ ...example, headers: unsigned }, secretFor, exampleTime)).toMatchObject({ ok: false, code: 'AccessDenied' });
    expect(verifyAwsV4(example, secretFor, exampleTime + 60 * 60 * 1000)).toMatchObject({ ok: false, code: 'RequestTimeTooSkewed' });
  });

  it("accepts what the AWS SDK's signer makes of a path with spaces and a query with a bare key", async () => {
    const signer = new SignatureV4({ credentials: { accessKeyId: AK, secretAccessKey: SK }, region: 'eu-de', service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
    const signed = await signer.sign({
      method: 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4010,
      path: '/my-bucket/dir/a%20file%2Bplus.qcow2',
      query: { location: '', 'list-type': '2' },
      headers: { host: '127.0.0.1:4010', 'x-amz-content-sha256': EMPTY },
    });
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const rawUrl = '/my-bucket/dir/a%20file%2Bplus.qcow2?location=&list-type=2';
    expect(verifyAwsV4({ method: 'GET', rawUrl, headers, body: Buffer.alloc(0) }, secretFor, Date.now())).toMatchObject({ ok: true, region: 'eu-de' });
  });
});
