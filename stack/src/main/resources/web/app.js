// camstack node web page: one server-sent event stream (/api/web/events) read with fetch (so the
// bearer token can go in a header), actions through the ordinary API. No framework, no build.
'use strict';

const $ = (id) => document.getElementById(id);
const LANES = ['xpt', 'periph', 'devfs', 'driver', 'cluster'];
const LANE_NAMES = { xpt: 'XPT', periph: 'periph', devfs: 'devfs', driver: 'driver', cluster: 'cluster' };
// the protocol's order for one periph incarnation (docs/lifetime.md)
const ORDER = { 'cam_periph_alloc': 0, 'make_dev': 1, 'make_dev_alias': 1, 'invalidate': 2,
  'destroy_dev_sched_cb': 3, 'dev-gone callback': 4, 'destructor': 5, 'unit freed': 6 };
// journal event names -> lane and step
const JOURNAL = { PeriphRegistered: ['driver', 'cam_periph_alloc'], DevfsNodeCreated: ['devfs', 'make_dev'],
  AliasAdded: ['devfs', 'make_dev_alias'], PeriphInvalidated: ['periph', 'invalidate'],
  NodeDestroyRequested: ['devfs', 'destroy_dev_sched_cb'], NodeGone: ['devfs', 'dev-gone callback'],
  DestructorRun: ['periph', 'destructor'], UnitFreed: ['driver', 'unit freed'] };
const KEEP_POINTS = 300;

const state = {
  token: sessionStorage.getItem('camstack.token') || '', streaming: false,
  tree: null, periphs: [], steps: [], seen: new Set(), selected: null,
  follow: '', journal: null, io: new Map(), retry: 1000, cluster: null,
};

// ------------------------------------------------------------------ HTTP

function headers(json) {
  const h = {};
  if (state.token) h['Authorization'] = 'Bearer ' + state.token;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

async function api(method, url, body) {
  const r = await fetch(url, { method, headers: headers(true), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
  if (r.status === 401) { askToken(); }
  if (!r.ok) throw new Error((data && data.error) || (r.status + ' ' + r.statusText));
  return data;
}

function say(text, bad) {
  const m = $('msg');
  m.textContent = text;
  m.className = 'mono' + (bad ? ' err' : '');
}

async function act(label, fn) {
  say(label + '…');
  try {
    const r = await fn();
    say(label + ': ' + ((r && r.message) || 'done'));
  } catch (e) {
    say(label + ': ' + e.message, true);
  }
}

function confirmThen(text, fn) {
  const d = $('dlg-confirm');
  $('confirm-text').textContent = text;
  d.returnValue = '';
  d.onclose = () => { if (d.returnValue === 'ok') fn(); };
  d.showModal();
  $('confirm-cancel').focus();
}

function askToken() {
  $('btn-token').hidden = false;
  const d = $('dlg-token');
  if (!d.open) d.showModal();
}

// ------------------------------------------------------------------ the event stream

async function stream() {
  if (state.streaming) return;
  state.streaming = true;
  try {
    await readStream();
  } finally {
    state.streaming = false;
  }
}

async function readStream() {
  let r;
  try {
    r = await fetch('/api/web/events', { headers: headers(false), cache: 'no-store' });
  } catch (e) {
    return reconnect();
  }
  if (r.status === 401) { conn('token needed', 'down'); askToken(); return; }
  if (!r.ok || !r.body) { return reconnect(); }
  conn('live', 'live');
  state.retry = 1000;
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const chunk = buf.slice(0, i);
        buf = buf.slice(i + 2);
        dispatch(chunk);
      }
    }
  } catch (e) { /* connection dropped: reconnect below */ }
  reconnect();
}

function reconnect() {
  conn('reconnecting', 'down');
  setTimeout(stream, state.retry); // after readStream returned: state.streaming is false by then
  state.retry = Math.min(state.retry * 2, 8000);
}

function conn(text, cls) {
  const c = $('conn');
  c.textContent = text;
  c.className = 'badge ' + cls;
}

