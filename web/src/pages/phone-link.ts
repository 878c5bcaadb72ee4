import QRCode from 'qrcode';
import type { PhoneDeviceResponse } from '@pulsehub/contracts';
import { api } from './lib/api.js';

/**
 * "Use my phone as a device" on the athlete page: registers a phone for the athlete
 * (POST /api/phone-devices) and shows the phone app's address with its device token as a
 * link and a QR code (the `qrcode` package, drawn here; nothing leaves the page for it).
 */
export function setupPhoneCard(card: HTMLElement, who: () => { token: string | null; athleteId: string | null }): void {
  const button = card.querySelector<HTMLButtonElement>('#make-phone')!;
  const out = card.querySelector<HTMLElement>('#phone-out')!;
  const img = card.querySelector<HTMLImageElement>('#phone-qr')!;
  const link = card.querySelector<HTMLAnchorElement>('#phone-link')!;
  const note = card.querySelector<HTMLElement>('#phone-note')!;
  button.addEventListener('click', () => {
    const { token, athleteId } = who();
    if (!token || !athleteId) return;
    button.disabled = true;
    void (async () => {
      try {
        const r = await api<PhoneDeviceResponse>(token, 'POST', '/api/phone-devices', { athleteId, model: 'phone web app' });
        const url = new URL(r.url, location.href).toString();
        img.src = await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
        link.href = url;
        note.textContent = `Device ${r.device.id}. Anyone with this code can send readings as you until an admin revokes the device.`;
        out.hidden = false;
      } catch (err) {
        note.textContent = `Could not create it: ${(err as Error).message}`;
      } finally {
        button.disabled = false;
      }
    })();
  });
}
