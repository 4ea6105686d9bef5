// The error answers of the simulator, each with the status, code and message the real service uses
// (IMS codes and messages verbatim from ims-docs/error_codes.rst; gateway and IAM shapes as they answer).
import { randomBytes } from 'node:crypto';

/** The IMS codes the simulator refuses with, message verbatim from error_codes.rst (all status 400). */
export const IMS_CODES = {
  'IMG.0001': 'The request message format is invalid.',
  'IMG.0002': 'The image name contains more than 128 characters.',
  'IMG.0003': 'The image name format is invalid.',
  'IMG.0004': 'The description contains more than 1024 characters.',
  'IMG.0005': 'The ECS does not exist.',
  'IMG.0007': 'The request body is empty.',
  'IMG.0008': 'The ECS cannot be used to create images because it is not in stopped state.',
  'IMG.0009': 'The image name already exists.',
  'IMG.0010': 'The ECS cannot be used to create an image because it has in-progress tasks.',
  'IMG.0012': 'The ECS ID is not specified.',
  'IMG.0013': 'The image name is not specified.',
  'IMG.0014': 'An exception occurred when IaaS OpenStack was executing the task.',
  'IMG.0017': 'The URL format is incorrect.',
  'IMG.0024': 'The image type in the request is incorrect.',
  'IMG.0027': 'The image ID in the request does not exist.',
  'IMG.0030': 'The project ID and token in the request are invalid.',
  'IMG.0031': 'The resource ID in the request is incorrect.',
  'IMG.0046': 'The image is unavailable.',
  'IMG.0054': 'The image description format is invalid.',
  'IMG.0055': 'The memory or disk size is invalid.',
  'IMG.0056': 'Invalid OS version.',
  'IMG.0057':
    'The image file is empty, not found, or in incorrect format, or you do not have enough permission to access the file.',
  'IMG.0058': 'The region of the bucket where the image file is stored is inconsistent with that of the user.',
  'IMG.0061': 'Unknown system error.',
  'IMG.0066': 'The image ID is incorrect.',
  'IMG.0068': 'The specified bucket name is empty.',
  'IMG.0069': 'The specified bucket cannot be accessed.',
  'IMG.0070':
    'The image file already exists. Confirm the file in the corresponding directory of the OBS bucket or in the OBS bucket.',
  'IMG.0071': 'The image cannot be exported.',
  'IMG.0072': 'The specified image format is not supported.',
  'IMG.0073': 'The name of the exported file is empty.',
  'IMG.0074': 'The file name length exceeds the limit.',
  'IMG.0077': 'The public image cannot be exported.',
  'IMG.0079': 'The system disk image created from a charged image cannot be exported.',
  'IMG.0080': 'The image created from a CSBS or CBR backup cannot be exported.',
  'IMG.0081': 'The image cannot be exported because it is created from an image file.',
  'IMG.0109': 'The bucket name contains invalid characters.',
  'IMG.0115': 'The image tag is invalid.',
  'IMG.0116': 'The number of image tags exceeds the quota.',
  'IMG.0120': 'The specified data disk ID is unavailable.',
  'IMG.0122': 'The OS type is invalid.',
  'IMG.0123': 'The image file address in the request is duplicate.',
  'IMG.0128': 'The full-ECS image cannot be exported.',
  'IMG.0141': 'The value of hw_firmware_type is not uefi or bios.',
  'IMG.0155': 'Failed to check the enterprise project ID validity.',
  'IMG.0160': 'Only images less than 128 GB can be exported.',
  'IMG.0166': 'OS information must be contained in the ISO files used to create images.',
  'IMG.0175': 'The folder name and image file name cannot contain spaces.',
  'IMG.0194': 'The maximum number of images that can be imported at one time has been reached.',
  'IMG.0212': 'The value of Architecture must be x86 or Arm.',
} as const;

export type ImsCode = keyof typeof IMS_CODES;

export interface SimAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** An XML document instead of a JSON body (the OBS answers). */
  xml?: string;
  /** A body of this many zero bytes, streamed (an OBS object's content). */
  zeros?: number;
}

export const requestId = () => randomBytes(16).toString('hex');

/** IMS's own refusal: `{ "error": { "code": "IMG.nnnn", "message": ... } }`, 400 unless said. */
export function imsError(code: ImsCode, status = 400): SimAnswer {
  return { status, body: { error: { code, message: IMS_CODES[code] } } };
}

// API Gateway answers before IMS sees the call (authentication, throttling, unknown paths).
const GATEWAY = {
  401: { code: 'APIGW.0301', msg: 'Incorrect IAM authentication information' },
  403: { code: 'APIGW.0302', msg: 'The IAM user is not authorized to access the API.' },
  404: { code: 'APIGW.0101', msg: 'The API does not exist or has not been published in the environment.' },
  429: { code: 'APIGW.0308', msg: 'The throttling threshold has been reached: policy user over ratelimit, limit:100, time:1 minute' },
  502: { code: 'APIGW.0201', msg: 'Backend unavailable.' },
  503: { code: 'APIGW.0201', msg: 'Backend unavailable.' },
  504: { code: 'APIGW.0202', msg: 'Backend timeout.' },
} as const;

/** The gateway's body `{ error_msg, error_code, request_id }`; `detail` must never carry a secret. */
export function gatewayError(status: keyof typeof GATEWAY, detail?: string): SimAnswer {
  const { code, msg } = GATEWAY[status];
  return { status, body: { error_msg: detail ? `${msg}: ${detail}` : msg, error_code: code, request_id: requestId() } };
}

/** Expired token: the gateway's own code for it. */
export function tokenExpired(): SimAnswer {
  return { status: 401, body: { error_msg: 'The token must be updated.', error_code: 'APIGW.0307', request_id: requestId() } };
}

/** IAM (Keystone) error body: `{ "error": { "code": 401, "message", "title" } }`. */
export function iamError(status: 400 | 401, message: string): SimAnswer {
  const title = status === 400 ? 'Bad Request' : 'Unauthorized';
  return { status, body: { error: { code: status, message, title } } };
}

/** The body a `status` fault answers with when it names none: what that status looks like from the cloud. */
export function faultBody(status: number): unknown {
  if (status in GATEWAY) return gatewayError(status as keyof typeof GATEWAY).body;
  if (status >= 500) return imsError('IMG.0061', status).body;
  return imsError('IMG.0001', status).body;
}
