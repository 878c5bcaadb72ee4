// FTP on the athlete page: the athlete (or an admin) sets the Functional Threshold Power the hub
// uses for cycling power zones on /live. Mounted with one call; hidden for tokens that may not
// change the profile (coach, overlay).
import type { ProfileResponse } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';

export interface FtpOptions {
  token(): string | null;
  athlete(): string | null;
}

export function mountFtpCard(o: FtpOptions): void {
  const card = document.createElement('section');
  card.className = 'card ftp-card';
  card.id = 'ftp-card';
  card.hidden = true;
  card.innerHTML = `<h2 id="ftp-h">Cycling FTP</h2>
    <form id="ftp-form" style="display:flex;flex-wrap:wrap;gap:.5rem;align-items:center">
      <label>FTP <input id="ftp-watts" name="ftp" type="number" min="50" max="700" step="1" inputmode="numeric" style="width:6em"> W</label>
      <button type="submit">Save</button><span id="ftp-status" role="status"></span>
    </form>`;
  card.setAttribute('aria-labelledby', 'ftp-h');
  (document.querySelector('main') ?? document.body).append(card);
  const input = card.querySelector<HTMLInputElement>('#ftp-watts')!;
  const status = card.querySelector<HTMLElement>('#ftp-status')!;
  const path = () => `/api/users/${encodeURIComponent(o.athlete()!)}/profile`;

  const load = async (): Promise<void> => {
    const token = o.token();
    if (!token || !o.athlete()) {
      setTimeout(() => void load(), 1000);
      return;
    }
    try {
      const { profile } = await api<ProfileResponse>(token, 'GET', path());
      input.value = profile.ftpWatts === null ? '' : String(profile.ftpWatts);
      card.hidden = false;
    } catch (err) {
      if (!(err instanceof ApiError)) setTimeout(() => void load(), 5000);
    }
  };

  card.querySelector('form')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = o.token();
    if (!token) return;
    const ftpWatts = input.value === '' ? null : Number(input.value);
    api<ProfileResponse>(token, 'PATCH', path(), { ftpWatts }).then(
      () => (status.textContent = ftpWatts === null ? 'cleared' : `saved: ${ftpWatts} W`),
      (err: unknown) => (status.textContent = err instanceof ApiError ? err.message : String(err)),
    );
  });
  void load();
}
