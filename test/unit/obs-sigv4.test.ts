import { describe, expect, it } from 'vitest';
import { amzDate, signV4 } from '../../lib/obs/sigv4.js';

// AWS's published example credentials (not a secret).
const KEY = { ak: 'AKIDEXAMPLE', sk: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = new Date('2015-08-30T12:36:00Z');

describe('SigV4 signing', () => {
  it('gives the signature of AWS\'s documented example request (IAM ListUsers)', () => {
    const headers = signV4(
      { method: 'GET', url: 'https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } },
      KEY,
      'us-east-1',
      'iam',
      AT,
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('signs an S3 HEAD of an encoded object key with the payload hash, as the AWS SDK\'s signer does', () => {
    const headers = signV4({ method: 'HEAD', url: 'https://obs.eu-de.example.com/my-bucket/dir/a%20b.qcow2', headers: {} }, KEY, 'eu-de', 's3', AT);
    expect(headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-de/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=e984f5dbb9c833ae7d718cd09f8abacb0481b930b5c6f17894b34d0485d416c5',
    );
  });

  it('changes the signature when the path, the secret or the time changes', () => {
    const base = { method: 'HEAD', url: 'https://obs.eu-de.example.com/b/k', headers: {} };
    const sig = (h: Record<string, string>) => /Signature=([0-9a-f]{64})/.exec(h.authorization ?? '')?.[1];
    const first = sig(signV4(base, KEY, 'eu-de', 's3', AT));
    expect(sig(signV4({ ...base, url: 'https://obs.eu-de.example.com/b/k2' }, KEY, 'eu-de', 's3', AT))).not.toBe(first);
    expect(sig(signV4(base, { ...KEY, sk: `${KEY.sk}x` }, 'eu-de', 's3', AT))).not.toBe(first);
    expect(sig(signV4(base, KEY, 'eu-de', 's3', new Date(AT.getTime() + 1000)))).not.toBe(first);
  });

  it('never puts the secret key into a header', () => {
    const headers = signV4({ method: 'GET', url: 'https://obs.eu-de.example.com/b?location', headers: {} }, KEY, 'eu-de', 's3', AT);
    expect(JSON.stringify(headers)).not.toContain(KEY.sk);
    expect(amzDate(AT)).toBe('20150830T123600Z');
  });
});