function dispatch(chunk) {
  let type = 'message';
  const data = [];
  for (const line of chunk.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (!data.length || !data.join('')) return; // heartbeat
  const v = JSON.parse(data.join('\n'));
  if (type === 'hello') {
    $('node').textContent = v.node;
    state.periphs = v.periphs;
    v.steps.forEach(addStep);
    drawTimeline();
  } else if (type === 'tree') {
    state.tree = v;
    state.periphs = v.periphs;
    drawTree();
  } else if (type === 'step') {
    addStep(v);
    drawTimeline();
  } else if (type === 'io') {
    addIo(v);
  } else if (type === 'cluster') {
    state.cluster = v;
    drawCluster();
  }
}

// ------------------------------------------------------------------ device tree

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}

function size(blocks, bs) {
  const b = blocks * bs;
  if (!b) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, x = b;
  while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
  return (Math.round(x * 10) / 10) + ' ' + u[i];
}

function drawTree() {
  const t = state.tree;
  if (!t) return;
  const luns = new Map(); // path -> {bus, target, lun, info, dev, periphs}
  const get = (path) => {
    if (!luns.has(path)) {
      const [b, tg, l] = path.split(':').map(Number);
      luns.set(path, { path, bus: b, target: tg, lun: l, info: null, dev: null, periphs: [] });
    }
    return luns.get(path);
  };
  const buses = new Map();
  for (const b of t.devlist.buses) {
    if (b.pathId < 0) continue;
    buses.set(b.pathId, b.simName + b.simUnit + ' bus ' + b.busId);
    for (const d of b.devices) if (!d.unconfigured) get(d.path).dev = d;
  }
  for (const b of t.topology.buses) {
    if (!buses.has(b.pathId)) buses.set(b.pathId, b.simName + b.simUnit);
    for (const l of b.luns) get(l.path).info = l;
  }
  for (const p of state.periphs) if (p.path) get(p.path).periphs.push(p);
  const ul = $('tree');
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.path : null;
  ul.replaceChildren();
  for (const [id, label] of [...buses.entries()].sort((a, b) => a[0] - b[0])) {
    const targets = new Map();
    for (const l of [...luns.values()].filter((x) => x.bus === id).sort((a, b) => a.target - b.target || a.lun - b.lun)) {
      if (!targets.has(l.target)) targets.set(l.target, []);
      targets.get(l.target).push(l);
    }
    const tl = el('ul');
    for (const [tg, ls] of targets) {
      const ll = el('ul');
      for (const l of ls) ll.append(lunItem(l));
      tl.append(el('li', { class: 'target' }, el('span', { text: 'target ' + tg }), ll));
    }
    ul.append(el('li', { class: 'bus', 'data-bus': id }, el('span', { text: 'scbus' + id + ' ' }),
      el('span', { class: 'muted', text: label }), tl));
  }
  if (focused) {
    const b = ul.querySelector('.lun-btn[data-path="' + focused + '"]');
    if (b) b.focus();
  }
  if (!document.body.dataset.treeMs) document.body.dataset.treeMs = String(Math.round(performance.now())); // since navigation
  drawSelection();
}

