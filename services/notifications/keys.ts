// Keys of the notification service: channel secrets are encrypted at rest (AES-256-GCM) and
// ack links are signed (HMAC-SHA256). The master key comes from HUB_NOTIFY_KEY when set (keep it
// outside the database: a stolen dump then holds no usable robot/SMTP/SMS secret); otherwise one
// is generated on first start and kept in the NotifyKey table so every hub instance shares it.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export class NotifyKeys {
  private readonly enc: Buffer;
  private readonly sig: Buffer;

  constructor(master: Buffer) {
    this.enc = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'bops-notify-secrets', 32));
    this.sig = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'bops-notify-ack-links', 32));
  }

  static generate(): string {
    return randomBytes(32).toString('base64');
  }

  encrypt(obj: Record<string, string>): string {
    if (!Object.keys(obj).length) return '';
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.enc, iv);
    const data = Buffer.concat([c.update(JSON.stringify(obj), 'utf8'), c.final()]);
    return `v1.${iv.toString('base64')}.${c.getAuthTag().toString('base64')}.${data.toString('base64')}`;
  }

  decrypt(s: string): Record<string, string> {
    if (!s) return {};
    const [v, iv, tag, data] = s.split('.');
    if (v !== 'v1' || !iv || !tag || !data) throw new Error('unreadable channel secrets');
    const d = createDecipheriv('aes-256-gcm', this.enc, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return JSON.parse(Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8')) as Record<string, string>;
  }

  /** token = <linkId>.<expiresAt>.<hmac>: the link id is random and single-use in the database */
  signLink(id: string, expiresAt: number): string {
    return `${id}.${expiresAt}.${this.mac(`${id}.${expiresAt}`)}`;
  }

  /** The link id when the signature is right and it has not expired (single use is the caller's check). */
  verifyLink(token: string, now: number): { id: string; expiresAt: number } | { error: 'invalid' | 'expired' } {
    const m = /^([A-Za-z0-9_-]{16,64})\.(\d{10,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return { error: 'invalid' };
    const [, id, exp, mac] = m as unknown as [string, string, string, string];
    const want = Buffer.from(this.mac(`${id}.${exp}`));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return { error: 'invalid' };
    if (Number(exp) <= now) return { error: 'expired' };
    return { id, expiresAt: Number(exp) };
  }

  /** a stable id for the same (incident, level, round, person): re-planning after a restart reuses the link */
  linkIdFor(s: string): string {
    return this.mac(`link-id|${s}`).slice(0, 24);
  }

  private mac(s: string): string {
    return createHmac('sha256', this.sig).update(s).digest('base64url');
  }
}

export function newLinkId(): string {
  return randomBytes(18).toString('base64url');
}
