/**
 * Who the phone is: the device id, athlete and device token from the address the athlete page
 * made (`/app/#device=…&user=…&maxHr=…&token=…`), kept in localStorage so the installed app
 * opens signed in. The fragment is removed from the address bar at once.
 */
export interface PhoneIdentity {
  readonly device: string;
  readonly user: string;
  readonly token: string;
  readonly maxHr: number;
}

const KEY = 'pulsehub.phone';

export function readIdentity(): PhoneIdentity | null {
  const h = new URLSearchParams(location.hash.slice(1));
  const device = h.get('device');
  const user = h.get('user');
  const token = h.get('token');
  if (device && user && token) {
    const id: PhoneIdentity = { device, user, token, maxHr: Number(h.get('maxHr')) || 185 };
    localStorage.setItem(KEY, JSON.stringify(id));
    history.replaceState(null, '', location.pathname);
    return id;
  }
  const kept = localStorage.getItem(KEY);
  if (!kept) return null;
  try {
    return JSON.parse(kept) as PhoneIdentity;
  } catch {
    return null;
  }
}

export function forgetIdentity(): void {
  localStorage.removeItem(KEY);
}
