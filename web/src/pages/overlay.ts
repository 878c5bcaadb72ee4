// Stream overlay (OBS browser source): big BPM in the zone colour, optional sparkline, styled
// by query parameters (lib/overlay-options.ts; the athlete page's designer writes them).
// Read-only: it opens one WebSocket with an overlay token and nothing else.
//
//   ?token=…            overlay token (required)
//   &style=heart        heart | minimal (number alone) | card (number + sparkline on a card)
//   &size=96            font size in px          &color=%23ffffff   text colour (default white)
//   &zoneColor=1        colour the number by zone (default on; 0 = use `color`)
//   &spark=1            two-minute sparkline      &label=HEART%20RATE  caption above
//   &unit=0             hide "bpm"                &shadow=0          no outline and shadow
//   &font=Inter         font family               &align=center      left | center | right
//   &hideLost=1         fade out when the signal is lost, back in with the next reading
import type { ServerMessage } from '@pulsehub/contracts';
import { HeartPulse } from './lib/heartbeat.js';
import { LiveConnection } from './lib/live.js';
import { outlineFor, parseOverlayOptions } from './lib/overlay-options.js';
import { Sparkline } from './lib/sparkline.js';
import { zoneColor } from './lib/zones.js';

const q = new URLSearchParams(location.search);
const opts = parseOverlayOptions(q);
const root = document.getElementById('overlay')!;
const bpmEl = document.getElementById('bpm')!;
const canvas = document.getElementById('spark') as HTMLCanvasElement;
const style = root.style;
// With RR intervals the heart beats on each real beat (lib/heartbeat.ts), else at the BPM pace.
const heart = new HeartPulse(document.querySelector<SVGElement>('.heart')!);

root.dataset.style = opts.style;
style.setProperty('--size', `${opts.size}px`);
style.setProperty('--color', opts.color);
if (opts.font) style.setProperty('--font', opts.font);
style.setProperty('--align', { left: 'flex-start', center: 'center', right: 'flex-end' }[opts.align]);
if (opts.shadow) root.classList.add('shadow');
document.getElementById('unit')!.hidden = !opts.unit;
if (opts.label) {
  const l = document.getElementById('label')!;
  l.textContent = opts.label;
  l.hidden = false;
}
const color = opts.color;
const useZone = opts.zoneColor;
const hideLost = opts.hideLost;
const spark = opts.spark ? new Sparkline(canvas) : null;
canvas.hidden = !spark;

let zone: number | null = null;
let state = 'lost';
let athlete: string | null = null;

function paint(): void {
  root.dataset.state = state;
  root.classList.toggle('faded', hideLost && state === 'lost');
  const c = useZone && zone !== null ? zoneColor(zone) : color;
  bpmEl.style.color = c;
  style.setProperty('--outline', outlineFor(c));
  style.setProperty('--heart', useZone && zone !== null ? zoneColor(zone) : '#f4525a');
  spark?.draw(c);
}

function setBpm(bpm: number, z: number | undefined, at: number): void {
  bpmEl.textContent = String(Math.round(bpm));
  if (z !== undefined) zone = z;
  style.setProperty('--beat', `${Math.min(2, Math.max(0.25, 60 / bpm))}s`);
  spark?.push(at, bpm);
  paint();
}

function onMessage(m: ServerMessage): void {
  if (m.type === 'ready') {
    athlete = m.athletes[0] ?? null;
    if (athlete) live.subscribe([athlete]);
  } else if (m.type === 'snapshot') {
    state = m.state ?? 'lost';
    const hr = m.events.find((e) => e.metric === 'heart_rate');
    const bpm = hr?.values.bpm?.value;
    if (hr && bpm !== undefined) setBpm(bpm, m.hr?.zone, Date.parse('at' in hr.time ? hr.time.at : hr.time.end));
    paint();
  } else if (m.type === 'event' && m.event.metric === 'heart_rate') {
    const bpm = m.event.values.bpm?.value;
    state = 'live';
    if (bpm !== undefined) setBpm(bpm, m.hr?.zone, Date.now());
    heart.onReading(m.event.series?.rr?.values);
  } else if (m.type === 'state') {
    state = m.state;
    paint();
  } else if (m.type === 'revoked') {
    heart.stop();
    bpmEl.textContent = '--';
    state = 'lost';
    paint();
  }
}

const token = q.get('token');
const live = new LiveConnection(token ?? '', { onMessage, onAuthFailed: () => { bpmEl.textContent = '--'; state = 'lost'; paint(); } });
if (token) live.start();
else document.getElementById('setup')!.hidden = false;
setInterval(() => spark?.draw(useZone && zone !== null ? zoneColor(zone) : color), 1000);
paint();
