/** One group: participants, details, settings, invite link, join requests, leave. */
import { api, errorMessage, type Group, type Outcome, seg } from '../api';
import { badge, busy, confirmAction, copyButton, formatTime, h, mount, notice, toast } from '../dom';
import { subscribeLive } from '../events-panel';
import { link, navigate, takeFlash, type PageContext } from '../router';
import { detailsForm, joinRequestsCard, settingsCard } from './group-settings';
import { addForm, participantsTable } from './group-participants';
import { outcomesView } from './outcomes';

/** `#/instances/:id/groups/:groupId`. */
export function groupPage({ params, main, signal }: PageContext): void {
  const [id, groupId] = params;
  const base = `/api/instances/${seg(id)}/groups/${seg(groupId)}`;
  const flash = takeFlash<{ title: string; outcomes: Outcome[] }>();
  const outcomesArea = h('div', { class: 'outcomes-area' }, flash ? outcomesView(flash.title, flash.outcomes) : null);
  const head = h('div', { class: 'page-head' });
  const body = h('div', { class: 'group-body' });
  const error = h('div');

  // No outcomes: the panel says what is going on instead (or empties, with no title), never an older result.
  const showOutcomes = (title: string, outcomes: Outcome[]) => {
    mount(outcomesArea, outcomes.length ? outcomesView(title, outcomes) : title ? notice(title, 'info') : null);
  };

  // Parts that hold what a person is doing (a shown link, pasted numbers, typed text) are built
  // once; the rest is redrawn on every reload, which live events trigger.
  const participantsArea = h('div');
  const settingsArea = h('div');
  let details: ReturnType<typeof detailsForm> | undefined;
  let requests: ReturnType<typeof joinRequestsCard> | undefined;

  const load = async () => {
    let group: Group;
    try {
      group = await api<Group>('GET', base, undefined, { signal });
      error.replaceChildren();
    } catch (err) {
      if (!signal.aborted) error.replaceChildren(notice(errorMessage(err)));
      return;
    }
    const admin = group.myRole !== 'member';
    mount(
      head,
      link(`/instances/${id}/groups`, '← Groups'),
      h('h1', { id: 'group-name' }, group.name || '(no name)'),
      h('p', { class: 'muted' }, h('code', null, group.id), ` · ${group.size} participants · created ${formatTime(group.createdAt)} · you are `, badge(group.myRole)),
      group.description ? h('p', { class: 'group-description' }, group.description) : null,
      admin ? null : notice('You are not an admin of this group: most changes need an admin.', 'info'),
    );
    mount(participantsArea, participantsTable({ base, group, admin, onOutcomes: showOutcomes, reload: load }));
    mount(settingsArea, settingsCard(base, group, load));
    if (details) return details.update(group);
    details = detailsForm(base, group, load);
    requests = joinRequestsCard(base, admin, showOutcomes);
    mount(
      body,
      h('section', { class: 'card', id: 'participants' }, participantsArea, admin ? addForm(base, showOutcomes, load) : null),
      h('div', { class: 'two-col' }, details.element, settingsArea),
      h('div', { class: 'two-col' }, inviteCard(base, admin), requests.element),
      leaveCard(id, base, group),
    );
  };

  mount(main, head, error, outcomesArea, body);
  void load();
  subscribeLive((event) => {
    if (event.instanceId !== id || event.data?.groupId !== groupId) return;
    if (event.type === 'group.left') {
      toast('This instance is no longer in the group.', 'info');
      return navigate(`/instances/${id}/groups`);
    }
    void load();
    if (event.type.startsWith('group.join_request.')) void requests?.load();
  }, signal);
}

function inviteCard(base: string, admin: boolean): HTMLElement {
  const area = h('div', { class: 'invite', id: 'invite-link' });
  let current = '';
  const show = (data: { code: string; link: string }) => {
    current = data.link;
    const revoke = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Revoke');
    revoke.addEventListener(
      'click',
      () =>
        void busy(revoke, async () => {
          if (!(await confirmAction('Revoke the invite link?', 'The current link stops working at once; a new one is issued.', 'Revoke link'))) return;
          show(await api<{ code: string; link: string }>('POST', `${base}/invite-code/revoke`));
          toast('Invite link revoked; a new one was issued.', 'success');
        }),
    );
    mount(
      area,
      h(
        'div',
        { class: 'secret' },
        h('code', { class: 'invite-value' }, data.link),
        copyButton(() => current),
        revoke,
      ),
    );
  };
  const reveal = h('button', { type: 'button', class: 'btn btn-secondary', disabled: !admin }, 'Show invite link');
  reveal.addEventListener('click', () => void busy(reveal, async () => show(await api<{ code: string; link: string }>('GET', `${base}/invite-code`))));
  mount(area, reveal);
  return h('section', { class: 'card' }, h('h2', null, 'Invite link'), h('p', { class: 'muted small' }, 'Anyone with the link can join (or ask to, when approval is on).'), area);
}

function leaveCard(id: string, base: string, group: Group): HTMLElement {
  const leave = h('button', { type: 'button', class: 'btn btn-danger' }, 'Leave group');
  leave.addEventListener(
    'click',
    () =>
      void busy(leave, async () => {
        if (!(await confirmAction(`Leave “${group.name}”?`, 'This number leaves the group. To come back it needs a new invite.', 'Leave group'))) return;
        await api('POST', `${base}/leave`);
        toast(`Left ${group.name}.`, 'success');
        navigate(`/instances/${id}/groups`);
      }),
  );
  return h('section', { class: 'card card-danger' }, h('h2', null, 'Leave'), h('p', { class: 'muted small' }, 'The group stays; this number leaves it.'), leave);
}
