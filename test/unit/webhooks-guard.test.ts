import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, refusedLiteralTarget } from '../../lib/webhooks/addresses.js';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe('isForbiddenAddress', () => {
  it.each([
    ['10.0.0.1', 'private 10/8'],
    ['10.255.255.255', 'private 10/8, top'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.254', 'private 172.16/12, top'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'the metadata service'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT, top'],
    ['0.0.0.0', 'this host'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast (SSDP)'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation TEST-NET-1'],
    ['198.18.0.1', 'benchmarking'],
  ])('refuses IPv4 %s (%s)', (ip) => {
    expect(isForbiddenAddress(ip, strict)).toBe(true);
    expect(isForbiddenAddress(ip, local)).toBe(true);
  });

  it.each([
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['febf:ffff::1', 'link-local, top of fe80::/10'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fd00::1', 'unique local fd00::/8'],
    ['fd12:3456:789a::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata in hex'],
    ['::ffff:0.0.0.0', 'IPv4-mapped 0.0.0.0'],
    ['::ffff:100.64.0.1', 'IPv4-mapped CGNAT'],
    ['64:ff9b::10.0.0.1', 'NAT64 to a private address'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 to the metadata service'],
    ['64:ff9b::127.0.0.1', 'NAT64 to loopback'],
    ['::127.0.0.1', 'deprecated IPv4-compatible form'],
    ['2002:a00:1::1', '6to4 around a private address'],
    ['2001:db8::1', 'documentation'],
  ])('refuses IPv6 %s (%s)', (ip) => {
    expect(isForbiddenAddress(ip, strict)).toBe(true);
    expect(isForbiddenAddress(ip, local)).toBe(true);
  });

  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    'refuses loopback %s unless loopback is allowed',
    (ip) => {
      expect(isForbiddenAddress(ip, strict)).toBe(true);
      expect(isForbiddenAddress(ip, local)).toBe(false);
    },
  );

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '80.158.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '2001:4860:4860::8888',
    '2a05:d018::1',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows public address %s', (ip) => {
    expect(isForbiddenAddress(ip, strict)).toBe(false);
  });

  it.each(['localhost', 'example.com', '', '999.1.1.1', '1.2.3.04', 'http://8.8.8.8'])(
    'refuses %j, which is not an IP address',
    (text) => {
      expect(isForbiddenAddress(text, local)).toBe(true);
    },
  );
});

describe('refusedLiteralTarget', () => {
  const strict = { allowLoopback: false };
  it('refuses URLs whose host is a forbidden IP literal, in every spelling the URL parser accepts', () => {
    for (const url of ['https://10.0.0.1/h', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:127.0.0.1]/', 'https://[fd00::1]:8443/x', 'https://0x7f.1/', 'https://2130706433/', 'https://100.64.0.1/']) {
      expect(refusedLiteralTarget(url, strict), url).toMatch(/must not point at/);
    }
  });

  it('lets names, public literals and (locally) loopback through: names are judged when connected to', () => {
    expect(refusedLiteralTarget('https://hooks.example.com/h', strict)).toBeNull();
    expect(refusedLiteralTarget('https://8.8.8.8/h', strict)).toBeNull();
    expect(refusedLiteralTarget('https://[2a00:1450:4001::200e]/h', strict)).toBeNull();
    expect(refusedLiteralTarget('http://127.0.0.1:3000/h', { allowLoopback: true })).toBeNull();
    expect(refusedLiteralTarget('http://127.0.0.1:3000/h', strict)).not.toBeNull();
    expect(refusedLiteralTarget('not a url', strict)).toBeNull();
  });
});