function lunItem(l) {
  const present = !!l.dev;
  const info = l.info;
  const kind = info ? info.kind : '';
  const ident = l.dev ? (l.dev.vendor + ' ' + l.dev.product).trim() : info ? (info.vendor + ' ' + info.product).trim() : '';
  const btn = el('button', { type: 'button', class: 'lun-btn', 'data-path': l.path,
    'aria-pressed': String(state.selected === l.path),
    onclick: () => select(l.path) }, el('span', { class: 'mono', text: 'lun ' + l.lun + ' (' + l.path + ')' }),
  el('span', { class: 'muted', text: ' ' + [kind, ident, info ? size(info.blocks, info.blockSize) : '', present ? '' : 'not in the EDT'].filter(Boolean).join(' · ') }));
  const li = el('li', { class: 'lun' + (present ? '' : ' absent'), 'data-lun': l.path }, btn);
  const names = new Set(l.periphs.map((p) => p.name));
  const chips = el('div');
  for (const p of l.periphs) {
    const cls = 'periph st-' + p.state.replace(/[^a-z]+/g, '-');
    chips.append(el('span', { class: cls, 'data-periph': p.name, 'data-state': p.state, 'data-path': l.path,
      title: p.incarnation + (p.deviceId ? ' ' + p.deviceId : '') }, p.name,
    el('span', { class: 'st', text: p.state }),
    p.nodes.length ? el('span', { class: 'nodes', text: ' /dev/' + p.nodes.join(' /dev/') }) : null));
  }
  for (const n of (l.dev ? l.dev.periphs : [])) {
    if (!names.has(n)) chips.append(el('span', { class: 'periph', 'data-periph': n, 'data-path': l.path }, n));
  }
  if (chips.childElementCount) li.append(chips);
  return li;
}

function select(path) {
  state.selected = path;
  for (const b of document.querySelectorAll('.lun-btn')) b.setAttribute('aria-pressed', String(b.dataset.path === path));
  drawSelection();
  loadFaults();
}

function selectedLun() {
  const t = state.tree;
  if (!t || !state.selected) return null;
  for (const b of t.topology.buses) for (const l of b.luns) if (l.path === state.selected) return l;
  return { path: state.selected, blocks: 0, blockSize: 512 };
}

function lunKnown(path) {
  const t = state.tree;
  return !!t && (inTree(path) || t.topology.buses.some((b) => b.luns.some((l) => l.path === path)));
}

function drawSelection() {
  let l = selectedLun();
  if (l && !lunKnown(l.path)) {
    $('sel-help').textContent = 'LUN ' + l.path + ' is gone (Plug LUN… puts one back).';
    $('plug-path').value = l.path;
    state.selected = null;
    l = null;
  } else if (!l) {
    $('sel-help').textContent = 'Select a LUN in the tree (Tab to it, Enter).';
  }
  $('actions').hidden = !l;
  $('sel-help').hidden = !!l;
  $('sel').textContent = l ? l.path : '';
  if (l && document.activeElement !== $('resize-mib')) {
    $('resize-mib').value = Math.max(1, Math.round(l.blocks * l.blockSize / 1048576));
  }
}

async function loadFaults() {
  const p = state.selected;
  $('faults').textContent = '';
  if (!p) return;
  try {
    const f = await api('GET', '/api/devices/' + p + '/faults');
    $('faults').textContent = f.rules.length ? 'rules: ' + f.rules.map((r) => r.id + ' ' + r.type + '/' + r.commands).join(', ') : 'no fault rules';
  } catch (e) {
    $('faults').textContent = '';
  }
}

