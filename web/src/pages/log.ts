// "Log" forms and the goals view of the athlete page. Entries go to POST /api/users/:id/manual
// (the ingest pipeline's manual adapter); goals come from /api/users/:id/goals and move live
// with `goal` / `goal-reached` frames. Both cards are hidden for tokens that may not use them.
import type { GoalJson, GoalPeriod, GoalProgressResponse, GoalsResponse, ManualEntriesResponse, ManualEntryResponse, ServerMessage } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';

export interface LogOptions {
  token(): string | null;
  athlete(): string | null;
}

type Kind = 'food' | 'sleep' | 'mindfulness' | 'blood_pressure' | 'body_weight';
const LABELS: Record<Kind, string> = { food: 'Food', sleep: 'Sleep', mindfulness: 'Mindfulness', blood_pressure: 'Blood pressure', body_weight: 'Weight' };

const num = (name: string, label: string, attrs: string) => `<label>${label}<input name="${name}" type="number" inputmode="decimal" ${attrs}></label>`;
const when = (name: string, label: string) => `<label>${label}<input name="${name}" type="datetime-local" required></label>`;
const FIELDS: Record<Kind, string> = {
  food: `${when('at', 'When')}<label>Meal<select name="meal"><option>breakfast</option><option>lunch</option><option>dinner</option><option>snack</option></select></label>
    <label class="wide">What<input name="description" maxlength="500" placeholder="e.g. porridge with honey"></label>
    ${num('energy', 'Energy (kcal)', 'min="0" max="10000"')}${num('protein', 'Protein (g)', 'min="0" max="1000"')}${num('carbs', 'Carbs (g)', 'min="0" max="2000"')}${num('fat', 'Fat (g)', 'min="0" max="1000"')}${num('water', 'Water (mL)', 'min="0" max="10000"')}`,
  sleep: `${when('start', 'Went to bed')}${when('end', 'Got up')}${num('quality', 'Quality (1–10)', 'min="1" max="10" step="1"')}
    ${num('awake', 'Awake (min)', 'min="0" max="1440"')}${num('light', 'Light (min)', 'min="0" max="1440"')}${num('deep', 'Deep (min)', 'min="0" max="1440"')}${num('rem', 'REM (min)', 'min="0" max="1440"')}`,
  mindfulness: `${when('start', 'Started')}${num('duration', 'Minutes', 'min="1" max="1440" required')}
    <label>Kind<select name="kind"><option value="0">breathing</option><option value="1">meditation</option><option value="2">check-in</option></select></label>
    ${num('mood_before', 'Mood before (1–5)', 'min="1" max="5" step="1"')}${num('mood_after', 'Mood after (1–5)', 'min="1" max="5" step="1"')}`,
  blood_pressure: `${when('at', 'When')}${num('systolic', 'Systolic (mmHg)', 'min="40" max="300" required')}${num('diastolic', 'Diastolic (mmHg)', 'min="20" max="200" required')}${num('pulse', 'Pulse (/min)', 'min="20" max="260"')}`,
  body_weight: `${when('at', 'When')}${num('kg', 'Weight (kg)', 'min="0.5" max="650" step="0.1" required')}`,
};

const iso = (local: string) => new Date(local).toISOString();
const localNow = () => {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
};

/** The entry a filled form describes (pulsehub.v1 reading fields), or a message saying what is missing. */
export function entryOf(kind: Kind, f: FormData, id: string): Record<string, unknown> | string {
  const n = (k: string) => (f.get(k) === '' || f.get(k) === null ? undefined : Number(f.get(k)));
  const values: Record<string, number> = {};
  const put = (k: string, v: number | undefined) => { if (v !== undefined && Number.isFinite(v)) values[k] = v; };
  const base = { id, metric: kind };
  switch (kind) {
    case 'food': {
      for (const k of ['energy', 'protein', 'carbs', 'fat', 'water']) put(k, n(k));
      if (Object.keys(values).length === 0) return 'give at least one of energy, protein, carbs, fat or water';
      const description = String(f.get('description') ?? '').trim();
      return { ...base, at: iso(String(f.get('at'))), values, notes: { meal: String(f.get('meal')), ...(description ? { description } : {}) } };
    }
    case 'sleep': {
      const start = iso(String(f.get('start')));
      const end = iso(String(f.get('end')));
      const inBed = (Date.parse(end) - Date.parse(start)) / 60_000;
      if (!(inBed > 0)) return 'getting up must come after going to bed';
      for (const k of ['awake', 'light', 'deep', 'rem', 'quality']) put(k, n(k));
      values.asleep = Math.round(inBed - (values.awake ?? 0));
      values.efficiency = Math.round((values.asleep / inBed) * 100);
      return { ...base, start, end, values };
    }
    case 'mindfulness': {
      const start = iso(String(f.get('start')));
      const minutes = n('duration') ?? 0;
      for (const k of ['duration', 'kind', 'mood_before', 'mood_after']) put(k, n(k));
      return { ...base, start, end: new Date(Date.parse(start) + minutes * 60_000).toISOString(), values };
    }
    case 'blood_pressure':
      for (const k of ['systolic', 'diastolic', 'pulse']) put(k, n(k));
      return { ...base, at: iso(String(f.get('at'))), values };
    case 'body_weight':
      put('kg', n('kg'));
      return { ...base, at: iso(String(f.get('at'))), values };
  }
}

