// A live connection lives no longer than its session (CONTRACT.md: disabling a user or changing
// a role ends that user's sessions at once, HTTP and socket.io alike). Real hub, socket.io-client.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, socket, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub();
  await t.hub.auth.createUser('desk1', 'desk1-password', 'frontdesk', 'Desk One');
  await t.hub.auth.createUser('desk2', 'desk2-password', 'frontdesk', 'Desk Two');
});
afterAll(async () => t?.close());

/** Resolves with the reason the server gave, once the socket has been disconnected. */
function ended(s: Socket): Promise<{ reason: string; disconnect: string }> {
  return new Promise((resolve) => {
    let reason = '';
    s.on('session:ended', (e: { reason: string }) => (reason = e.reason));
    s.on('disconnect', (d) => resolve({ reason, disconnect: d }));
  });
}

describe('live connections end with their session', () => {
  it('logout ends the sockets of that session only', async () => {
    const a = (await login(t, 'desk1', 'desk1-password')).token;
    const b = (await login(t, 'desk1', 'desk1-password')).token;
    const sa = await socket(t, '/front-desk', a);
    const sb = await socket(t, '/front-desk', b);
    const gone = ended(sa);
    expect((await api(t, 'POST', '/api/auth/logout', undefined, a)).status).toBe(204);
    expect(await gone).toEqual({ reason: 'logout', disconnect: 'io server disconnect' });
    // the other session of the same user is untouched
    expect(sb.connected).toBe(true);
    expect((await sb.emitWithAck('sync')).ok).toBe(true);
    sb.close();
  });

  it('ending a user’s sessions closes every socket of that user and refuses the token over HTTP', async () => {
    const token = (await login(t, 'desk2', 'desk2-password')).token;
    const user = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'desk2' } });
    const cr = await socket(t, '/control-room', token);
    const fd = await socket(t, '/front-desk', token);
    const both = Promise.all([ended(cr), ended(fd)]);
    await t.hub.auth.endSessions(user.id, 'disabled');
    expect((await both).map((e) => e.reason)).toEqual(['disabled', 'disabled']);
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
    await expect(socket(t, '/control-room', token)).rejects.toThrow(/unauthenticated/);
  });

  it('a session that expires ends its socket at the expiry time', async () => {
    const token = (await login(t, 'desk1', 'desk1-password')).token;
    // as if its lifetime were nearly over: the socket reads the expiry when it connects
    const session = await t.hub.db.session.findFirstOrThrow({ where: { user: { username: 'desk1' } }, orderBy: { createdAt: 'desc' } });
    await t.hub.db.session.update({ where: { id: session.id }, data: { expiresAt: new Date(Date.now() + 800) } });
    const s = await socket(t, '/control-room', token);
    const r = await ended(s);
    expect(r).toEqual({ reason: 'expired', disconnect: 'io server disconnect' });
  });
});
