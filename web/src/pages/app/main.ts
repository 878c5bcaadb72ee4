import type { IntervalTimer, PulseHubReading } from '@pulsehub/contracts';
import { zoneOf } from '@pulsehub/physiology';
import { DEFAULT_ZONE_FLOORS, ZONE_NAMES, formatDuration, zoneColor } from '../lib/zones.js';
import { timerPhase } from '../lib/interval.js';
import { forgetIdentity, readIdentity } from './identity.js';
import { Outbox } from './outbox.js';
import { HubLink, type LinkState } from './link.js';
import { eventId } from './ids.js';
import { Strap } from './strap.js';
import { Motion } from './motion.js';
import { Breather, PATTERNS } from './practice.js';
import { Stopwatch } from './timers.js';
import { showClassTimers } from './class-timer.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch((err: unknown) => console.warn('service worker not registered', err));
}

const identity = readIdentity();
const outbox = await Outbox.open();
const LINK_TEXT: Record<LinkState, string> = { connecting: 'connecting…', online: 'connected', offline: 'offline — readings wait on this phone', refused: 'refused: this phone was signed out or revoked' };

const showWaiting = (n: number) => {
  $('waiting').textContent = String(n);
  $('queue-line').dataset.waiting = String(n);
};
outbox.onChange(showWaiting);
showWaiting(await outbox.count());

/** Queues a reading (its id fixed now) for the hub; the link sends it when it can. */
async function save(r: Omit<PulseHubReading, 'id'>, kind: string): Promise<void> {
  if (!identity) return;
  await outbox.add({ id: eventId(identity.device, kind), ...r });
}

let link: HubLink | null = null;
if (!identity) {
  $('signed-out').hidden = false;
  status.textContent = 'not signed in';
} else {
  status.textContent = identity.user;
  link = new HubLink(identity, outbox, (s) => {
    $('link').textContent = LINK_TEXT[s];
    document.body.dataset.link = s;
  });
  link.start();
  showClassTimers(identity, $('class-timer'));
}

// ---- heart rate from a strap ---------------------------------------------------------------
const maxHr = identity?.maxHr ?? 185;
const strap = new Strap(
  (r, at) => {
    if (r.sensorContact === 'not_detected' || r.bpm === 0) return; // the strap is off the chest
    const zone = zoneOf(r.bpm, maxHr, DEFAULT_ZONE_FLOORS);
    $('hr-bpm').textContent = String(r.bpm);
    $('hr-zone').textContent = zone === 0 ? ZONE_NAMES[0] : `Zone ${zone} · ${ZONE_NAMES[zone] ?? ''}`;
    $('hr-zone').style.background = zoneColor(zone);
    $('hr-now').dataset.zone = String(zone);
    const reading: Omit<PulseHubReading, 'id'> = { metric: 'heart_rate', at: at.toISOString(), values: { bpm: r.bpm } };
    if (r.rrMs.length > 0) reading.rr = r.rrMs.map((v) => Math.round(v * 1000) / 1000);
    void save(reading, 'hr');
  },
  (s, detail) => {
    const text = { unsupported: 'no Web Bluetooth', idle: 'no strap', connecting: 'connecting…', connected: 'connected', reconnecting: 'reconnecting…' }[s];
    $('strap-state').textContent = text;
    $('strap-state').dataset.state = s;
    if (s === 'unsupported') $('strap-note').textContent = 'This browser has no Web Bluetooth (Chrome on Android has it; iPhone browsers do not).';
    else if (detail) $('strap-note').textContent = s === 'connected' ? `Strap: ${detail}` : detail;
  },
);
$<HTMLButtonElement>('strap-connect').disabled = strap.state === 'unsupported';
$('strap-connect').addEventListener('click', () => {
  strap.pick().catch((err: unknown) => ($('strap-note').textContent = (err as Error).message));
});
if (strap.state === 'unsupported') $('strap-state').textContent = 'no Web Bluetooth';

// ---- steps ---------------------------------------------------------------------------------
const motion = new Motion(
  (total) => ($('steps').textContent = String(total)),
  (start, end, count) => void save({ metric: 'steps', start: start.toISOString(), end: end.toISOString(), values: { count } }, 'steps'),
);
void motion.start().then((source) => {
  $('motion-state').textContent = source === 'none' ? 'no motion sensor' : source === 'accelerometer' ? 'accelerometer' : 'device motion';
  $('motion-state').dataset.source = source;
  if (source === 'none') $('motion-note').textContent = 'This browser gives this page no motion sensor, so no steps are counted here (no numbers are made up).';
});
$('steps-save').addEventListener('click', () => motion.flush());
addEventListener('pagehide', () => motion.flush());

// ---- breathing, meditation, check-in ---------------------------------------------------------
function moodButtons(field: HTMLElement): () => number | undefined {
  let chosen: number | undefined;
  const faces = ['1 😞', '2 🙁', '3 😐', '4 🙂', '5 😄'];
  faces.forEach((f, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = f;
    b.dataset.mood = String(i + 1);
    b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => {
      chosen = chosen === i + 1 ? undefined : i + 1;
      for (const o of field.querySelectorAll('button')) o.setAttribute('aria-pressed', String(o === b && chosen !== undefined));
    });
    field.append(b);
  });
  return () => chosen;
}
const moodBefore = moodButtons($('mood-before'));
const moodAfter = moodButtons($('mood-after'));
const breather = new Breather($('circle'), $('breath-label'));
let run: { start: number; kind: 0 | 1; planned: number; timer: ReturnType<typeof setInterval>; end?: number } | null = null;