function wireActions() {
  $('act-pull').onclick = () => {
    const p = state.selected;
    confirmThen('Pull LUN ' + p + '? The device disappears (hot-unplug) and its periphs are torn down.',
      () => act('pull ' + p, () => api('DELETE', '/api/luns/' + p)));
  };
  $('act-reset').onclick = () => {
    const p = state.selected;
    confirmThen('Reset device ' + p + ' (XPT_RESET_DEV)? Commands in flight are aborted.',
      () => act('reset ' + p, () => api('POST', '/api/reset?path=' + p).then(scanText)));
  };
  $('act-rescan').onclick = () => act('rescan ' + state.selected, () => api('POST', '/api/rescan?path=' + state.selected).then(scanText));
  $('act-rescan-bus').onclick = () => {
    const b = state.selected.split(':')[0];
    act('rescan bus ' + b, () => api('POST', '/api/rescan?path=' + b).then(scanText));
  };
  $('act-rescan-all').onclick = () => act('rescan all', () => api('POST', '/api/rescan?path=all').then(scanText));
  $('form-resize').onsubmit = (ev) => {
    ev.preventDefault();
    const p = state.selected;
    const mib = Number($('resize-mib').value);
    confirmThen('Resize LUN ' + p + ' to ' + mib + ' MiB?', () => act('resize ' + p,
      () => api('POST', '/api/luns/' + p + '/resize', { sizeBytes: mib * 1048576 }).then((l) => ({ message: l.blocks + ' blocks of ' + l.blockSize }))));
  };
  $('form-fault').onsubmit = (ev) => {
    ev.preventDefault();
    const p = state.selected;
    const rule = { type: $('fault-type').value, commands: $('fault-cmds').value, continuous: $('fault-cont').checked };
    act('inject on ' + p, () => api('POST', '/api/devices/' + p + '/faults', rule)
      .then((r) => { loadFaults(); return { message: 'rule ' + r.id + ' (' + r.type + ')' }; }));
  };
  $('act-clear').onclick = () => {
    const p = state.selected;
    act('clear faults on ' + p, async () => {
      const f = await api('GET', '/api/devices/' + p + '/faults');
      for (const r of f.rules) await api('DELETE', '/api/devices/' + p + '/faults/' + encodeURIComponent(r.id));
      loadFaults();
      return { message: f.rules.length + ' rule(s) deleted' };
    });
  };
  $('act-plug-open').onclick = () => { $('dlg-plug').returnValue = ''; $('dlg-plug').showModal(); };
  $('dlg-plug').onclose = () => {
    if ($('dlg-plug').returnValue !== 'ok') return;
    const p = $('plug-path').value.trim();
    act('plug ' + p, () => api('POST', '/api/luns', { path: p, sizeBytes: Number($('plug-mib').value) * 1048576 })
      .then((l) => ({ message: 'lun ' + l.path + ' plugged (' + size(l.blocks, l.blockSize) + ')' })));
  };
  $('dlg-token').onclose = () => {
    state.token = $('token').value.trim();
    sessionStorage.setItem('camstack.token', state.token);
    $('token').value = '';
    stream();
  };
  $('btn-token').onclick = askToken;
  $('tl-device').onchange = () => { state.follow = $('tl-device').value; state.journal = null; drawTimeline(); };
  $('form-journal').onsubmit = async (ev) => {
    ev.preventDefault();
    const wwn = $('tl-wwn').value.trim();
    if (!wwn) return;
    try {
      const t = await api('GET', '/api/web/timeline?device=' + encodeURIComponent(wwn));
      state.journal = t.steps.map(journalStep).filter(Boolean);
      say('journal: ' + t.steps.length + ' events of ' + wwn);
    } catch (e) {
      state.journal = null;
      say('journal: ' + e.message, true);
    }
    drawTimeline();
  };
}

function scanText(r) {
  return { message: r.items.map((i) => i.scope + ' ' + (i.scope === 'bus' ? i.bus : i.bus + ':' + i.target + ':' + i.lun) + (i.ok ? ' ok' : ' failed (' + i.camStatus + ')')).join(', ') };
}

// ------------------------------------------------------------------ timelines

function addStep(s) {
  if (state.seen.has(s.seq)) return;
  state.seen.add(s.seq);
  state.steps.push(s);
  if (state.steps.length > 4000) state.steps.splice(0, state.steps.length - 4000);
  if (s.lane === 'cluster' && ![...$('tl-device').options].some((o) => o.value === 'cluster')) {
    $('tl-device').append(el('option', { value: 'cluster', text: 'cluster events' }));
  }
  if (/^\d+:\d+:\d+$/.test(s.path) && ![...$('tl-device').options].some((o) => o.value === s.path)) {
    $('tl-device').append(el('option', { value: s.path, text: 'LUN ' + s.path }));
  }
}

function journalStep(r, i) {
  const m = JOURNAL[r.event];
  const f = r.fields || {};
  return { seq: i, timeMicros: r.timeMillis * 1000, lane: m ? m[0] : 'xpt', step: m ? m[1] : r.event,
    incarnation: r.periph, deviceId: f.deviceId || '', path: '', detail: f.name || f.path || f.cause || '',
    violation: r.event === 'ProtocolViolation' };
}

