/** Tables of the 2Chat dialect: its own group handles (`WAG` + uuid) mapped to (instance, group). */
export interface TwoChatGroupsTable {
  /** `WAG` followed by a uuid v4: what 2Chat clients address a group by. */
  uuid: string;
  instance_id: string;
  /** `<digits>@g.us`. */
  group_id: string;
  created_at: string;
}

/** 2Chat webhook subscriptions; the core provider subscription behind each has the uuid as its slot. */
export interface TwoChatWebhooksTable {
  /** `WHK` followed by a uuid v4. */
  uuid: string;
  instance_id: string;
  /** 2Chat's event name (`whatsapp.group.join`, ...). */
  event_name: string;
  hook_url: string;
  /** The group filter (`to_group_uuid`) and the group it names, or null for every group. */
  group_uuid: string | null;
  group_id: string | null;
  created_at: string;
}

export interface TwoChatTables {
  two_chat_groups: TwoChatGroupsTable;
  two_chat_webhooks: TwoChatWebhooksTable;
}
