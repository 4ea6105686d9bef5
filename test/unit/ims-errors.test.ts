import { describe, expect, it } from 'vitest';
import { ImsError, isImsError, kindOfAnswer, kindOfPostStatus, kindOfStatus, parseErrorBody, retryAfterMs } from '../../lib/ims/errors.js';

describe('IMS error bodies', () => {
  it('reads IMS\'s nested error code and message verbatim', () => {
    const body = JSON.stringify({ error: { code: 'IMG.0070', message: 'The image file already exists.' } });
    expect(parseErrorBody(body)).toEqual({ code: 'IMG.0070', message: 'The image file already exists.' });
  });
  it('reads the gateway\'s flat error_code and error_msg, whatever the prefix', () => {
    const body = JSON.stringify({ error_code: 'APIGW.0308', error_msg: 'throttled', request_id: 'x' });
    expect(parseErrorBody(body)).toEqual({ code: 'APIGW.0308', message: 'throttled' });
  });
  it('keeps the message but no code when the code is not of the PREFIX.nnnn form', () => {
    expect(parseErrorBody(JSON.stringify({ error: { code: 401, message: 'bad' } }))).toEqual({ code: null, message: null });
    expect(parseErrorBody(JSON.stringify({ code: 'oops', message: 'bad' }))).toEqual({ code: null, message: 'bad' });
  });
  it('gives nothing for a body that is not JSON', () => {
    expect(parseErrorBody('<html>502</html>')).toEqual({ code: null, message: null });
  });
});

describe('kinds', () => {
  it('sorts statuses into refused, auth and retryable', () => {
    expect([400, 404, 409].map(kindOfStatus)).toEqual(['refused', 'refused', 'refused']);
    expect([401, 403].map(kindOfStatus)).toEqual(['auth', 'auth']);
    expect([429, 500, 502, 503].map(kindOfStatus)).toEqual(['retryable', 'retryable', 'retryable', 'retryable']);
  });
  it('calls a POST answered 500, 502 or 504 unknown (IMS may have acted), and 429 or 503 retryable', () => {
    expect([500, 502, 504].map(kindOfPostStatus)).toEqual(['unknown-outcome', 'unknown-outcome', 'unknown-outcome']);
    expect([429, 503].map(kindOfPostStatus)).toEqual(['retryable', 'retryable']);
    expect([400, 401].map(kindOfPostStatus)).toEqual(['refused', 'auth']);
  });
  it('calls an answer that names the project or token wrong auth, whatever its status', () => {
    for (const code of ['IMG.0030', 'IMG.0067', 'IMG.0087', 'IMG.0108', 'IMG.0145', 'IMG.0104', 'IMG.0026'])
      expect([kindOfAnswer('GET', 400, code), kindOfAnswer('POST', 400, code), kindOfAnswer('POST', 403, code)]).toEqual(['auth', 'auth', 'auth']);
    expect(kindOfAnswer('POST', 400, 'IMG.0070')).toBe('refused');
    expect(kindOfAnswer('POST', 500, null)).toBe('unknown-outcome');
    expect(kindOfAnswer('GET', 500, null)).toBe('retryable');
    expect(kindOfAnswer('GET', 403, null)).toBe('auth');
  });
  it('recognises its errors and serialises only their safe fields', () => {
    const err = new ImsError({ kind: 'refused', operation: 'ims.export', status: 400, code: 'IMG.0070', message: 'exists' });
    expect(isImsError(err)).toBe(true);
    expect(isImsError(new Error('x'))).toBe(false);
    expect(Object.keys(err.toJSON()).sort()).toEqual(['code', 'field', 'kind', 'message', 'operation', 'retryAfterMs', 'status']);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Mon, 23 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(undefined, now)).toBeNull();
  });
});