/** The steps to draw: the journal's, a chosen LUN's, or the latest teardown's. */
function currentSteps() {
  if (state.journal) return state.journal;
  if (state.follow === 'cluster') return state.steps.filter((s) => s.lane === 'cluster').slice(-80);
  let path = state.follow;
  if (!path) {
    for (let i = state.steps.length - 1; i >= 0; i--) {
      const s = state.steps[i];
      if (s.path && (s.step === 'AC_LOST_DEVICE' || s.step === 'invalidate')) { path = s.path; break; }
    }
  }
  if (!path) return state.steps.filter((s) => s.lane !== 'xpt' || s.step !== 'AC_FOUND_DEVICE').slice(-40);
  const incs = new Set(state.steps.filter((s) => s.path === path && s.incarnation).map((s) => s.incarnation));
  let mine = state.steps.filter((s) => s.path === path || incs.has(s.incarnation));
  if (!state.follow) {
    // the latest teardown only: from the LUN's last AC_LOST_DEVICE (or first invalidate after its last alloc)
    // (a periph that saw the loss itself may invalidate before the XPT's AC_LOST_DEVICE reaches the page)
    let lost = -1, inv = -1;
    for (let i = mine.length - 1; i >= 0 && lost < 0; i--) if (mine[i].step === 'AC_LOST_DEVICE') lost = i;
    for (let i = mine.length - 1; i >= 0; i--) {
      if (mine[i].step === 'cam_periph_alloc') break;
      if (mine[i].step === 'invalidate') inv = i;
    }
    const from = lost < 0 ? inv : inv < 0 ? lost : Math.min(lost, inv);
    if (from >= 0) mine = mine.slice(from);
  }
  return mine.slice(-80);
}