export function mountLogCard(o: LogOptions): void {
  const card = document.createElement('section');
  card.className = 'card log-card';
  card.id = 'log-card';
  card.hidden = true;
  card.setAttribute('aria-labelledby', 'log-h');
  card.innerHTML = `<h2 id="log-h">Log</h2>
    <div class="log-kinds" role="group" aria-label="what to log">${(Object.keys(LABELS) as Kind[]).map((k) => `<button type="button" class="secondary" data-kind="${k}" aria-pressed="false">${LABELS[k]}</button>`).join('')}</div>
    <form id="log-form" class="log-form" aria-label="log entry"><div class="log-fields"></div><div class="log-actions"><button type="submit">Save</button><span id="log-status" role="status"></span></div></form>
    <h3 class="log-recent-h">Recent entries</h3><ul id="log-recent" class="log-recent"></ul>`;
  (document.querySelector('main') ?? document.body).append(card);
  const form = card.querySelector<HTMLFormElement>('#log-form')!;
  const fields = card.querySelector<HTMLElement>('.log-fields')!;
  const status = card.querySelector<HTMLElement>('#log-status')!;
  const recent = card.querySelector<HTMLUListElement>('#log-recent')!;
  const path = () => `/api/users/${encodeURIComponent(o.athlete()!)}/manual`;
  let kind: Kind = 'food';
  // One id per filled form: a double tap or a retry after a lost answer stores the entry once.
  let entryId = crypto.randomUUID();

  const show = (k: Kind) => {
    kind = k;
    form.dataset.kind = k;
    fields.innerHTML = FIELDS[k];
    for (const input of fields.querySelectorAll<HTMLInputElement>('input[type="datetime-local"]')) input.value = localNow();
    for (const b of card.querySelectorAll<HTMLButtonElement>('[data-kind]')) b.setAttribute('aria-pressed', String(b.dataset.kind === k));
    entryId = crypto.randomUUID();
    status.textContent = '';
  };
  for (const b of card.querySelectorAll<HTMLButtonElement>('[data-kind]')) b.addEventListener('click', () => show(b.dataset.kind as Kind));
  show('food');

  const describe = (e: ManualEntryResponse['entry']) => {
    const v = Object.entries(e.values).map(([k, q]) => `${k} ${q.value}`).join(', ');
    const t = 'at' in e.time ? e.time.at : e.time.end;
    return `${new Date(t).toLocaleString()} · ${e.metric.replace('_', ' ')} · ${v}${e.notes?.description ? ` · ${e.notes.description}` : ''}`;
  };
  const loadRecent = async () => {
    const token = o.token();
    if (!token) return;
    const { entries } = await api<ManualEntriesResponse>(token, 'GET', `${path()}?limit=5`);
    recent.replaceChildren(...entries.map((e) => {
      const li = document.createElement('li');
      const span = document.createElement('span');
      span.textContent = describe(e);
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'secondary';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', `delete ${e.metric} entry`);
      del.addEventListener('click', () => void api(token, 'DELETE', `${path()}/${encodeURIComponent(e.id)}`).then(loadRecent, (err: unknown) => (status.textContent = String(err))));
      li.append(span, del);
      return li;
    }));
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = o.token();
    if (!token) return;
    const entry = entryOf(kind, new FormData(form), entryId);
    if (typeof entry === 'string') {
      status.textContent = entry;
      return;
    }
    status.textContent = 'saving…';
    api<ManualEntryResponse>(token, 'POST', path(), entry).then(
      (r) => {
        status.textContent = r.created === false ? 'already saved' : 'saved';
        form.dataset.saved = r.entry.id;
        show(kind);
        status.textContent = r.created === false ? 'already saved' : 'saved';
        void loadRecent();
      },
      (err: unknown) => (status.textContent = err instanceof ApiError ? `${err.message}` : String(err)),
    );
  });

  const load = async (): Promise<void> => {
    const token = o.token();
    if (!token || !o.athlete()) {
      setTimeout(() => void load(), 1000);
      return;
    }
    // Only who may write sees the forms: the athlete or an admin.
    const kindOfToken = tokenKind(token);
    if (kindOfToken !== 'athlete' && kindOfToken !== 'admin') return;
    card.hidden = false;
    await loadRecent().catch(() => {});
  };
  void load();
}

