// Request signing of each channel, exactly as each provider documents it. Pure functions, so
// the tests' receivers can check them against their own, independently written verification.
import { createHmac, randomUUID } from 'node:crypto';

/**
 * Generic webhook: HMAC-SHA256 over `${timestamp}.${body}` (the Stripe/Slack convention), hex,
 * sent as `X-Bops-Signature: v1=<hex>` with `X-Bops-Timestamp` (ms). Receivers recompute it and
 * reject old timestamps (replay).
 */
export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}

/**
 * DingTalk custom robot 加签: stringToSign = timestamp(ms) + "\n" + secret,
 * sign = urlEncode(base64(HmacSHA256(key = secret, stringToSign))), sent as query parameters
 * `timestamp` and `sign` next to `access_token` (DingTalk open platform, 自定义机器人安全设置).
 * Returns the raw base64; URLSearchParams does the URL encoding.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/**
 * Feishu custom bot 签名校验: key = timestamp(s) + "\n" + secret, sign = base64(HmacSHA256(key, "")),
 * sent in the JSON body as `timestamp` (string, seconds) and `sign` (Feishu 自定义机器人使用指南).
 */
export function feishuSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

/**
 * Alibaba Cloud RPC percent-encoding (RFC 3986): A–Z a–z 0–9 - _ . ~ stay, everything else is
 * %XY in UTF-8, space is %20 (never '+'). encodeURIComponent also leaves ! ' ( ) * alone.
 */
export function aliyunPercentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Alibaba Cloud RPC signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0; the SMS and
 * Dyvms "signature method" pages): sort the parameters (all but Signature) by name, join
 * encode(k)=encode(v) with '&'; StringToSign = METHOD + "&" + encode("/") + "&" + encode(that);
 * Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
 */
export function aliyunRpcSignature(method: 'GET' | 'POST', params: Record<string, string>, accessKeySecret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k]!)}`)
    .join('&');
  const stringToSign = `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(canonical)}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}

/** The common RPC parameters (Format, Version, AccessKeyId, SignatureMethod, Timestamp, …) plus the action's. */
export function aliyunRpcParams(
  action: string,
  version: string,
  accessKeyId: string,
  accessKeySecret: string,
  actionParams: Record<string, string>,
  now: number,
  nonce: string = randomUUID(),
): Record<string, string> {
  const params: Record<string, string> = {
    Format: 'JSON',
    Version: version,
    AccessKeyId: accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    // ISO 8601 UTC without milliseconds: yyyy-MM-ddTHH:mm:ssZ
    Timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    SignatureVersion: '1.0',
    SignatureNonce: nonce,
    Action: action,
    ...actionParams,
  };
  params.Signature = aliyunRpcSignature('POST', params, accessKeySecret);
  return params;
}