function finishRun(): void {
  if (!run) return;
  clearInterval(run.timer);
  breather.stop();
  run.end = Date.now();
  $('mind-run').hidden = true;
  $('mind-done').hidden = false;
}

$('mind-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const mode = $<HTMLSelectElement>('mind-mode').value;
  const minutes = Math.max(1, Math.min(120, Number($<HTMLInputElement>('mind-minutes').value) || 5));
  const pattern = PATTERNS[mode];
  run = { start: Date.now(), kind: pattern ? 0 : 1, planned: minutes * 60, timer: setInterval(() => {
    if (!run) return;
    const left = run.planned - (Date.now() - run.start) / 1000;
    $('mind-left').textContent = formatDuration(Math.max(0, left));
    if (left <= 0) finishRun();
  }, 250) };
  if (pattern) breather.start(pattern.phases);
  else $('breath-label').textContent = 'Sit still and breathe';
  $('mind-form').hidden = true;
  $('mind-run').hidden = false;
  $('mind-left').textContent = formatDuration(minutes * 60);
});
$('mind-finish').addEventListener('click', finishRun);
$('mind-save').addEventListener('click', () => {
  if (!run?.end) return;
  const values: Record<string, number> = { duration: Math.round(((run.end - run.start) / 60_000) * 1000) / 1000, kind: run.kind };
  const before = moodBefore();
  const after = moodAfter();
  if (before !== undefined) values.mood_before = before;
  if (after !== undefined) values.mood_after = after;
  void save({ metric: 'mindfulness', start: new Date(run.start).toISOString(), end: new Date(run.end).toISOString(), values }, 'mind');
  run = null;
  $('mind-done').hidden = true;
  $('mind-form').hidden = false;
  $('mind-note').textContent = 'Session saved.';
});
$('checkin').addEventListener('click', () => {
  const mood = moodBefore();
  if (mood === undefined) {
    $('mind-note').textContent = 'Pick how you feel first.';
    return;
  }
  const now = new Date().toISOString();
  void save({ metric: 'mindfulness', start: now, end: now, values: { duration: 0, kind: 2, mood_before: mood } }, 'mind');
  $('mind-note').textContent = 'Check-in saved.';
});

// ---- stopwatch and interval timer ----------------------------------------------------------
const sw = new Stopwatch();
let swTick: ReturnType<typeof setInterval> | null = null;
const showSw = () => ($('sw-time').textContent = `${formatDuration(Math.floor(sw.elapsed()))}.${Math.floor((sw.elapsed() % 1) * 10)}`);
$('sw-start').addEventListener('click', () => {
  sw.start();
  $('laps').replaceChildren();
  swTick = setInterval(showSw, 100);
  $<HTMLButtonElement>('sw-start').disabled = true;
  $<HTMLButtonElement>('sw-lap').disabled = $<HTMLButtonElement>('sw-stop').disabled = false;
});
$('sw-lap').addEventListener('click', () => {
  const s = sw.lap();
  const li = document.createElement('li');
  li.textContent = `${s.toFixed(2)} s`;
  $('laps').append(li);
});
$('sw-stop').addEventListener('click', () => {
  const r = sw.stop();
  if (swTick) clearInterval(swTick);
  $<HTMLButtonElement>('sw-start').disabled = false;
  $<HTMLButtonElement>('sw-lap').disabled = $<HTMLButtonElement>('sw-stop').disabled = true;
  if (!r) return;
  showSw();
  void save({ metric: 'timer_session', start: r.start.toISOString(), end: r.end.toISOString(), values: { duration: Math.round(r.seconds * 100) / 100, laps: r.laps.length, mode: 0 }, series: { laps: r.laps } }, 'timer');
});

let interval: { timer: IntervalTimer; tick: ReturnType<typeof setInterval> } | null = null;
function stopInterval(): void {
  if (!interval) return;
  clearInterval(interval.tick);
  const start = Date.parse(interval.timer.startedAt);
  const end = Date.now();
  const { workSec, restSec } = interval.timer;
  const elapsed = (end - start) / 1000;
  const laps: number[] = [];
  for (let t = 0; t < elapsed; t += workSec + restSec) laps.push(Math.round(Math.min(workSec + restSec, elapsed - t) * 100) / 100);
  void save({ metric: 'timer_session', start: new Date(start).toISOString(), end: new Date(end).toISOString(), values: { duration: Math.round(elapsed * 100) / 100, laps: laps.length, mode: 1 }, series: { laps } }, 'timer');
  interval = null;
  $<HTMLButtonElement>('iv-start').disabled = false;
  $<HTMLButtonElement>('iv-stop').disabled = true;
  $('iv-state').textContent = 'Saved.';
}
$('iv-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.target as HTMLFormElement);
  const timer: IntervalTimer = { workSec: Number(f.get('work')) || 30, restSec: Number(f.get('rest')) || 0, rounds: Number(f.get('rounds')) || 1, startedAt: new Date().toISOString(), stoppedAt: null };
  interval = { timer, tick: setInterval(() => {
    if (!interval) return;
    const p = timerPhase(interval.timer, Date.now());
    $('iv-state').textContent = p.phase === 'done' ? 'Done' : `Round ${p.round}/${p.rounds} · ${p.phase === 'work' ? 'WORK' : 'rest'} ${p.secondsLeft}s`;
    if (p.phase === 'done') stopInterval();
  }, 250) };
  $<HTMLButtonElement>('iv-start').disabled = true;
  $<HTMLButtonElement>('iv-stop').disabled = false;
});
$('iv-stop').addEventListener('click', stopInterval);

$('sign-out').addEventListener('click', () => {
  forgetIdentity();
  location.reload();
});
