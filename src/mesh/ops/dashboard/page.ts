/**
 * The dashboard page: one self-contained HTML document (no framework, no external request). Its script opens the
 * `/live` WebSocket and redraws from each message: the nodes, each node's actor tree (state, mailbox depth,
 * restarts), its services with endpoints and call rates. Text from the network is set with `textContent` only.
 */
const STYLE = `
body{font:13px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
header{background:#16202c;color:#fff;padding:10px 16px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:16px;margin:0}#status{opacity:.8}
main{display:flex;flex-wrap:wrap;gap:12px;padding:12px}
.node{background:#fff;border:1px solid #d9dee5;border-radius:6px;padding:10px 12px;min-width:340px;flex:1}
.node h2{font-size:14px;margin:0 0 4px}.meta{color:#5b6675;font-size:12px}.err{color:#b3261e}
h3{font-size:12px;text-transform:uppercase;color:#5b6675;margin:10px 0 4px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:14px}ul.tree{padding-left:0}
.actor{display:flex;gap:6px;align-items:center;white-space:nowrap}
.name{font-family:ui-monospace,monospace}.kind{color:#5b6675;font-size:11px}
.badge{border-radius:8px;padding:0 6px;font-size:11px;background:#e7ebf0}
.state-running{background:#d6f5dd}.state-suspended,.state-stopping{background:#fde8c8}.state-stopped{background:#f6d5d3}
.restarts.hot{background:#f6d5d3;font-weight:600}.mailbox.hot{background:#fde8c8;font-weight:600}
table{border-collapse:collapse;width:100%}td{padding:1px 6px 1px 0;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}
`;

const SCRIPT = `
const main = document.querySelector('main');
const status = document.getElementById('status');
const previous = new Map();
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; }
function actor(a) {
  const li = el('li');
  const row = el('div', 'actor');
  row.dataset.path = a.path;
  row.append(el('span', 'name', a.name), el('span', 'kind', a.kind), el('span', 'badge state state-' + a.state, a.state));
  const mb = el('span', 'badge mailbox' + (a.mailbox > 0 ? ' hot' : ''), 'mailbox ' + a.mailbox); mb.dataset.value = a.mailbox;
  const rs = el('span', 'badge restarts' + (a.restarts > 0 ? ' hot' : ''), 'restarts ' + a.restarts); rs.dataset.value = a.restarts;
  row.append(mb, rs);
  li.append(row);
  if (a.children.length > 0 || a.omitted) {
    const ul = el('ul');
    for (const c of a.children) ul.append(actor(c));
    if (a.omitted) ul.append(el('li', 'meta', '… ' + a.omitted + ' more'));
    li.append(ul);
  }
  return li;
}
function rates(n, time) {
  const before = previous.get(n.id);
  const now = new Map(n.calls.map((c) => [c.service + '/' + c.endpoint, c]));
  previous.set(n.id, { time, calls: now });
  const out = new Map();
  for (const [k, c] of now) {
    const b = before && before.calls.get(k);
    const dt = before ? (time - before.time) / 1000 : 0;
    out.set(k, b && dt > 0 ? Math.max(0, (c.total - b.total) / dt) : 0);
  }
  return out;
}
function node(n, time) {
  const card = el('section', 'node'); card.dataset.node = n.id;
  card.append(el('h2', '', n.id), el('div', 'meta', n.address));
  if (!n.report) { card.append(el('div', 'err', n.error || 'no answer')); return card; }
  const r = n.report;
  card.append(el('div', 'meta', r.actors + ' actors' + (r.truncated ? ' (truncated)' : '') + ' · ' + r.deadLetters + ' dead letters'));
  const perSec = rates(r, time);
  const calls = new Map(r.calls.map((c) => [c.service + '/' + c.endpoint, c]));
  card.append(el('h3', '', 'Services'));
  const table = el('table');
  for (const s of r.services) {
    if (s.name === 'micromesh.node') continue;
    for (const e of s.endpoints) {
      const k = s.name + '/' + e.name; const c = calls.get(k);
      const tr = el('tr'); tr.dataset.endpoint = k;
      tr.append(el('td', 'name', k), el('td', 'kind', s.version + (e.stream ? ' · stream' : '')),
        el('td', 'num', (perSec.get(k) || 0).toFixed(1) + '/s'), el('td', 'num', c ? c.total + ' calls' : ''), el('td', 'num err', c && c.errors ? c.errors + ' errors' : ''));
      table.append(tr);
    }
  }
  card.append(table, el('h3', '', 'Supervision tree'));
  const tree = el('ul', 'tree'); tree.append(actor(r.tree)); card.append(tree);
  return card;
}
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live');
  ws.onopen = () => { status.textContent = 'live'; };
  ws.onmessage = (m) => {
    const data = JSON.parse(m.data);
    main.replaceChildren(...data.nodes.map((n) => node(n, data.time)));
    status.textContent = 'live · ' + data.nodes.length + ' node(s) · ' + new Date(data.time).toLocaleTimeString();
  };
  ws.onclose = () => { status.textContent = 'disconnected; retrying'; setTimeout(connect, 1000); };
}
connect();
`;

/** The page served at the operations port's `/`. */
export function dashboardPage(nodeId: string): string {
  const title = `micromesh · ${nodeId.replace(/[<>&"]/g, '')}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title><style>${STYLE}</style></head>
<body><header><h1>${title}</h1><span id="status">connecting…</span></header><main></main>
<script>${SCRIPT}</script></body></html>`;
}
