/** Tables of the 2Chat dialect: its own group handles (`WAG` + uuid) mapped to (instance, group). */
export interface TwoChatGroupsTable {
  /** `WAG` followed by a uuid v4: what 2Chat clients address a group by. */
  uuid: string;
  instance_id: string;
  /** `<digits>@g.us`. */
  group_id: string;
  created_at: string;
}

export interface TwoChatTables {
  two_chat_groups: TwoChatGroupsTable;
}
