/** Hash routing shared by every page (kept apart from main.ts so pages do not import the entry). */
import { h } from './dom';

/** What every page gets: its route parameters, where to draw, and a signal that aborts on leaving. */
export interface PageContext {
  params: string[];
  main: HTMLElement;
  signal: AbortSignal;
}

/** Navigates to a dashboard path such as `/instances/abc/groups`. */
export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** Builds a link to a dashboard path. */
export function link(path: string, ...children: (Node | string)[]): HTMLAnchorElement {
  return h('a', { href: `#${path}` }, ...children);
}

/** A one-shot message handed from one page to the next (e.g. outcomes of a group just created). */
let flash: unknown;
export function setFlash(value: unknown): void {
  flash = value;
}
export function takeFlash<T>(): T | undefined {
  const value = flash as T | undefined;
  flash = undefined;
  return value;
}

/** Path of the current location, e.g. `/instances`. */
export function currentPath(): string {
  const raw = location.hash.replace(/^#/, '') || '/instances';
  return raw.startsWith('/') ? raw : `/${raw}`;
}
