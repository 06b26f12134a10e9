/* global document, FormData, fetch, io, requestAnimationFrame */
// Plain live page (no build step): proves the device → broker → socket.io path. Device data is
// only ever put into the page with textContent, never as HTML. A file of its own, not an inline
// script: the hub's Content-Security-Policy allows scripts from its own origin only. The session
// is the httpOnly cookie set by the login (no token kept in the page).
const STATE = { online: '在线 online', offline: '离线 offline', lost: '失联 lost' };
const devices = new Map();
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

document.getElementById('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const r = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'bops' },
    body: JSON.stringify({ username: f.get('username'), password: f.get('password') }),
  });
  const body = await r.json();
  if (!r.ok) {
    document.getElementById('loginErr').textContent = '登录失败 ' + (body.message || r.status);
    return;
  }
  start();
});

function render() {
  const app = document.getElementById('app');
  app.replaceChildren();
  const byBuilding = new Map();
  for (const d of [...devices.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!byBuilding.has(d.building)) byBuilding.set(d.building, []);
    byBuilding.get(d.building).push(d);
  }
  for (const [b, list] of byBuilding) {
    const s = el('section', 'building');
    s.append(el('h2', null, b));
    const g = el('div', 'grid');
    for (const d of list) {
      const t = el('div', 'tile ' + d.state);
      t.id = 'dev-' + d.id;
      t.dataset.state = d.state;
      t.append(el('span', 'state', STATE[d.state] || d.state), el('div', 'name', d.name + ' (' + d.class + ')'));
      const dl = el('dl');
      for (const [k, v] of Object.entries(d.lastTelemetry || {})) {
        dl.append(el('dt', null, k), el('dd', null, String(v)));
      }
      t.append(dl);
      g.append(t);
    }
    s.append(g);
    app.append(s);
  }
}

function start() {
  const conn = document.getElementById('conn');
  const socket = io('/control-room'); // same origin: the session cookie authenticates
  let pending = false;
  const schedule = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        render();
      });
    }
  };
  socket.on('connect', () => {
    conn.textContent = '已连接 live';
    conn.className = 'up';
    socket.emit('sync', (snap) => {
      if (snap.ok) {
        devices.clear();
        for (const d of snap.devices) devices.set(d.id, d);
        schedule();
      }
    });
  });
  socket.on('disconnect', () => {
    conn.textContent = '连接中断 reconnecting…';
    conn.className = 'down';
  });
  socket.on('connect_error', (e) => {
    conn.textContent = '连接失败 ' + e.message;
    conn.className = 'down';
    if (e.message === 'unauthenticated') socket.close(); // log in first (the form stays shown)
  });
  socket.on('device:status', (e) => {
    const d = devices.get(e.deviceId);
    if (d) {
      d.state = e.state;
      schedule();
    }
  });
  socket.on('telemetry', (e) => {
    const d = devices.get(e.deviceId);
    if (d) {
      d.lastTelemetry = { ...(d.lastTelemetry || {}), ...e.metrics };
      schedule();
    }
  });
}
start(); // an existing session cookie connects at once
