/** The access token: `?token=` (then kept for the tab and removed from the address bar) or the tab's stored one. */
const KEY = 'pulsehub.token';

export function readToken(): string | null {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Shows the sign-in form and resolves with the token entered. */
export function askToken(form: HTMLFormElement, input: HTMLInputElement): Promise<string> {
  form.hidden = false;
  input.focus();
  return new Promise((resolve) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      storeToken(t);
      form.hidden = true;
      resolve(t);
    };
  });
}
