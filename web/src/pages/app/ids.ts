/** Event ids made on the phone before a reading is queued, so a resend is stored once. */
let seq = 0;
export function eventId(device: string, kind: string): string {
  seq = (seq + 1) % 1_000_000;
  return `${device}-${kind}-${Date.now().toString(36)}-${seq.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
