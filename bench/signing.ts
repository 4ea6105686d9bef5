// Bench 2: our AK/SK signer (lib/ims/signer.ts) against Huawei's AKSKSigner.sign on the same
// requests, after checking that both produce the same Authorization header.
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { sdkDate, signRequest, signingEncode } from '../lib/ims/signer.js';
import { SIZES, log, runMain } from './common.js';
import { fixed, opsPerSecond } from './measure.js';

export interface SigningRow {
  request: string;
  oursOpsPerSec: number;
  huaweiOpsPerSec: number;
}

type HuaweiCredential = Parameters<typeof AKSKSigner.sign>[1];

// Made-up credentials: the bench signs, it never sends.
const credentials = { ak: 'BENCHAK0000000000001', sk: 'bench-sk-not-a-real-secret-000000000001' };
const huaweiCredential = { getAk: () => credentials.ak, getSk: () => credentials.sk } as unknown as HuaweiCredential;
const date = new Date('2026-11-23T10:04:05.000Z');
const projectId = '0123456789abcdef0123456789abcdef';

interface Case {
  name: string;
  method: string;
  base: string;
  query: Record<string, string>;
  data?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: 'POST export (JSON body)',
    method: 'POST',
    base: 'https://ims.eu-de.otc.t-systems.com/v1/cloudimages/d164b5df-1bc3-4c3f-893e-3e471fd16e64/file',
    query: {},
    data: { bucket_url: 'ims-image:exports/centos-7.qcow2', file_format: 'qcow2' },
  },
  {
    name: 'GET image list (query)',
    method: 'GET',
    base: 'https://ims.eu-de.otc.t-systems.com/v2/cloudimages',
    query: { __imagetype: 'private', name: 'web-01 golden', status: 'active', limit: '50' },
  },
];

function ours(c: Case): () => string {
  const query = Object.entries(c.query)
    .map(([k, v]) => `${signingEncode(k)}=${signingEncode(v)}`)
    .join('&');
  const url = query ? `${c.base}?${query}` : c.base;
  const headers = { 'content-type': 'application/json', 'X-Project-Id': projectId };
  const body = c.data === undefined ? undefined : JSON.stringify(c.data);
  return () => signRequest({ method: c.method, url, headers, ...(body === undefined ? {} : { body }) }, credentials, date).Authorization ?? '';
}

function huawei(c: Case): () => string {
  return () => {
    const signed = AKSKSigner.sign(
      {
        endpoint: c.base,
        method: c.method,
        headers: { 'content-type': 'application/json', 'X-Project-Id': projectId, 'X-Sdk-Date': sdkDate(date) },
        queryParams: c.query,
        ...(c.data === undefined ? {} : { data: c.data }),
      },
      huaweiCredential,
    ) as Record<string, string>;
    return signed.Authorization ?? '';
  };
}

export function benchSigning(windowMs: number, log: (line: string) => void): SigningRow[] {
  return cases.map((c) => {
    const [a, b] = [ours(c), huawei(c)];
    if (a() !== b()) throw new Error(`signers disagree on ${c.name}: the comparison would be meaningless`);
    opsPerSecond(a, windowMs / 4);
    opsPerSecond(b, windowMs / 4);
    // Alternate short windows so both see the same machine state; keep the best of three each.
    const runs = { ours: [] as number[], huawei: [] as number[] };
    for (let round = 0; round < 3; round++) {
      runs.ours.push(opsPerSecond(a, windowMs));
      runs.huawei.push(opsPerSecond(b, windowMs));
    }
    const row = { request: c.name, oursOpsPerSec: Math.max(...runs.ours), huaweiOpsPerSec: Math.max(...runs.huawei) };
    log(`  signing: ${c.name}: ours ${fixed(row.oursOpsPerSec, 0)} ops/s, Huawei ${fixed(row.huaweiOpsPerSec, 0)} ops/s`);
    return row;
  });
}

if (process.argv[1] && import.meta.filename === process.argv[1]) runMain(async () => benchSigning(SIZES.signingWindowMs, log));
