/** One instance: its status, linking (QR and pairing code), restart, log out, token, delete. */
import { api, ApiError, errorMessage, type Instance, isMissingRoute, seg } from '../api';
import { busy, confirmAction, copyButton, every, formatTime, h, mount, notice, toast } from '../dom';
import { link, navigate, type PageContext } from '../router';
import { showSecretOnce, statusBadge } from './instances';

const LINKING = new Set(['starting', 'qr', 'pairing', 'disconnected']);

/** `#/instances/:id`. */
export function instancePage({ params, main, signal }: PageContext): void {
  const [id] = params;
  const base = `/api/instances/${seg(id)}`;
  const head = h('div', { class: 'page-head' });
  const facts = h('dl', { class: 'facts' });
  const linkArea = h('div');
  const error = h('div');
  let current: Instance | undefined;

  const action = (label: string, kind: string, run: (button: HTMLButtonElement) => Promise<void>) => {
    const button = h('button', { type: 'button', class: `btn btn-${kind}` }, label);
    button.addEventListener('click', () => void busy(button, () => run(button)));
    return button;
  };

  const actions = h(
    'div',
    { class: 'toolbar' },
    link(`/instances/${id}/groups`, 'Groups'),
    link(`/instances/${id}/operations`, 'Operations'),
    h('span', { class: 'spacer' }),
    action('Restart', 'secondary', async () => {
      render(await api<Instance>('POST', `${base}/restart`));
      toast('Restarting the connection.', 'success');
    }),
    action('Rotate token', 'secondary', async () => {
      if (!(await confirmAction('Rotate the token?', 'A new instance token is issued and the old one stops working at once.', 'Rotate'))) return;
      const rotated = await api<Instance & { token: string }>('POST', `${base}/token/rotate`);
      await showSecretOnce('New instance token', 'This is the new instance token.', rotated.token);
    }),
    action('Log out', 'secondary', async () => {
      if (!(await confirmAction('Log out this number?', 'The linked device is removed and its credentials wiped; you will need to link it again.', 'Log out'))) return;
      render(await api<Instance>('POST', `${base}/logout`));
      toast('Logged out.', 'success');
    }),
    action('Delete', 'danger', async () => {
      const name = current?.name ?? id;
      if (!(await confirmAction(`Delete “${name}”?`, 'The instance is logged out and everything stored for it is deleted. This cannot be undone.', 'Delete instance'))) return;
      await api('DELETE', base);
      toast(`Deleted ${name}.`, 'success');
      navigate('/instances');
    }),
  );

  const qr = qrPanel(base, signal);
  const pairing = pairingForm(base);

  function render(instance: Instance) {
    current = instance;
    mount(head, h('div', null, link('/instances', '← Instances'), h('h1', null, instance.name, ' ', statusBadge(instance)), h('p', { class: 'muted' }, instance.statusReason)));
    mount(
      facts,
      h('dt', null, 'Id'),
      h('dd', null, h('code', null, instance.id)),
      h('dt', null, 'Green API id'),
      h('dd', null, h('code', null, instance.idInstance)),
      h('dt', null, 'Engine'),
      h('dd', null, instance.engine),
      h('dt', null, 'Number'),
      h('dd', null, instance.phone ? `+${instance.phone}` : '—'),
      h('dt', null, 'Created'),
      h('dd', null, formatTime(instance.createdAt)),
      // In cluster mode, the node running the instance's session.
      ...(instance.node !== undefined ? [h('dt', null, 'Node'), h('dd', null, instance.node ? h('code', null, instance.node) : 'none yet (taking over)')] : []),
    );
    const linking = instance.engine === 'baileys' && LINKING.has(instance.status);
    if (linking) {
      if (!linkArea.firstChild) mount(linkArea, h('section', { class: 'card' }, h('h2', null, 'Link this number'), h('div', { class: 'link-grid' }, qr.element, pairing)));
      qr.setStatus(instance.status);
    } else {
      linkArea.replaceChildren();
      qr.setStatus(instance.status);
    }
  }

  const refresh = async () => {
    try {
      render(await api<Instance>('GET', base, undefined, { signal }));
      error.replaceChildren();
    } catch (err) {
      if (signal.aborted) return;
      error.replaceChildren(notice(errorMessage(err)));
    }
  };

  mount(main, head, error, actions, h('section', { class: 'card' }, facts), linkArea);
  every(3000, refresh, signal);
}

/** The QR code, re-read every 3 s while the instance shows one (it rotates). */
function qrPanel(base: string, signal: AbortSignal) {
  const image = h('img', { class: 'qr', alt: 'QR code to scan with WhatsApp' });
  const note = h('p', { class: 'muted' }, 'Waiting for a QR code…');
  const element = h(
    'div',
    { class: 'qr-box', id: 'qr-panel' },
    h('h3', null, 'Scan the QR code'),
    h('p', { class: 'small muted' }, 'WhatsApp → Settings → Linked devices → Link a device.'),
    image,
    note,
  );
  image.hidden = true;
  let status = '';
  let unavailable = false;

  every(
    3000,
    async () => {
      if (unavailable || status !== 'qr') return;
      try {
        const { image: dataUrl } = await api<{ qr: string; image: string }>('GET', `${base}/qr`, undefined, { signal });
        if (image.src !== dataUrl) image.src = dataUrl;
        image.hidden = false;
        note.textContent = 'The code refreshes by itself as WhatsApp rotates it.';
      } catch (err) {
        if (signal.aborted) return;
        image.hidden = true;
        if (isMissingRoute(err)) {
          unavailable = true;
          note.textContent = 'QR linking is not available on this server version; use the pairing code.';
        } else note.textContent = err instanceof ApiError && err.code === 'qr_not_available' ? `No QR code right now: ${err.message}` : errorMessage(err);
      }
    },
    signal,
  );

  return {
    element,
    setStatus(next: string) {
      status = next;
      if (status !== 'qr' && !unavailable) {
        image.hidden = true;
        note.textContent = status === 'disconnected' ? 'Not connected. Restart the instance to get a new QR code.' : 'Waiting for a QR code…';
      }
    },
  };
}

/** Linking without a camera: WhatsApp shows a field for an 8-character code. */
function pairingForm(base: string): HTMLElement {
  const phone = h('input', { name: 'pairing-phone', placeholder: '+15550001111', required: true, maxLength: 32 });
  const result = h('div');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Get pairing code');
  return h(
    'form',
    {
      class: 'pairing',
      onsubmit: (event: Event) => {
        event.preventDefault();
        result.replaceChildren();
        void busy(submit, async () => {
          try {
            const { code } = await api<{ code: string }>('POST', `${base}/pairing-code`, { phone: phone.value.trim() });
            mount(
              result,
              h('div', { class: 'pairing-code' }, h('code', null, code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code), copyButton(code)),
              h('p', { class: 'small muted' }, 'On the phone: Linked devices → Link a device → Link with phone number instead, then type this code.'),
            );
          } catch (err) {
            result.replaceChildren(notice(isMissingRoute(err) ? 'Pairing codes are not available on this server version.' : errorMessage(err)));
          }
        });
      },
    },
    h('h3', null, 'Or use a pairing code'),
    h('label', null, 'Phone number of the WhatsApp account', phone),
    submit,
    result,
  );
}
