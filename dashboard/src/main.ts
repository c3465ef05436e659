/** Entry point: sign-in gate, the page layout, the hash router and the live events panel. */
import { onUnauthorized, session } from './api';
import { h, mount, toast } from './dom';
import { startEventsPanel } from './events-panel';
import { groupPage } from './pages/group';
import { groupsPage } from './pages/groups';
import { instancePage } from './pages/instance';
import { instancesPage } from './pages/instances';
import { operationsPage } from './pages/operations';
import { signInPage } from './pages/sign-in';
import { webhookPage, webhooksPage } from './pages/webhooks';
import { currentPath, link, type PageContext } from './router';

type Page = (ctx: PageContext) => void | Promise<void>;

const routes: [RegExp, Page][] = [
  [/^\/instances$/, instancesPage],
  [/^\/instances\/([^/]+)$/, instancePage],
  [/^\/instances\/([^/]+)\/groups$/, groupsPage],
  [/^\/instances\/([^/]+)\/groups\/([^/]+)$/, groupPage],
  [/^\/instances\/([^/]+)\/operations$/, operationsPage],
  [/^\/webhooks$/, webhooksPage],
  [/^\/webhooks\/([^/]+)$/, webhookPage],
];

const root = document.getElementById('app')!;
let pageController: AbortController | undefined;
let shellController: AbortController | undefined;
let main: HTMLElement | undefined;

function renderRoute(): void {
  if (!session.key || !main) return;
  pageController?.abort();
  pageController = new AbortController();
  const path = currentPath().split('?')[0];
  for (const nav of document.querySelectorAll<HTMLAnchorElement>('.nav a')) {
    nav.classList.toggle('active', path.startsWith(nav.getAttribute('href')!.slice(1)));
  }
  for (const [pattern, page] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    const params = m.slice(1).map((p) => decodeURIComponent(p));
    mount(main);
    main.scrollTop = 0;
    void Promise.resolve(page({ params, main, signal: pageController.signal })).catch((err) => {
      if (main) mount(main, h('div', { class: 'notice notice-error', role: 'alert' }, String((err as Error)?.message ?? err)));
    });
    return;
  }
  mount(main, h('div', { class: 'empty' }, h('h1', null, 'Page not found'), h('p', null, link('/instances', 'Back to instances'))));
}

function renderShell(): void {
  shellController?.abort();
  pageController?.abort();
  shellController = new AbortController();
  const signOut = h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => signOutNow() }, 'Sign out');
  const panel = h('aside', { class: 'events', 'aria-label': 'Live events' });
  main = h('main', { class: 'content' });
  mount(
    root,
    h(
      'div',
      { class: 'shell' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/instances' }, h('span', { class: 'brand-mark' }, 'gg'), 'groupgate'),
        h('nav', { class: 'nav' }, link('/instances', 'Instances'), link('/webhooks', 'Webhooks')),
        h('div', { class: 'topbar-right' }, signOut),
      ),
      main,
      panel,
    ),
  );
  startEventsPanel(panel, shellController.signal);
  renderRoute();
}

function signOutNow(message?: string): void {
  session.clear();
  shellController?.abort();
  pageController?.abort();
  main = undefined;
  showSignIn(message);
}

function showSignIn(message?: string): void {
  mount(
    root,
    signInPage(message, () => renderShell()),
  );
}

onUnauthorized((message) => {
  if (!session.key) return;
  signOutNow(`Signed out: ${message}`);
  toast('Your API key was refused; sign in again.', 'error');
});

window.addEventListener('hashchange', renderRoute);
if (session.key) renderShell();
else showSignIn();
