import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { describe, expect, it } from 'vitest';
import { sdkDate, signRequest, signingEncode } from '../../lib/ims/signer.js';
import { registerSecret } from '../helpers/secrets.js';

const credentials = { ak: 'HPUAEXAMPLEAK0000001', sk: registerSecret('exampleSecretKey0123456789abcdefghijklmn') };
const date = new Date('2026-11-23T10:04:05.678Z');
const projectId = '0123456789abcdef0123456789abcdef';

type HuaweiCredential = Parameters<typeof AKSKSigner.sign>[1];
const huaweiCredential = { getAk: () => credentials.ak, getSk: () => credentials.sk } as unknown as HuaweiCredential;

/** Huawei's own signer, fed the same request: it reads the date from X-Sdk-Date and the query from queryParams. */
function huaweiAuthorization(request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string>;
  data?: unknown;
}): string {
  const signed = AKSKSigner.sign(
    {
      endpoint: request.url,
      method: request.method,
      headers: { ...request.headers, 'X-Sdk-Date': sdkDate(date) },
      queryParams: request.queryParams ?? {},
      data: request.data,
    },
    huaweiCredential,
  ) as Record<string, string>;
  return signed.Authorization ?? '';
}

describe('signRequest', () => {
  it('formats X-Sdk-Date as YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(sdkDate(date)).toBe('20261123T100405Z');
  });

  it('signs a POST with a JSON body exactly as Huawei AKSKSigner.sign does', () => {
    const data = { bucket_url: 'ims-image:exports/centos 7.qcow2', file_format: 'qcow2', is_quick_export: false };
    const url = 'https://ims.eu-de.otc.t-systems.com/v1/cloudimages/d164b5df-1bc3-4c3f-893e-3e471fd16e64/file';
    const headers = { 'content-type': 'application/json;charset=utf8', 'X-Project-Id': projectId };
    const ours = signRequest({ method: 'POST', url, headers, body: JSON.stringify(data) }, credentials, date);
    expect(ours.Authorization).toBe(huaweiAuthorization({ method: 'POST', url, headers, data }));
    expect(ours.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(ours['X-Sdk-Date']).toBe('20261123T100405Z');
    expect(ours.host).toBe('ims.eu-de.otc.t-systems.com');
  });

  it('signs a GET with a query string (sorted, spaces and specials encoded) as Huawei does', () => {
    const queryParams = { name: 'my image (v2)*', __imagetype: 'private', status: 'active', id: 'a&b=c' };
    const query = Object.entries(queryParams)
      .map(([k, v]) => `${signingEncode(k)}=${signingEncode(v)}`)
      .join('&');
    const base = 'https://ims.eu-nl.otc.t-systems.com:8443/v2/cloudimages';
    const headers = { 'X-Project-Id': projectId };
    const ours = signRequest({ method: 'GET', url: `${base}?${query}`, headers }, credentials, date);
    expect(ours.Authorization).toBe(huaweiAuthorization({ method: 'GET', url: base, headers, queryParams }));
    expect(ours.host).toBe('ims.eu-nl.otc.t-systems.com:8443');
  });

  it('signs a path whose segments need encoding as Huawei does', () => {
    const url = 'https://ims.ap-southeast-1.myhuaweicloud.com/v1/cloudimages/a%20b:c%C3%A4~/file';
    const headers = { 'X-Project-Id': projectId };
    const ours = signRequest({ method: 'GET', url, headers }, credentials, date);
    expect(ours.Authorization).toBe(huaweiAuthorization({ method: 'GET', url, headers }));
  });

  it('gives a different signature when a single body byte changes', () => {
    const url = 'https://ims.eu-de.otc.t-systems.com/v2/cloudimages/action';
    const sign = (body: string) => signRequest({ method: 'POST', url, headers: {}, body }, credentials, date).Authorization;
    expect(sign('{"name":"a"}')).not.toBe(sign('{"name":"b"}'));
  });
});
