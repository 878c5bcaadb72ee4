// Stream overlay (OBS browser source): big BPM in the zone colour, optional sparkline, styled
// by query parameters. Read-only: it opens one WebSocket with an overlay token and nothing else.
//
//   ?token=…            overlay token (required)
//   &size=96            font size in px          &color=%23ffffff   text colour (default white)
//   &zoneColor=1        colour the number by zone (default on; 0 = use `color`)
//   &spark=1            two-minute sparkline      &label=HEART%20RATE  caption above
//   &unit=0             hide "bpm"                &shadow=0          no text shadow
//   &font=Inter         font family               &align=center      left | center | right
//   &hideLost=1         hide everything when the signal is lost
import type { ServerMessage } from '@pulsehub/contracts';
import { LiveConnection } from './lib/live.js';
import { Sparkline } from './lib/sparkline.js';
import { zoneColor } from './lib/zones.js';

const q = new URLSearchParams(location.search);
const flag = (name: string, dflt: boolean) => (q.has(name) ? !['0', 'false', 'no', 'off'].includes(q.get(name)!.toLowerCase()) : dflt);
const root = document.getElementById('overlay')!;
const bpmEl = document.getElementById('bpm')!;
const canvas = document.getElementById('spark') as HTMLCanvasElement;
const style = root.style;

const size = Number(q.get('size'));
if (size >= 12 && size <= 600) style.setProperty('--size', `${size}px`);
const color = q.get('color');
if (color && CSS.supports('color', color)) style.setProperty('--color', color);
const font = q.get('font');
if (font && /^[\w\s,"'-]{1,80}$/.test(font)) style.setProperty('--font', font);
const align = { left: 'flex-start', center: 'center', right: 'flex-end' }[q.get('align') ?? 'left'];
if (align) style.setProperty('--align', align);
if (flag('shadow', true)) root.classList.add('shadow');
if (!flag('unit', true)) document.getElementById('unit')!.hidden = true;
const label = q.get('label');
if (label) {
  const l = document.getElementById('label')!;
  l.textContent = label.slice(0, 60);
  l.hidden = false;
}
const useZone = flag('zoneColor', true);
const hideLost = flag('hideLost', false);
const spark = flag('spark', false) ? new Sparkline(canvas) : null;
canvas.hidden = !spark;

let zone: number | null = null;
let state = 'lost';
let athlete: string | null = null;

function paint(): void {
  root.dataset.state = state;
  root.hidden = hideLost && state === 'lost';
  const c = useZone && zone !== null ? zoneColor(zone) : (color ?? '#ffffff');
  bpmEl.style.color = c;
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
  } else if (m.type === 'state') {
    state = m.state;
    paint();
  } else if (m.type === 'revoked') {
    bpmEl.textContent = '--';
    state = 'lost';
    paint();
  }
}

const token = q.get('token');
const live = new LiveConnection(token ?? '', { onMessage, onAuthFailed: () => { bpmEl.textContent = '--'; state = 'lost'; paint(); } });
if (token) live.start();
else document.getElementById('setup')!.hidden = false;
setInterval(() => spark?.draw(useZone && zone !== null ? zoneColor(zone) : (color ?? '#ffffff')), 1000);
paint();