/** Marks steps that break the protocol's order for their incarnation. */
function judge(steps) {
  const max = new Map();
  return steps.map((s) => {
    const o = ORDER[s.step];
    let bad = s.violation;
    if (o !== undefined && s.incarnation) {
      const m = max.get(s.incarnation);
      if (m !== undefined && o < m) bad = true;
      max.set(s.incarnation, Math.max(o, m === undefined ? o : m));
    }
    return Object.assign({}, s, { bad });
  });
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawTimeline() {
  const steps = judge(currentSteps());
  const laneH = 60, left = 70;
  const avail = Math.max(600, $('tl-svg').clientWidth - 4);
  const dx = Math.max(72, Math.min(150, (avail - left - 60) / Math.max(1, steps.length)));
  // the cluster lane only where there is a cluster (or its steps are drawn)
  const lanes = LANES.filter((l) => l !== 'cluster' || (state.cluster && !state.cluster.single) || steps.some((s) => s.lane === 'cluster'));
  const w = Math.max(avail, left + 60 + steps.length * dx), h = lanes.length * laneH + 10;
  const root = svg('svg', { width: w, height: h, role: 'img', 'aria-label': 'lifetime swimlanes' });
  lanes.forEach((l, i) => {
    const y = 10 + i * laneH;
    root.append(svg('rect', { x: 0, y, width: w, height: laneH, fill: i % 2 ? '#fafbfc' : '#f3f5f7' }));
    root.append(svg('text', { x: 6, y: y + laneH / 2 + 4, 'font-weight': 600 }, LANE_NAMES[l]));
  });
  let prev = null;
  steps.forEach((s, i) => {
    const li = Math.max(0, lanes.indexOf(s.lane));
    const x = left + 20 + i * dx, y = 10 + li * laneH + 30;
    const up = i % 2 === 0; // labels alternate above and below the dots so neighbours never overlap
    const color = s.bad ? '#c0162b' : '#0b5cad';
    if (prev) root.append(svg('line', { x1: prev[0], y1: prev[1], x2: x, y2: y, stroke: '#b6c2cf', 'stroke-width': 1 }));
    prev = [x, y];
    const g = svg('g', { 'data-step': s.step, 'data-incarnation': s.incarnation || '', class: s.bad ? 'bad' : '' });
    g.append(svg('circle', { cx: x, cy: y, r: s.bad ? 6 : 5, fill: color }));
    g.append(svg('text', { x: x - 4, y: up ? y - 18 : y + 17, fill: color }, s.step));
    g.append(svg('text', { x: x - 4, y: up ? y - 8 : y + 27, fill: '#5b6570' }, s.incarnation || s.path || ''));
    g.append(svg('title', {}, s.step + ' ' + (s.incarnation || '') + ' ' + (s.detail || '') + ' @' + new Date(s.timeMicros / 1000).toISOString()));
    root.append(g);
  });
  $('tl-svg').replaceChildren(root);
  $('tl-svg').scrollLeft = $('tl-svg').scrollWidth;
  const ol = $('tl-list');
  ol.replaceChildren(...steps.map((s) => el('li', { class: s.bad ? 'bad' : '', 'data-step': s.step, 'data-incarnation': s.incarnation || '',
    text: new Date(s.timeMicros / 1000).toISOString().slice(11, 23) + ' ' + LANE_NAMES[s.lane] + ' ' + s.step + ' ' +
      (s.incarnation || '') + ' ' + (s.path || '') + ' ' + (s.detail || '') + (s.bad ? '  ← violation' : '') })));
  const wwn = steps.map((s) => s.deviceId).filter(Boolean).pop();
  if (wwn && !$('tl-wwn').value) $('tl-wwn').placeholder = wwn;
}

// ------------------------------------------------------------------ cluster

const shortAddr = (a) => a.replace(/^[a-z]+:\/\/[^@]*@/, '');

/** The cluster panel: one line on a single node; else members and each clustered LUN's owner and ALUA states. */
function drawCluster() {
  const c = state.cluster;
  const box = $('cluster');
  if (c.single) {
    $('cluster-sum').textContent = '';
    box.replaceChildren(el('p', { id: 'cluster-single', class: 'mono', text: 'single node ' + shortAddr(c.self) + ' · no clustered LUNs' }));
    if (state.tree) drawTimeline();
    return;
  }
  const up = c.members.filter((m) => m.status === 'Up' && m.reachable).length;
  $('cluster-sum').textContent = c.members.length + ' member(s), ' + up + ' up and reachable · ' + c.luns.length + ' clustered LUN(s)';
  const th = (...names) => el('tr', {}, ...names.map((n) => el('th', { scope: 'col', text: n })));
  const members = el('table', { id: 'cluster-members', class: 'ctab', tabindex: '0', 'aria-label': 'members' },
    el('thead', {}, th('member', 'status', 'reachable', 'port group', 'LUNs owned')),
    el('tbody', {}, ...c.members.map((m) => el('tr', { 'data-member': m.address, 'data-status': m.status },
      el('td', { class: 'mono', text: shortAddr(m.address) + (m.self ? ' (this node)' : '') }),
      el('td', { class: m.status === 'Up' ? 'ok' : 'bad', text: m.status }),
      el('td', { class: m.reachable ? 'ok' : 'bad', text: m.reachable ? 'yes' : 'no' }),
      el('td', { class: 'mono', text: String(m.portGroup) }),
      el('td', { class: 'mono', text: m.lunsOwned.join(' ') || '–' })))));
  const nodes = c.members.map((m) => m.address);
  const luns = el('table', { id: 'cluster-luns', class: 'ctab', tabindex: '0', 'aria-label': 'clustered LUNs: owner and ALUA state per node' },
    el('thead', {}, th('LUN', 'path', 'owner', ...nodes.map((n) => 'ALUA on ' + shortAddr(n)))),
    el('tbody', {}, ...c.luns.map((l) => el('tr', { 'data-wwn': l.wwn, 'data-owner': l.owner },
      el('td', { class: 'mono', text: l.wwn }),
      el('td', { class: 'mono', text: l.path }),
      el('td', { class: 'mono' + (l.owner ? '' : ' bad'), text: l.owner ? shortAddr(l.owner) : 'none yet' }),
      ...nodes.map((n) => {
        const st = l.states[n] || '–';
        return el('td', { 'data-node': n, class: st === 'active/optimized' ? 'opt' : st === 'unavailable' || st === 'offline' ? 'bad' : '', text: st });
      })))));
  box.replaceChildren(members, c.luns.length ? luns : el('p', { class: 'muted', text: 'no clustered LUNs' }));
  if (state.tree) drawTimeline();
}

// ------------------------------------------------------------------ live I/O

function addIo(sample) {
  for (const l of sample.luns) {
    let c = state.io.get(l.path);
    if (!inTree(l.path)) { // a probe's queue, or a LUN that left the EDT
      if (c) { c.card.remove(); state.io.delete(l.path); }
      continue;
    }
    if (!c) { c = newCard(l.path); state.io.set(l.path, c); }
    const last = c.last;
    c.last = l;
    if (!last) continue;
    const dt = Math.max(0.2, (sample.timeMillis - c.lastTime) / 1000);
    const iops = ((l.reads - last.reads) + (l.writes - last.writes)) / dt;
    const mbs = ((l.bytesRead - last.bytesRead) + (l.bytesWritten - last.bytesWritten)) / dt / 1048576;
    c.pts.push({ iops, mbs, p50: l.p50Micros, p99: l.p99Micros });
    if (c.pts.length > KEEP_POINTS) c.pts.shift();
    c.card.dataset.iops = String(Math.round(iops));
    c.lblIops.textContent = 'IOPS ' + Math.round(iops);
    c.lblMbs.textContent = mbs.toFixed(2) + ' MiB/s';
    c.lblLat.textContent = 'p50 ' + l.p50Micros.toFixed(0) + ' µs · p99 ' + l.p99Micros.toFixed(0) + ' µs';
    plot(c.cIops, [c.pts.map((p) => p.iops)], ['#0b5cad']);
    plot(c.cMbs, [c.pts.map((p) => p.mbs)], ['#1a7f37']);
    plot(c.cLat, [c.pts.map((p) => p.p50), c.pts.map((p) => p.p99)], ['#9a6700', '#c0162b']);
  }
  for (const c of state.io.values()) c.lastTime = sample.timeMillis;
}

function inTree(path) {
  if (!state.tree) return false;
  return state.tree.devlist.buses.some((b) => b.devices.some((d) => d.path === path && !d.unconfigured));
}

function periphsOf(path) {
  return state.periphs.filter((p) => p.path === path).map((p) => p.name).join(' ');
}

function newCard(path) {
  const mk = () => el('canvas', { width: 300, height: 30 });
  const c = { pts: [], last: null, lastTime: 0, cIops: mk(), cMbs: mk(), cLat: mk(),
    lblIops: el('span'), lblMbs: el('span'), lblLat: el('span') };
  c.card = el('div', { class: 'card', 'data-io': path, 'data-iops': '0' },
    el('h3', { text: path + ' ' + periphsOf(path) }),
    el('div', { class: 'lbl' }, c.lblIops), c.cIops,
    el('div', { class: 'lbl' }, c.lblMbs), c.cMbs,
    el('div', { class: 'lbl' }, c.lblLat), c.cLat);
  const all = [...state.io.keys(), path].sort();
  const before = all[all.indexOf(path) + 1];
  const ref = before && state.io.get(before) ? state.io.get(before).card : null;
  $('io').insertBefore(c.card, ref);
  return c;
}

function plot(canvas, series, colors) {
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#e1e5ea';
  g.strokeRect(0.5, 0.5, w - 1, h - 1);
  const max = Math.max(1e-9, ...series.flat());
  series.forEach((ys, k) => {
    g.beginPath();
    g.strokeStyle = colors[k];
    ys.forEach((y, i) => {
      const x = w - (ys.length - 1 - i) * (w / KEEP_POINTS);
      const yy = h - 2 - (y / max) * (h - 4);
      if (i === 0) g.moveTo(x, yy); else g.lineTo(x, yy);
    });
    g.stroke();
  });
}

// ------------------------------------------------------------------ start

wireActions();
stream();
