/** The LID <-> phone-number mapping of one session, learned from every stanza that shows both. */
export class LidMap {
  private readonly toPhone = new Map<string, string>();
  private readonly toLid = new Map<string, string>();

  /** Records a pair when both halves are known. */
  learn(lid: string | undefined, phoneJid: string | undefined): void {
    if (!lid || !phoneJid || !lid.endsWith('@lid') || !phoneJid.endsWith('@s.whatsapp.net')) return;
    this.toPhone.set(lid, phoneJid);
    this.toLid.set(phoneJid, lid);
  }

  phoneOf(lid: string | undefined): string | undefined {
    return lid ? this.toPhone.get(lid) : undefined;
  }

  lidOf(phoneJid: string | undefined): string | undefined {
    return phoneJid ? this.toLid.get(phoneJid) : undefined;
  }
}
