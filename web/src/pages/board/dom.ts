// Small DOM helpers shared by the board modules.

export const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector<T>(sel)!;

/** A fresh copy of the first element of `<template id=…>` in index.html. */
export function fromTemplate<T extends HTMLElement = HTMLElement>(id: string): T {
  return $<HTMLTemplateElement>(`#${id}`).content.firstElementChild!.cloneNode(true) as T;
}

/** Sets the text of `sel` inside `el`, touching the DOM only when it changes. */
export function text(el: HTMLElement, sel: string, value: string): void {
  const n = el.querySelector<HTMLElement>(sel)!;
  if (n.textContent !== value) n.textContent = value;
}

export function setStatus(value: string): void {
  $('#status').textContent = value;
}