function tokenKind(token: string): string | undefined {
  try {
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { kind?: string };
    return claims.kind;
  } catch {
    return undefined;
  }
}

const GOAL_LABELS: Record<GoalJson['kind'], string> = {
  daily_steps: 'Steps today', weekly_active_minutes: 'Active minutes this week', weekly_workouts: 'Workouts this week', target_weight: 'Target weight',
  nightly_sleep_hours: 'Sleep last night', weekly_mindfulness_minutes: 'Mindfulness this week', bp_under: 'Blood pressure this week',
};

export interface GoalsCard {
  onMessage(m: ServerMessage): void;
}

/** Rings (current period) and a streak per active goal, kept current by `goal` frames. */
export function mountGoalsCard(o: LogOptions): GoalsCard {
  const card = document.createElement('section');
  card.className = 'card goals-card';
  card.id = 'goals-card';
  card.hidden = true;
  card.setAttribute('aria-labelledby', 'goals-h');
  card.innerHTML = `<h2 id="goals-h">Goals</h2><p id="goals-note" class="muted" role="status"></p><ul id="goals" class="goals"></ul>
    <form id="goal-form" class="goal-form" aria-label="new goal" hidden>
      <label>Goal<select name="kind">${Object.entries(GOAL_LABELS).map(([k, l]) => `<option value="${k}">${l.replace(/ (today|this week|last night)$/, '')}</option>`).join('')}</select></label>
      <label>Target<input name="target" type="number" inputmode="decimal" min="0" step="any" required></label>
      <button type="submit">Add goal</button></form>`;
  (document.querySelector('main') ?? document.body).append(card);
  const list = card.querySelector<HTMLUListElement>('#goals')!;
  const note = card.querySelector<HTMLElement>('#goals-note')!;
  const form = card.querySelector<HTMLFormElement>('#goal-form')!;
  const base = () => `/api/users/${encodeURIComponent(o.athlete()!)}/goals`;
  const goals = new Map<string, GoalJson>();

  const render = (goal: GoalJson, period: GoalPeriod | null, streak: number) => {
    let li = list.querySelector<HTMLLIElement>(`[data-goal="${CSS.escape(goal.id)}"]`);
    if (!li) {
      li = document.createElement('li');
      li.dataset.goal = goal.id;
      li.innerHTML = '<div class="ring" role="img"><span></span></div><div class="goal-text"><strong></strong><div class="bar"><i></i></div><small></small></div>';
      list.append(li);
    }
    const pct = Math.round((period?.fraction ?? 0) * 100);
    li.dataset.met = String(period?.met ?? false);
    li.style.setProperty('--pct', `${pct}%`);
    li.querySelector('.ring')!.setAttribute('aria-label', `${pct} percent`);
    li.querySelector('.ring span')!.textContent = `${pct}%`;
    li.querySelector('strong')!.textContent = goal.title ?? GOAL_LABELS[goal.kind];
    li.querySelector('small')!.textContent = `${period?.value ?? 0} / ${goal.target} ${goal.unit.replace(/[{}]/g, '')} · streak ${streak}`;
    li.dataset.streak = String(streak);
  };

  const load = async (): Promise<void> => {
    const token = o.token();
    if (!token || !o.athlete()) {
      setTimeout(() => void load(), 1000);
      return;
    }
    try {
      const { goals: all } = await api<GoalsResponse>(token, 'GET', `${base()}?status=active`);
      card.hidden = false;
      const k = tokenKind(token);
      form.hidden = k !== 'athlete' && k !== 'admin';
      list.replaceChildren();
      note.textContent = all.length === 0 ? 'No goals yet.' : '';
      for (const g of all) {
        goals.set(g.id, g);
        const p = await api<GoalProgressResponse>(token, 'GET', `${base()}/${encodeURIComponent(g.id)}/progress`);
        render(g, p.current, p.streak);
      }
    } catch (err) {
      if (!(err instanceof ApiError)) setTimeout(() => void load(), 5000);
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = o.token();
    if (!token) return;
    const f = new FormData(form);
    api(token, 'POST', base(), { kind: f.get('kind'), target: Number(f.get('target')) }).then(() => { form.reset(); void load(); }, (err: unknown) => (note.textContent = err instanceof ApiError ? err.message : String(err)));
  });
  void load();

  return {
    onMessage(m) {
      if (m.type !== 'goal' && m.type !== 'goal-reached') return;
      const goal = goals.get(m.goalId);
      if (!goal) return void load();
      render(goal, m.period, m.streak);
      if (m.type === 'goal-reached') note.textContent = `Goal reached: ${goal.title ?? GOAL_LABELS[goal.kind]}!`;
    },
  };
}
