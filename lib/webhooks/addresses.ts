// Which addresses outbound HTTP (webhooks, chat replies) must never reach: private, loopback,
// link-local, metadata and other special-purpose ranges. Pure: intake checks IP-literal callback
// URLs with it, and the guarded agent checks every address it connects to.
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import { once } from '../runtime/once.js';

export interface AddressPolicy {
  /** Local development only: lets 127.0.0.0/8 and ::1 through; private ranges stay refused. */
  allowLoopback: boolean;
}

function blockList(subnets: readonly (readonly [string, number])[], type: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, type);
  return list;
}

// Built on first use: intake needs them only for a callback URL that is an IP literal.
const ranges = once(() => ({
  loopbackV4: blockList([['127.0.0.0', 8]], 'ipv4'),
  // Everything that is not a public unicast IPv4 address (RFC 6890 special-purpose registry), loopback aside.
  forbiddenV4: blockList(
    [
      ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
      ['10.0.0.0', 8],
      ['100.64.0.0', 10], // CGNAT
      ['169.254.0.0', 16], // link-local, incl. the metadata service 169.254.169.254
      ['172.16.0.0', 12],
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['192.88.99.0', 24],
      ['192.168.0.0', 16],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['224.0.0.0', 4], // multicast
      ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
    ],
    'ipv4',
  ),
  // IPv6 ranges refused outright; the ranges embedding an IPv4 address are judged by that address below.
  forbiddenV6: blockList(
    [
      ['64:ff9b:1::', 48], // local-use NAT64
      ['100::', 64], // discard-only
      ['2001::', 32], // Teredo (obfuscated embedded IPv4)
      ['2001:db8::', 32], // documentation
      ['fc00::', 7], // unique local, incl. fd00::/8
      ['fe80::', 10], // link-local
      ['fec0::', 10], // deprecated site-local
      ['ff00::', 8], // multicast
    ],
    'ipv6',
  ),
}));

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, dotted IPv4 tail expanded). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0] ?? ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function v4FromGroups(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

function isForbiddenV4(ip: string, policy: AddressPolicy): boolean {
  if (ranges().loopbackV4.check(ip, 'ipv4')) return !policy.allowLoopback;
  return ranges().forbiddenV4.check(ip, 'ipv4');
}

function isForbiddenV6(ip: string, policy: AddressPolicy): boolean {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return true;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const firstFiveZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstFiveZero && g5 === 0 && g6 === 0) {
    if (g7 === 1) return !policy.allowLoopback; // ::1
    return true; // :: and the deprecated IPv4-compatible ::a.b.c.d
  }
  if (firstFiveZero && g5 === 0xffff) return isForbiddenV4(v4FromGroups(g6, g7), policy); // ::ffff:a.b.c.d
  if (firstFiveZero) return true; // ::ffff:0:a.b.c.d (SIIT) and other odd forms of the reserved ::/80
  // NAT64 reaches the embedded IPv4 address through a gateway, so that address decides; never "loopback".
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isForbiddenV4(v4FromGroups(g6, g7), { allowLoopback: false });
  }
  if (g0 === 0x2002) return isForbiddenV4(v4FromGroups(g1, g2), { allowLoopback: false }); // 6to4
  return ranges().forbiddenV6.check(ip.split('%')[0] ?? ip, 'ipv6');
}

/** True when `ip` must not be connected to; anything that is not an IP address is refused too. */
export function isForbiddenAddress(ip: string, policy: AddressPolicy): boolean {
  if (isIPv4(ip)) return isForbiddenV4(ip, policy);
  if (isIPv6(ip)) return isForbiddenV6(ip, policy);
  return true;
}

/** Why a URL whose host is an IP literal must not be called, or null (a name is judged when it is connected to). */
export function refusedLiteralTarget(url: string, policy: AddressPolicy): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  const ip = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(ip) === 0 || !isForbiddenAddress(ip, policy)) return null;
  return `must not point at ${ip}: private, loopback, link-local and metadata addresses are refused`;
}
