'use strict';
// The dashboard page. Everything shown is built with text nodes (textContent), never innerHTML:
// message text is user input and is displayed, never interpreted. The session key from the login
// exchange lives in sessionStorage (this origin only) and goes with every request in a header.
(function () {
  const KEY_STORAGE = 'gatehouse-dashboard-key';
  const REFRESH_MS = 5_000;
  const REQUEST_TIMEOUT_MS = 8_000;
  const state = { key: sessionStorage.getItem(KEY_STORAGE), selected: null, stopped: false, down: false };
  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }

  function banner(text, bad) {
    const b = $('banner');
    b.hidden = text === null;
    b.className = bad ? 'banner bad' : 'banner';
    b.textContent = text || '';
  }

  async function api(path, method = 'GET') {
    const res = await fetch(path, {
      method, credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: { 'x-gatehouse-session': state.key || '' },
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const error = new Error((body && body.error && body.error.message) || `HTTP ${res.status}`);
      error.status = res.status;
      error.code = body && body.error && body.error.code;
      error.body = body;
      throw error;
    }
    return body;
  }

  /** The login code is in the fragment: exchange it once, then take it out of the address bar. */
  async function login() {
    const match = /(?:^#|&)login=([A-Za-z0-9_-]+)/.exec(location.hash);
    if (match === null) return;
    history.replaceState(null, '', location.pathname);
    const res = await fetch('/dashboard/api/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: match[1] }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      state.stopped = true; // keep the reason on screen: a new link is the only way on
      setBadge('not logged in', null);
      banner((body && body.error && body.error.message) || `login failed (HTTP ${res.status})`, true);
      return;
    }
    state.key = body.sessionKey;
    sessionStorage.setItem(KEY_STORAGE, state.key);
  }

  function setBadge(text, ok) {
    const b = $('state');
    b.textContent = text;
    b.className = ok === null ? 'badge' : ok ? 'badge ok' : 'badge bad';
  }

  function renderGateway(o) {
    const s = o.status || {};
    const g = o.gateway;
    setBadge(s.state || (g.accepting ? 'running' : 'draining'), s.running !== false && g.accepting);
    const rows = [
      ['profile', s.profile], ['monitor', `pid ${g.pid} (${g.instance})`], ['worker', `pid ${g.workerPid}, up since ${g.workerStartedAt}`],
      ['api', s.api && s.api.url], ['service', s.service && (s.service.kind || 'none installed')], ['restarts', s.restarts],
      ['in flight', g.inFlight], ['messages', Object.entries(g.messages).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'],
    ];
    if (s.reason) rows.push(['reason', s.reason]);
    $('gateway').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v === undefined || v === null ? '-' : String(v))]));
    const probes = (s.probes || []).map((p) => el('tr', { 'data-probe': p.id },
      el('td', { class: `mark ${p.ok ? 'pass' : 'fail'}` }, p.ok ? 'PASS' : 'FAIL'),
      el('td', { class: 'id' }, p.id),
      el('td', {}, el('pre', {}, p.detail), p.ok || !p.hint ? null : el('div', { class: 'hint' }, `-> ${p.hint}`))));
    if (o.statusError) probes.unshift(el('tr', {}, el('td', { class: 'mark fail' }, 'FAIL'), el('td', {}, 'status'), el('td', {}, o.statusError)));
    $('probes').tBodies[0].replaceChildren(...probes);
  }

  function renderSessions(list) {
    if (state.selected === null && list.sessions.length > 0) state.selected = list.sessions[0].id;
    $('sessions').replaceChildren(...list.sessions.map((s) => {
      const item = el('li', { class: s.id === state.selected ? 'selected' : '', 'data-session': s.id },
        el('strong', {}, s.id), ' ', el('span', { class: 'meta' }, `${s.messages} messages${s.open ? `, ${s.open} open` : ''}${s.failed ? `, ${s.failed} failed` : ''}, last ${s.lastAt}`));
      item.addEventListener('click', () => { state.selected = s.id; void refresh(); });
      return item;
    }));
  }

  function renderMessages(session) {
    $('messages-session').textContent = session ? session.id : '';
    $('messages').replaceChildren(...(session ? session.messages : []).map((m) => el('li', { class: `${m.role} ${m.status}`, 'data-message': m.id },
      el('div', { class: 'meta' }, `${m.role} · ${m.status} · ${m.at}`),
      el('pre', { class: 'text' }, m.text),
      m.error ? el('div', { class: 'hint' }, m.error) : null)));
  }

  async function act(channel, seq, action, button) {
    button.disabled = true;
    try {
      await api(`/dashboard/api/dead-letters/${encodeURIComponent(channel)}/${seq}/${action}`, 'POST');
      banner(null);
    } catch (error) {
      banner(`${action} failed: ${error.message}`, true);
    }
    await refresh();
  }

  function partRow(q, p, dead) {
    const actions = dead ? el('div', { class: 'actions' },
      el('button', { class: 'primary', type: 'button', 'data-action': 'retry', 'data-seq': String(p.seq), onclick: (e) => act(q.channel, p.seq, 'retry', e.target) }, 'Retry'),
      el('button', { type: 'button', 'data-action': 'discard', 'data-seq': String(p.seq), onclick: (e) => act(q.channel, p.seq, 'discard', e.target) }, 'Discard')) : el('span', { class: 'meta' }, p.status);
    return el('div', { class: 'part', 'data-part': String(p.seq) },
      el('div', {}, el('div', { class: 'meta' }, `#${p.seq} chat ${p.chatId} · part ${p.part} · ${p.status} · ${p.attempts} attempt(s) · ${p.updatedAt}`),
        el('pre', { class: 'text' }, p.text), p.error ? el('div', { class: 'hint' }, p.error) : null),
      actions);
  }

  function renderQueues(data) {
    if (data.channels.length === 0) {
      $('queues').replaceChildren(el('p', { class: 'dim' }, 'No chat channel is configured.'));
      return;
    }
    $('queues').replaceChildren(...data.channels.map((q) => el('div', { class: 'queue', 'data-channel': q.channel },
      el('h3', {}, `${q.channel}${q.username ? ` @${q.username}` : ''} · ${q.state}`),
      el('div', { class: 'meta' }, `${q.queued.length} waiting to be delivered · ${q.dead.length} dead letter(s)`),
      ...q.queued.map((p) => partRow(q, p, false)),
      ...q.dead.map((p) => partRow(q, p, true)))));
  }

  function renderTimeline(data) {
    $('timeline').replaceChildren(...data.events.map((e) => {
      const fields = Object.entries(e.fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      const bad = e.event === 'worker_exit' && e.fields.planned !== true || /failed|unclean|escalate|breaker|wedged/.test(e.event);
      return el('li', { class: bad ? 'bad' : '' }, `${e.ts}  ${e.event}  pid ${e.pid}  ${fields}`);
    }));
  }

  function renderCharts(data) {
    const starts = data.buckets.map((b) => b.start);
    const box = $('charts');
    box.replaceChildren();
    const C = window.GatehouseCharts;
    C.bars(box, 'chart-restarts', 'Restarts', starts, [
      { label: 'worker crashes', color: '#b3261e', values: data.buckets.map((b) => b.restarts.crash) },
      { label: 'worker replaced', color: '#8a5a00', values: data.buckets.map((b) => b.restarts.replaced) },
      { label: 'gateway starts', color: '#2b5fb3', values: data.buckets.map((b) => b.restarts.monitor) },
    ]);
    C.bars(box, 'chart-messages', `Messages per ${data.bucketMs / 60000} min`, starts, [
      { label: 'answered', color: '#1f7a3a', values: data.buckets.map((b) => b.received - b.failed) },
      { label: 'failed', color: '#b3261e', values: data.buckets.map((b) => b.failed) },
    ]);
    C.lines(box, 'chart-latency', 'Reply latency (message stored -> reply stored)', starts, [
      { label: 'average', color: '#2b5fb3', values: data.buckets.map((b) => b.latencyAvgMs) },
      { label: 'slowest', color: '#8a5a00', values: data.buckets.map((b) => b.latencyMaxMs) },
    ], ' ms');
    if (data.buckets.some((b) => b.delivered > 0)) {
      C.lines(box, 'chart-delivery', 'Delivery latency (outbox -> chat confirmed it)', starts, [
        { label: 'average', color: '#1f7a3a', values: data.buckets.map((b) => b.deliveryAvgMs) },
        { label: 'slowest', color: '#b3261e', values: data.buckets.map((b) => b.deliveryMaxMs) },
      ], ' ms');
    }
  }

  /** What the page shows when the gateway answers without a worker (or not at all). */
  function workerDown(error) {
    document.body.classList.add('stale');
    state.down = true;
    const monitor = error.body && error.body.monitor;
    const extra = monitor ? ` Restarts so far: ${monitor.restarts}, crashes: ${monitor.crashes}.` : '';
    setBadge(error.code === 'crash_loop' ? 'worker down' : 'unreachable', false);
    banner(`The worker is down: ${error.message}.${extra} Showing the last data; retrying every ${REFRESH_MS / 1000} s.`, true);
  }

  async function refresh() {
    if (state.stopped) return;
    try {
      const [o, list, queues, timeline, charts] = await Promise.all(['overview', 'sessions', 'queues', 'timeline', 'charts'].map((p) => api(`/dashboard/api/${p}`)));
      renderGateway(o);
      renderSessions(list);
      renderQueues(queues);
      renderTimeline(timeline);
      renderCharts(charts);
      renderMessages(state.selected === null ? null : await api(`/dashboard/api/sessions/${encodeURIComponent(state.selected)}`).catch(() => null));
      document.body.classList.remove('stale');
      if (state.down) banner(null);
      state.down = false;
      $('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (error.status === 401) {
        state.stopped = true;
        setBadge('logged out', null);
        banner('Not logged in (or the session ended): run `gatehouse dashboard` for a new link.', true);
        return;
      }
      workerDown(error);
    }
  }

  async function logout() {
    await api('/dashboard/api/logout', 'POST').catch(() => null);
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = null;
    state.stopped = true;
    setBadge('logged out', null);
    banner('Logged out.', false);
  }

  async function main() {
    $('logout').addEventListener('click', () => { void logout(); });
    await login();
    await refresh();
    // A hidden tab does not refresh (each overview runs status --deep in the gateway); it catches up when shown.
    setInterval(() => { if (!document.hidden) void refresh(); }, REFRESH_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) void refresh(); });
  }

  void main();
})();
