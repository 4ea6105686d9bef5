import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../lib/log.js';

describe('redactUrl', () => {
  it('keeps only the origin: tokens in user info, path, query and fragment are dropped', () => {
    expect(redactUrl('https://user:pass@hooks.example.com:8443/services/T1/B2/tok3n?sig=abc#frag')).toBe('https://hooks.example.com:8443');
    expect(redactUrl('http://127.0.0.1:9000/webhook')).toBe('http://127.0.0.1:9000');
  });

  it('never echoes what it cannot parse', () => {
    expect(redactUrl('not a url with secret-token')).toBe('(unparseable url)');
  });
});
