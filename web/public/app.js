// PulseHub live board: one tile per athlete, fed by the /live WebSocket protocol (see README).
const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
let token = params.get('token') || sessionStorage.getItem('pulsehub.token');
const athletes = new Map(); // id -> { name, bpm, stepsToday, lastAt, el, stepIds }
let silenceMs = 10000;
let ws;

function setStatus(text) { $('#status').textContent = text; }

function tileFor(id) {
  let a = athletes.get(id);
  if (a) return a;
  const el = document.createElement('article');
  el.className = 'tile lost';
  el.dataset.athlete = id;
  el.setAttribute('aria-label', `Athlete ${id}`);
  el.innerHTML = `<h2 class="name"></h2>
    <div class="bpm" aria-label="heart rate"><span class="value">--</span><small>bpm</small></div>
    <div class="facts"><span class="steps" aria-label="steps today">0 steps</span><span class="ago" aria-label="time since last reading">no data</span></div>
    <div class="signal" hidden>no signal</div>`;
  $('#tiles').append(el);
  a = { name: id, bpm: null, stepsToday: 0, lastAt: 0, el, stepIds: new Set() };
  athletes.set(id, a);
  $('#empty').hidden = true;
  render(a);
  return a;
}

function render(a) {
  a.el.querySelector('.name').textContent = a.name;
  a.el.querySelector('.value').textContent = a.bpm ?? '--';
  a.el.querySelector('.steps').textContent = `${Math.round(a.stepsToday).toLocaleString()} steps`;
  renderAge(a);
}

function renderAge(a) {
  const ago = a.lastAt ? Math.max(0, Math.round((Date.now() - a.lastAt) / 1000)) : null;
  a.el.querySelector('.ago').textContent = ago === null ? 'no data' : ago < 60 ? `${ago}s ago` : `${Math.round(ago / 60)} min ago`;
  const lost = !a.lastAt || Date.now() - a.lastAt > silenceMs;
  a.el.classList.toggle('lost', lost);
  a.el.querySelector('.signal').hidden = !lost;
  a.el.dataset.state = lost ? 'lost' : 'live';
}

function apply(a, event, live) {
  const t = Date.parse(event.time.at ?? event.time.end);
  if (event.metric === 'heart_rate') {
    if (t >= (a.hrAt ?? 0)) { a.bpm = Math.round(event.values.bpm.value); a.hrAt = t; }
  } else if (event.metric === 'steps' && live && !a.stepIds.has(event.id)) {
    a.stepIds.add(event.id);
    a.stepsToday += event.values.count.value;
  }
  // "time since last reading" counts from when the hub received it, so device clock skew does not fake silence.
  a.lastAt = Math.max(a.lastAt, Math.min(Date.now(), Date.parse(event.source.receivedAt)));
  render(a);
}

async function loadAthletes() {
  const res = await fetch('/api/athletes', { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`athletes: HTTP ${res.status}`);
  return (await res.json()).athletes;
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${proto}://${location.host}/live`);
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    switch (msg.type) {
      case 'ready': {
        silenceMs = msg.silenceMs;
        setStatus(`live as ${msg.subject} (${msg.kind})`);
        await refreshAthletes();
        break;
      }
      case 'snapshot': {
        const a = tileFor(msg.athlete);
        a.name = msg.name;
        a.stepsToday = msg.stepsToday;
        for (const e of msg.events) apply(a, e, false);
        render(a);
        break;
      }
      case 'event': apply(tileFor(msg.event.userId), msg.event, true); break;
      case 'revoked': { const a = athletes.get(msg.athlete); a?.el.remove(); athletes.delete(msg.athlete); break; }
      case 'error': setStatus(`error: ${msg.code}`); break;
    }
  };
  ws.onclose = (e) => {
    if (e.code === 4401) { setStatus('token refused — enter another'); sessionStorage.removeItem('pulsehub.token'); showLogin(); return; }
    setStatus('disconnected — reconnecting…');
    setTimeout(connect, 1000);
  };
}

async function refreshAthletes() {
  try {
    const list = await loadAthletes();
    const fresh = list.filter((a) => !athletes.has(a.id)).map((a) => a.id);
    if (list.length === 0 && athletes.size === 0) $('#empty').hidden = false;
    if (fresh.length > 0 && ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'subscribe', athletes: fresh }));
  } catch (err) { setStatus(String(err.message || err)); }
}

function showLogin() {
  const form = $('#login');
  form.hidden = false;
  form.onsubmit = (e) => { e.preventDefault(); token = $('#token').value.trim(); sessionStorage.setItem('pulsehub.token', token); form.hidden = true; connect(); };
}

setInterval(() => { for (const a of athletes.values()) renderAge(a); }, 1000);
setInterval(refreshAthletes, 10000);
if (token) { sessionStorage.setItem('pulsehub.token', token); connect(); } else { setStatus('sign in'); showLogin(); }
